"""The file commands' work: upload, list, delete, archive, fetch a file, suggest paths; and the quota.

The quota covers what members put in a workspace (files/ and archives/ together); what the bot keeps
for itself (datasets/, models/) is not theirs to manage, so it is not counted against them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, t
from trainer_bot.text import human_size, inline_code
from trainer_bot.workspace.paths import (
    ArchiveResult,
    FolderListing,
    PathKind,
    Removed,
    Workspace,
    Workspaces,
)
from trainer_bot.workspace.storing import ArchiveTooLarge

# Entries one measurement of a workspace may visit: a few tens of milliseconds of stat calls. A workspace
# holding more is not measured to the end, and nothing more is added to it until some of it goes.
MEASURE_BUDGET = 20_000
LIST_LIMIT = 50
LIST_READ_LIMIT = 5_000


class FileTooLarge(UserError):
    pass


class QuotaExceeded(UserError):
    pass


@dataclass(frozen=True)
class Quota:
    used: int
    total: int
    exact: bool  # False: the workspace holds too many entries to measure, so `used` is a lower bound

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)


@dataclass(frozen=True)
class Saved:
    relative: str
    size: int
    replaced: bool
    quota: Quota


ReadAttachment = Callable[[int], Awaitable[bytes]]


class FileService:
    def __init__(self, workspaces: Workspaces, *, quota_bytes: int) -> None:
        self._workspaces = workspaces
        self._quota_bytes = quota_bytes
        # One change at a time per guild: two uploads must not both fit into the same space left.
        self._locks: dict[int, asyncio.Lock] = {}

    def complete(self, guild_id: int, prefix: str, kind: PathKind) -> list[str]:
        """Autocomplete suggestions; bounded work, so it is cheap enough for the event loop."""
        return self._workspaces.for_guild(guild_id).complete(prefix, kind=kind)

    async def upload(
        self,
        guild_id: int,
        folder: str,
        filename: str,
        *,
        declared_size: int,
        size_limit: int,
        read: ReadAttachment,
    ) -> Saved:
        """Save an attachment as `folder/filename`, replacing a file of that name, within the quota.

        `read(limit)` downloads the attachment, cut off past `limit` bytes. Everything is checked before
        it is called, and nothing is written when anything is refused.
        """
        workspace = self._workspaces.for_guild(guild_id)
        async with self._lock(guild_id):
            target = await asyncio.to_thread(workspace.upload_target, folder, filename)
            quota = await self._measured_quota(workspace)
            replaced = target.replaces or 0
            room = quota.total - quota.used + replaced
            shown = inline_code(target.relative)
            if declared_size > size_limit:
                raise FileTooLarge(
                    t(
                        "{shown} is {size}; files of up to {limit} can be uploaded here.",
                        shown=shown,
                        size=human_size(declared_size),
                        limit=human_size(size_limit),
                    )
                )
            if declared_size > room:
                raise QuotaExceeded(_no_room(shown, declared_size, room, quota))
            data = await read(min(size_limit, room))
            if len(data) > room:
                raise QuotaExceeded(_no_room(shown, len(data), room, quota))
            size = await asyncio.to_thread(workspace.store_upload, target, data)
        used = quota.used - replaced + size
        return Saved(target.relative, size, target.replaces is not None, Quota(used, quota.total, exact=True))

    async def listing(self, guild_id: int, folder: str) -> tuple[FolderListing, Quota]:
        workspace = self._workspaces.for_guild(guild_id)
        listing = await asyncio.to_thread(
            workspace.listing,
            folder,
            limit=LIST_LIMIT,
            read_limit=LIST_READ_LIMIT,
            size_budget=MEASURE_BUDGET,
        )
        return listing, await self._quota(workspace)

    async def delete(self, guild_id: int, path: str) -> tuple[Removed, Quota]:
        workspace = self._workspaces.for_guild(guild_id)
        async with self._lock(guild_id):
            removed = await asyncio.to_thread(workspace.remove, path)
        return removed, await self._quota(workspace)

    async def archive(self, guild_id: int, directory: str) -> ArchiveResult:
        """Zip a folder into archives/; refused, and nothing kept, when the zip would not fit the quota."""
        workspace = self._workspaces.for_guild(guild_id)
        async with self._lock(guild_id):
            quota = await self._measured_quota(workspace)
            if quota.left <= 0:
                raise QuotaExceeded(
                    t("{quota} Delete something with /files delete first.", quota=_quota_line(quota))
                )
            try:
                return await asyncio.to_thread(workspace.archive, directory, max_bytes=quota.left)
            except ArchiveTooLarge:
                raise QuotaExceeded(
                    t(
                        "The archive would be larger than the {left} left, so it was not kept. {quota}",
                        left=human_size(quota.left),
                        quota=_quota_line(quota),
                    )
                ) from None

    async def file_for_download(self, guild_id: int, file_path: str, *, size_limit: int) -> Path:
        """The file to send, refused when Discord would not accept it in this interaction."""
        workspace = self._workspaces.for_guild(guild_id)
        path = await asyncio.to_thread(workspace.resolve, file_path, kind="file")
        size = await asyncio.to_thread(workspace.size_of, path)
        if size > size_limit:
            raise FileTooLarge(
                t(
                    "`{path}` is {size}; Discord accepts at most {limit} here. "
                    "Try `/archive` on its folder or split it.",
                    path=workspace.relative(path),
                    size=human_size(size),
                    limit=human_size(size_limit),
                )
            )
        return path

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def _quota(self, workspace: Workspace) -> Quota:
        usage = await asyncio.to_thread(workspace.usage, MEASURE_BUDGET)
        return Quota(usage.size, self._quota_bytes, exact=usage.complete)

    async def _measured_quota(self, workspace: Workspace) -> Quota:
        """The quota, refused when the workspace holds too many entries to know what is left."""
        quota = await self._quota(workspace)
        if not quota.exact:
            raise QuotaExceeded(
                t(
                    "This server's `files` and `archives` hold more than {budget} files and folders, "
                    "too many to keep count of; delete some with /files delete before adding more.",
                    budget=MEASURE_BUDGET,
                )
            )
        return quota


def _no_room(shown: str, size: int, room: int, quota: Quota) -> Message:
    return t(
        "{shown} is {size}, more than the {left} left; nothing was saved. {quota} "
        "Delete something with /files delete first.",
        shown=shown,
        size=human_size(size),
        left=human_size(max(0, room)),
        quota=_quota_line(quota),
    )


def _quota_line(quota: Quota) -> Message:
    return t("This server's workspace uses {quota}.", quota=quota_text(quota))


def quota_text(quota: Quota) -> Message:
    """ "12.0 MB of 200.0 MB": what members' files and archives take of the workspace quota."""
    used = human_size(quota.used) if quota.exact else t("more than {size}", size=human_size(quota.used))
    return t("{used} of {total}", used=used, total=human_size(quota.total))
