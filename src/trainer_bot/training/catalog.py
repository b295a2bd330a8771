"""Datasets a guild has given the bot: a canonical copy in the workspace, and a row in the database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from trainer_bot.errors import UserError
from trainer_bot.layout import DATASETS
from trainer_bot.storage import Dataset, DatasetRepository, DatasetSource
from trainer_bot.training.parsing import (
    DatasetLimits,
    ParsedDataset,
    checksum,
    label_from_positive,
    parse_bytes,
    parse_directory,
    parse_inline,
)
from trainer_bot.workspace.paths import ArchiveResult, Workspaces


class NoTrainingData(UserError):
    pass


@dataclass(frozen=True)
class SelectedDataset:
    dataset: Dataset
    snapshot: ArchiveResult


@dataclass(frozen=True)
class UploadedFile:
    """A file a member attached; the command layer has already downloaded it."""

    filename: str
    data: bytes


def _slug(name: str) -> str:
    return re.sub(r"[^\w-]+", "-", name, flags=re.UNICODE).strip("-")[:40] or "dataset"


def _canonical_jsonl(parsed: ParsedDataset) -> bytes:
    """One format for every stored copy, whatever the member uploaded: it reloads with the same parser."""
    lines = [json.dumps({"text": e.text, "label": e.label}, ensure_ascii=False) for e in parsed.examples]
    lines += [
        json.dumps({"prompt": p.prompt, "response": p.response}, ensure_ascii=False) for p in parsed.pairs
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


class DatasetCatalog:
    def __init__(self, repository: DatasetRepository, workspaces: Workspaces, limits: DatasetLimits) -> None:
        self._repository = repository
        self._workspaces = workspaces
        self.limits = limits

    # -- reading what members give ----------------------------------------------------------------------
    async def parse_upload(self, upload: UploadedFile, *, default_label: str) -> ParsedDataset:
        return await asyncio.to_thread(
            parse_bytes, upload.data, upload.filename, default_label=default_label, limits=self.limits
        )

    async def parse_inline(self, text: str, *, default_label: str) -> ParsedDataset:
        return parse_inline(text, default_label=default_label, limits=self.limits)

    async def parse_workspace_directory(
        self, guild_id: int, path: str, *, default_label: str
    ) -> ParsedDataset:
        workspace = self._workspaces.for_guild(guild_id)
        directory = await asyncio.to_thread(workspace.resolve, path, kind="dir")
        return await asyncio.to_thread(
            parse_directory, directory, default_label=default_label, limits=self.limits
        )

    # -- keeping it -------------------------------------------------------------------------------------
    async def register(
        self,
        guild_id: int,
        user_id: int,
        parsed: ParsedDataset,
        *,
        name: str,
        source: DatasetSource,
        default_label: str | None,
        selected: bool = False,
    ) -> Dataset:
        """Write the canonical copy (atomically), then record it: a row never points at a missing file.

        The same content given twice is kept once (re-selected if asked), so it does not count double.
        """
        data = await asyncio.to_thread(_canonical_jsonl, parsed)
        digest = checksum(data)
        for earlier in await self._repository.find_by_checksum(guild_id, digest):
            if selected and not earlier.selected:
                await self._repository.set_selected(guild_id, earlier.id, True)
            return dataclasses.replace(earlier, selected=earlier.selected or selected)
        workspace = self._workspaces.for_guild(guild_id)
        filename = f"{_slug(name)}-{digest[:12]}.jsonl"
        path = await asyncio.to_thread(workspace.write_new_file, DATASETS, filename, data)
        return await self._repository.add(
            guild_id=guild_id,
            name=name,
            source=source,
            path=workspace.relative(path),
            examples=len(parsed.examples),
            pairs=len(parsed.pairs),
            label_counts=parsed.label_counts(),
            checksum=digest,
            created_by=user_id,
            default_label=default_label,
            selected=selected,
        )

    async def select_directory(
        self, guild_id: int, user_id: int, path: str, *, positive: bool
    ) -> SelectedDataset:
        """Validate every file in a workspace folder, keep a snapshot zip and a canonical copy, select it."""
        label = label_from_positive(positive)
        parsed = await self.parse_workspace_directory(guild_id, path, default_label=label)
        snapshot = await asyncio.to_thread(self._workspaces.for_guild(guild_id).archive, path)
        dataset = await self.register(
            guild_id,
            user_id,
            parsed,
            name=path.strip("/") or "workspace",
            source=DatasetSource.DIRECTORY,
            default_label=label,
            selected=True,
        )
        return SelectedDataset(dataset, snapshot)

    async def selected(self, guild_id: int) -> list[Dataset]:
        return await self._repository.list_selected(guild_id)

    async def by_ids(self, guild_id: int, dataset_ids: Sequence[int]) -> list[Dataset]:
        """The guild's datasets with these ids, in that order; one deleted since (a purge) is left out."""
        found = [await self._repository.get(guild_id, dataset_id) for dataset_id in dataset_ids]
        return [dataset for dataset in found if dataset is not None]

    async def load(
        self,
        guild_id: int,
        datasets: list[Dataset],
        *,
        already_parsed: Mapping[int, ParsedDataset] | None = None,
    ) -> ParsedDataset:
        """The datasets' content, in order. Stored copies are read back (they are the bot's own files, but
        still resolved inside the workspace) unless `already_parsed` holds them by dataset id."""
        workspace = self._workspaces.for_guild(guild_id)
        merged = ParsedDataset(examples=[], pairs=[])
        for dataset in datasets:
            if already_parsed is not None and dataset.id in already_parsed:
                merged = merged.merge(already_parsed[dataset.id])
                continue
            path = await asyncio.to_thread(workspace.resolve, dataset.path, kind="file")
            data = await asyncio.to_thread(path.read_bytes)
            label = dataset.default_label or "positive"
            merged = merged.merge(await asyncio.to_thread(parse_bytes, data, path.name, default_label=label))
        return merged
