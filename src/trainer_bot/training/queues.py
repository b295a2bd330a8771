"""Where a /train job is handed: the bot's own threads (`LocalQueue`), or a task queue that worker
processes run (`training.procrastinate_queue`). The service sees only `TrainingQueue`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from trainer_bot.ml import TrainingError
from trainer_bot.training.jobs import JobRunner, UpdateCallback
from trainer_bot.training.parsing import ParsedDataset
from trainer_bot.training.work import TrainingWork


@dataclass(frozen=True)
class TrainingOrder:
    guild_id: int
    requested_by: int
    channel_id: int | None
    dataset_ids: list[int]
    force: bool = False
    # Parsed by the bot a moment ago: a runner in this process need not read their stored copies back.
    fresh: Mapping[int, ParsedDataset] = field(default_factory=dict)


class TrainingQueue(Protocol):
    async def submit(self, order: TrainingOrder, on_update: UpdateCallback | None = None) -> int:
        """Store the job (queued) and return its id at once; `on_update` hears every later change of it,
        in order, wherever the job runs."""
        ...


class LocalQueue:
    """Jobs in this process's worker threads; the data is gathered before the job is stored, as ever."""

    def __init__(self, runner: JobRunner, work: TrainingWork) -> None:
        self._runner = runner
        self._work = work

    async def submit(self, order: TrainingOrder, on_update: UpdateCallback | None = None) -> int:
        gathered = await self._work.gather(
            order.guild_id, order.dataset_ids, force=order.force, already_parsed=order.fresh
        )
        return await self._runner.submit(
            order.guild_id,
            order.requested_by,
            order.channel_id,
            lambda context: self._work.fit(gathered, context),
            dataset_ids=order.dataset_ids,
            force=order.force,
            on_update=on_update,
            user_errors=(TrainingError,),
        )
