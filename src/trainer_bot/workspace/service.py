"""The file commands' work: archive a directory, fetch a file, suggest paths."""

from __future__ import annotations

import asyncio
from pathlib import Path

from trainer_bot.errors import UserError
from trainer_bot.text import human_size
from trainer_bot.workspace.paths import ArchiveResult, PathKind, Workspaces


class FileTooLarge(UserError):
    pass


class FileService:
    def __init__(self, workspaces: Workspaces) -> None:
        self._workspaces = workspaces

    def complete(self, guild_id: int, prefix: str, kind: PathKind) -> list[str]:
        """Autocomplete suggestions; bounded work, so it is cheap enough for the event loop."""
        return self._workspaces.for_guild(guild_id).complete(prefix, kind=kind)

    async def archive(self, guild_id: int, directory: str) -> ArchiveResult:
        workspace = self._workspaces.for_guild(guild_id)
        return await asyncio.to_thread(workspace.archive, directory)

    async def file_for_download(self, guild_id: int, file_path: str, *, size_limit: int) -> Path:
        """The file to send, refused when Discord would not accept it in this interaction."""
        workspace = self._workspaces.for_guild(guild_id)
        path = await asyncio.to_thread(workspace.resolve, file_path, kind="file")
        size = await asyncio.to_thread(workspace.size_of, path)
        if size > size_limit:
            raise FileTooLarge(
                f"`{workspace.relative(path)}` is {human_size(size)}; Discord accepts at most "
                f"{human_size(size_limit)} here. Try `/archive` on its folder or split it."
            )
        return path
