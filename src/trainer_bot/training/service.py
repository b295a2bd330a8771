"""`/train`'s work: keep the new data, gather the guild's pool, then train a new version in a background job."""

from __future__ import annotations

from dataclasses import dataclass

from trainer_bot.i18n import t
from trainer_bot.storage import ConversationRepository, DatasetSource, JobRepository, TrainingJob
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog, NoTrainingData, SelectedDataset, UploadedFile
from trainer_bot.training.jobs import JobRunner, UpdateCallback
from trainer_bot.training.parsing import ParsedDataset, label_from_positive
from trainer_bot.training.queues import LocalQueue, TrainingOrder, TrainingQueue
from trainer_bot.training.work import TrainingWork


@dataclass(frozen=True)
class TrainingRequest:
    guild_id: int
    user_id: int
    channel_id: int | None
    inline: str | None = None
    data_dir: str | None = None
    upload: UploadedFile | None = None
    positive: bool = True
    force: bool = False  # make the new version live even when the active one scores better


@dataclass(frozen=True)
class _NewData:
    name: str
    source: DatasetSource
    parsed: ParsedDataset


class TrainingService:
    def __init__(
        self,
        catalog: DatasetCatalog,
        runner: TrainingQueue | JobRunner,
        jobs: JobRepository,
        models: ActiveModels,
        conversations: ConversationRepository,
    ) -> None:
        """`runner`: where jobs run; a bare JobRunner runs them in this process's threads."""
        self._catalog = catalog
        self._work = TrainingWork(catalog, models, conversations)
        self._queue = LocalQueue(runner, self._work) if isinstance(runner, JobRunner) else runner
        self._jobs = jobs

    async def start(self, request: TrainingRequest, on_update: UpdateCallback | None = None) -> TrainingJob:
        """Validate and keep the new data, then queue training on the guild's whole selected pool.

        Data given to /train joins the pool (so positives and negatives can arrive in separate calls);
        a malformed file raises before anything is stored or queued. Members' corrections join as
        prompt/response pairs.
        """
        label = label_from_positive(request.positive)
        # Parse everything first: one malformed source refuses the whole request and stores nothing.
        new = await self._parse(request, label)
        fresh: dict[int, ParsedDataset] = {}
        for item in new:
            dataset = await self._catalog.register(
                request.guild_id,
                request.user_id,
                item.parsed,
                name=item.name,
                source=item.source,
                default_label=label,
                selected=True,
            )
            fresh[dataset.id] = item.parsed
        pool = await self._catalog.selected(request.guild_id)
        if not pool and not await self._work.correction_pairs(request.guild_id):
            raise NoTrainingData(
                t(
                    "There is no training data yet. Attach a file, type examples in `data`, give a workspace "
                    "folder in `data_dir`, or select one with /select_dataset."
                )
            )
        order = TrainingOrder(
            guild_id=request.guild_id,
            requested_by=request.user_id,
            channel_id=request.channel_id,
            dataset_ids=[dataset.id for dataset in pool],
            force=request.force,
            fresh=fresh,
        )
        job_id = await self._queue.submit(order, on_update)
        job = await self._jobs.get(request.guild_id, job_id)
        assert job is not None
        return job

    async def _parse(self, request: TrainingRequest, label: str) -> list[_NewData]:
        new: list[_NewData] = []
        if request.inline and request.inline.strip():
            parsed = await self._catalog.parse_inline(request.inline, default_label=label)
            new.append(_NewData("inline", DatasetSource.INLINE, parsed))
        if request.upload is not None:
            parsed = await self._catalog.parse_upload(request.upload, default_label=label)
            new.append(_NewData(request.upload.filename, DatasetSource.UPLOAD, parsed))
        if request.data_dir:
            parsed = await self._catalog.parse_workspace_directory(
                request.guild_id, request.data_dir, default_label=label
            )
            new.append(_NewData(request.data_dir.strip("/"), DatasetSource.DIRECTORY, parsed))
        return new

    async def select_dataset(
        self, guild_id: int, user_id: int, path: str, *, positive: bool
    ) -> SelectedDataset:
        """/select_dataset: a workspace folder joins the pool the next /train trains on."""
        return await self._catalog.select_directory(guild_id, user_id, path, positive=positive)

    async def job(self, guild_id: int, job_id: int) -> TrainingJob | None:
        return await self._jobs.get(guild_id, job_id)

    async def recent_jobs(self, guild_id: int, limit: int = 10) -> list[TrainingJob]:
        return await self._jobs.recent(guild_id, limit)
