"""`/train`'s work: keep the new data, gather the guild's pool, then train a new version in a background job."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from trainer_bot.i18n import t
from trainer_bot.ml import TrainedModel, TrainingError, score, train_model
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.ml.fitting import holdout_examples
from trainer_bot.storage import ConversationRepository, DatasetSource, JobRepository, TrainingJob
from trainer_bot.training import stored
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog, NoTrainingData, SelectedDataset, UploadedFile
from trainer_bot.training.jobs import JobContext, JobOutcome, JobRunner, UpdateCallback
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
        runner: JobRunner,
        jobs: JobRepository,
        models: ActiveModels,
        conversations: ConversationRepository,
    ) -> None:
        self._catalog = catalog
        self._runner = runner
        self._jobs = jobs
        self._models = models
        self._conversations = conversations

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
        corrections = await self._correction_pairs(request.guild_id)
        if not pool and not corrections:
            raise NoTrainingData(
                t(
                    "There is no training data yet. Attach a file, type examples in `data`, give a workspace "
                    "folder in `data_dir`, or select one with /select_dataset."
                )
            )
        data = await self._catalog.load(request.guild_id, pool, already_parsed=fresh)
        data = data.merge(ParsedDataset(examples=[], pairs=corrections))
        incumbent = None if request.force else await self._models.current(request.guild_id)
        job_id = await self._runner.submit(
            request.guild_id,
            request.user_id,
            request.channel_id,
            lambda context: self._train(context, data, incumbent),
            dataset_ids=[dataset.id for dataset in pool],
            on_update=on_update,
            user_errors=(TrainingError,),
        )
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

    async def _correction_pairs(self, guild_id: int) -> list[Pair]:
        corrections = await self._conversations.corrections_for_guild(guild_id)
        return [Pair(c.prompt, c.corrected_answer) for c in corrections if c.prompt.strip()]

    def _train(
        self, context: JobContext, data: ParsedDataset, incumbent: tuple[str, TrainedModel] | None
    ) -> JobOutcome:
        """Runs in a worker thread; the new version goes live in the commit step, only once it is saved,
        and only if it does at least as well as the active one on the same held-out examples."""
        model, report = train_model(
            data.examples, data.pairs, progress=lambda f, s: context.progress(0.9 * f, s)
        )
        # Notes go to a JSON column and may be read later in another language: kept as msgid and fields.
        metrics: dict[str, Any] = dataclasses.asdict(report) | {
            "notes": [stored.to_json(note) for note in report.notes]
        }
        if incumbent is not None and report.accuracy is not None:
            context.progress(0.92, "comparing with the active model")
            kept = _better_incumbent(incumbent, data.examples, report.accuracy)
            if kept is not None:
                return JobOutcome(metrics=metrics | kept)
        context.progress(0.96, "saving the model")
        version = self._models.store(context.guild_id).save(model)

        async def go_live() -> None:
            await self._models.publish(
                context.guild_id, model, version, job_id=context.job_id, metrics=metrics
            )

        return JobOutcome(metrics=metrics, model_version=version, commit=go_live)

    async def select_dataset(
        self, guild_id: int, user_id: int, path: str, *, positive: bool
    ) -> SelectedDataset:
        """/select_dataset: a workspace folder joins the pool the next /train trains on."""
        return await self._catalog.select_directory(guild_id, user_id, path, positive=positive)

    async def job(self, guild_id: int, job_id: int) -> TrainingJob | None:
        return await self._jobs.get(guild_id, job_id)

    async def recent_jobs(self, guild_id: int, limit: int = 10) -> list[TrainingJob]:
        return await self._jobs.recent(guild_id, limit)


def _better_incumbent(
    incumbent: tuple[str, TrainedModel], examples: list[Example], new_accuracy: float
) -> dict[str, Any] | None:
    """What to record when the active model beats the new one on the new one's held-out examples."""
    version, model = incumbent
    held_out = holdout_examples(examples)
    if not model.has_classifier or not held_out:
        return None
    predicted = [prediction.label for prediction in model.predict([example.text for example in held_out])]
    accuracy = score([example.label for example in held_out], predicted).accuracy
    if accuracy <= new_accuracy:
        return None
    return {"kept_version": version, "kept_accuracy": accuracy}
