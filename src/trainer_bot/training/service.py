"""`/train`'s work: gather the guild's data, then train a new model version in a background job."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

from trainer_bot.chat.conversation import ConversationService
from trainer_bot.ml import TrainingError, train_model
from trainer_bot.storage import Dataset, DatasetSource, JobRepository, TrainingJob
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog, NoTrainingData, UploadedFile
from trainer_bot.training.jobs import JobOutcome, JobRunner, ProgressCallback, UpdateCallback
from trainer_bot.training.parsing import ParsedDataset, label_from_positive


@dataclass(frozen=True)
class TrainingRequest:
    guild_id: int
    user_id: int
    channel_id: int | None
    inline: str | None = None
    data_dir: str | None = None
    upload: UploadedFile | None = None
    positive: bool = True


@dataclass
class _JobIdentity:
    """The job id only exists once the job is queued, after the work closure was built."""

    id: int | None = None


class TrainingService:
    def __init__(
        self,
        catalog: DatasetCatalog,
        runner: JobRunner,
        jobs: JobRepository,
        models: ActiveModels,
        conversation: ConversationService,
    ) -> None:
        self._catalog = catalog
        self._runner = runner
        self._jobs = jobs
        self._models = models
        self._conversation = conversation

    async def start(self, request: TrainingRequest, on_update: UpdateCallback | None = None) -> TrainingJob:
        """Validate and keep the new data, then queue training on the guild's whole selected pool.

        Data given to /train joins the pool (so positives and negatives can arrive in separate calls);
        a malformed file raises before anything is stored or queued. Members' corrections join as
        prompt/response pairs.
        """
        await self._add_to_pool(request)
        pool = await self._catalog.selected(request.guild_id)
        corrections = await self._conversation.correction_pairs(request.guild_id)
        if not pool and not corrections:
            raise NoTrainingData(
                "There is no training data yet. Attach a file, type examples in `data`, give a workspace "
                "folder in `data_dir`, or select one with /select_dataset."
            )
        data = await self._catalog.load(request.guild_id, pool)
        data = data.merge(ParsedDataset(examples=[], pairs=corrections))
        identity = _JobIdentity()
        loop = asyncio.get_running_loop()

        def work(progress: ProgressCallback) -> JobOutcome:
            return self._train(request.guild_id, data, identity, loop, progress)

        identity.id = await self._runner.submit(
            request.guild_id,
            request.user_id,
            request.channel_id,
            work,
            dataset_ids=[dataset.id for dataset in pool],
            on_update=on_update,
            user_errors=(TrainingError,),
        )
        job = await self._jobs.get(request.guild_id, identity.id)
        assert job is not None
        return job

    async def _add_to_pool(self, request: TrainingRequest) -> list[Dataset]:
        label = label_from_positive(request.positive)
        sources: list[tuple[str, DatasetSource, ParsedDataset]] = []
        # Parse everything first: one malformed source refuses the whole request and stores nothing.
        if request.inline and request.inline.strip():
            sources.append(
                (
                    "inline",
                    DatasetSource.INLINE,
                    await self._catalog.parse_inline(request.inline, default_label=label),
                )
            )
        if request.upload is not None:
            parsed = await self._catalog.parse_upload(request.upload, default_label=label)
            sources.append((request.upload.filename, DatasetSource.UPLOAD, parsed))
        if request.data_dir:
            parsed = await self._catalog.parse_workspace_directory(
                request.guild_id, request.data_dir, default_label=label
            )
            sources.append((request.data_dir.strip("/"), DatasetSource.DIRECTORY, parsed))
        return [
            await self._catalog.register(
                request.guild_id,
                request.user_id,
                parsed,
                name=name,
                source=source,
                default_label=label,
                selected=True,
            )
            for name, source, parsed in sources
        ]

    def _train(
        self,
        guild_id: int,
        data: ParsedDataset,
        identity: _JobIdentity,
        loop: asyncio.AbstractEventLoop,
        progress: ProgressCallback,
    ) -> JobOutcome:
        """Runs in a worker thread. The new version goes live only after training and saving succeeded."""
        model, report = train_model(data.examples, data.pairs, progress=lambda f, s: progress(0.95 * f, s))
        progress(0.96, "saving the model")
        version = self._models.store(guild_id).save(model)
        metrics: dict[str, Any] = dataclasses.asdict(report)
        publish = self._models.publish(guild_id, model, version, job_id=identity.id, metrics=metrics)
        asyncio.run_coroutine_threadsafe(publish, loop).result()
        return JobOutcome(metrics=metrics, model_version=version)

    async def job(self, guild_id: int, job_id: int) -> TrainingJob | None:
        return await self._jobs.get(guild_id, job_id)

    async def recent_jobs(self, guild_id: int, limit: int = 10) -> list[TrainingJob]:
        return await self._jobs.recent(guild_id, limit)
