"""Which model each guild uses: versions on disk (signed), the active one recorded in the database.

Loaded models are kept in a least-recently-used cache within a memory budget (MODEL_CACHE_MB), so a bot
in thousands of guilds holds the models of the guilds that are talking and reads the others' files
again when they speak (a 10-label model with 1,000 pairs loads in ~20 ms).

Another process may publish a guild's next version (a training worker, another shard): a cached model is
served for at most ACTIVE_RECHECK_SECONDS before the database is asked again which version is active, so
every process answers with the newest version within that time, at one small query per guild.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cachetools import LRUCache

from trainer_bot.ml import ModelStore, ModelStoreError, TrainedModel
from trainer_bot.ml.footprint import approximate_bytes
from trainer_bot.storage import ModelVersionRepository
from trainer_bot.workspace.paths import Workspaces

_LOGGER = logging.getLogger(__name__)


def signing_key(path: Path) -> bytes:
    """The key that signs model files, so the bot only ever unpickles files it wrote itself."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        key = secrets.token_bytes(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key


DEFAULT_CACHE_BYTES = 256 * 1024 * 1024
# How long a cached model is served before the database is asked whether it is still the active one.
ACTIVE_RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class _Loaded:
    version: str
    model: TrainedModel
    size: int  # bytes, estimated (ml.footprint)


class ActiveModels:
    def __init__(
        self,
        workspaces: Workspaces,
        versions: ModelVersionRepository,
        secret: bytes,
        *,
        keep_versions: int = 5,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        recheck_after: float = ACTIVE_RECHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._workspaces = workspaces
        self._versions = versions
        self._secret = secret
        self._keep = keep_versions
        self._cache: LRUCache[int, _Loaded] = LRUCache(
            maxsize=cache_bytes, getsizeof=lambda loaded: loaded.size
        )
        self._refused: dict[int, str] = {}  # guild -> its active version that failed verification
        self._recheck_after = recheck_after
        self._clock = clock
        self._confirmed: dict[int, float] = {}  # guild -> when the database last named its cached version
        self._locks: dict[int, asyncio.Lock] = {}

    def store(self, guild_id: int) -> ModelStore:
        return ModelStore(self._workspaces.for_guild(guild_id).models_dir, self._secret)

    async def current(self, guild_id: int) -> tuple[str, TrainedModel] | None:
        """The guild's active (version, model), served from memory while it stays in the cache and the
        database named it active less than ACTIVE_RECHECK_SECONDS ago."""
        cached = self._cache.get(guild_id)
        if cached is not None and self._confirmed_lately(guild_id):
            return cached.version, cached.model
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            cached = self._cache.get(guild_id)
            if cached is not None and self._confirmed_lately(guild_id):
                return cached.version, cached.model
            record = await self._versions.active(guild_id)
            if record is None or self._refused.get(guild_id) == record.version:
                self._cache.pop(guild_id, None)  # another process may have purged the guild
                return None
            if cached is not None and cached.version == record.version:
                self._confirmed[guild_id] = self._clock()
                return cached.version, cached.model
            try:
                loaded = await asyncio.to_thread(self._load, guild_id, record.version)
            except ModelStoreError as exc:
                # Once: the file is not read again, nor the failure logged again, until a new version.
                _LOGGER.error("guild %s: active model %s refused: %s", guild_id, record.version, exc)
                self._refused[guild_id] = record.version
                return None
            self._remember(guild_id, loaded)
            return loaded.version, loaded.model

    def _confirmed_lately(self, guild_id: int) -> bool:
        confirmed = self._confirmed.get(guild_id)
        return confirmed is not None and self._clock() - confirmed < self._recheck_after

    def _load(self, guild_id: int, version: str) -> _Loaded:
        model = self.store(guild_id).load(version)
        return _Loaded(version, model, approximate_bytes(model))

    def _remember(self, guild_id: int, loaded: _Loaded) -> None:
        self._cache.pop(guild_id, None)
        if loaded.size > self._cache.maxsize:
            # Still served, from its file each time: say so, since answers will be slower.
            _LOGGER.warning(
                "guild %s: model %s (~%d MB) is larger than MODEL_CACHE_MB and is not kept in memory",
                guild_id,
                loaded.version,
                loaded.size // 2**20,
            )
            return
        self._cache[guild_id] = loaded  # evicts the least recently used models beyond the budget
        self._confirmed[guild_id] = self._clock()

    @property
    def cached_bytes(self) -> int:
        """The estimated memory of the models held now (at most MODEL_CACHE_MB)."""
        return int(self._cache.currsize)

    def forget(self, guild_id: int) -> None:
        """The guild's data is gone: nothing of it stays in memory."""
        self._cache.pop(guild_id, None)
        self._refused.pop(guild_id, None)
        self._confirmed.pop(guild_id, None)

    async def reload(self, guild_id: int) -> None:
        """Another process made a new version active: the next `current` reads it. After any load under
        way, so that load cannot put the old model back in the cache."""
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            self.forget(guild_id)

    def refused(self, guild_id: int) -> str | None:
        """The guild's active version when it failed its integrity check (so nothing answers with it)."""
        return self._refused.get(guild_id)

    async def publish(
        self,
        guild_id: int,
        model: TrainedModel,
        version: str,
        *,
        job_id: int | None,
        metrics: dict[str, object],
    ) -> None:
        """Make a saved version the guild's model: one database transaction, then the in-memory switch."""
        size = await asyncio.to_thread(approximate_bytes, model)
        # Under the guild's lock, so a load of the previous version that is under way cannot land after
        # the switch and bring the old model back.
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            await self._versions.add(guild_id, version, job_id=job_id, metrics=dict(metrics), activate=True)
            await asyncio.to_thread(self.store(guild_id).activate, version)
            self._remember(guild_id, _Loaded(version, model, size))
            self._refused.pop(guild_id, None)
        _LOGGER.info("guild %s now answers with model %s", guild_id, version)
        await self.tidy(guild_id, active=version)

    async def tidy(self, guild_id: int, *, active: str | None = None) -> None:
        """Remove the guild's crash leftovers and versions beyond MODEL_KEEP_VERSIONS (never the active
        one: `active`, or the one the database names)."""
        if active is None:
            record = await self._versions.active(guild_id)
            active = record.version if record is not None else None
        protect = {active} if active is not None else set()
        removed = await asyncio.to_thread(self.store(guild_id).tidy, keep=self._keep, protect=protect)
        if removed:
            _LOGGER.info("guild %s: removed %d old or unfinished model file(s)", guild_id, len(removed))

    async def tidy_all(self, held: Callable[[int], bool] = lambda guild_id: True) -> None:
        """At start-up: every guild that has a workspace and that this process holds. A guild held by
        another process may be saving a version that is not active yet: only its holder tidies it."""
        for guild_id in await asyncio.to_thread(self._workspaces.guild_ids):
            if held(guild_id):
                await self.tidy(guild_id)
