"""The file commands' work: archive a directory, fetch a file, register a directory as a dataset."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from trainer_bot.errors import UserError
from trainer_bot.storage import Dataset, DatasetSource
from trainer_bot.text import human_size
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.parsing import label_from_positive
from trainer_bot.workspace.paths import ArchiveResult, PathKind, Workspaces


class FileTooLarge(UserError):
    pass


@dataclass(frozen=True)
class SelectedDataset:
    dataset: Dataset
    snapshot: ArchiveResult


class FileService:
    def __init__(self, workspaces: Workspaces, catalog: DatasetCatalog) -> None:
        self._workspaces = workspaces
        self._catalog = catalog

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

    async def select_dataset(
        self, guild_id: int, user_id: int, path: str, *, positive: bool
    ) -> SelectedDataset:
        """Validate every file in the directory, keep a snapshot zip and a canonical copy, select it."""
        label = label_from_positive(positive)
        parsed = await self._catalog.parse_workspace_directory(guild_id, path, default_label=label)
        snapshot = await self.archive(guild_id, path)
        dataset = await self._catalog.register(
            guild_id,
            user_id,
            parsed,
            name=path.strip("/") or "workspace",
            source=DatasetSource.DIRECTORY,
            default_label=label,
            selected=True,
        )
        return SelectedDataset(dataset, snapshot)
