"""What a /train job does, rebuilt from the job's row alone, so the bot's threads and a worker process
(`trainer-bot worker`) run the same training: the datasets the row names (stored files in the guild's
workspace), the guild's corrections, the active model to beat (unless the row says `force`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from trainer_bot.ml import TrainedModel, score, train_model
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.ml.fitting import holdout_examples
from trainer_bot.storage import ConversationRepository, TrainingJob
from trainer_bot.training import stored
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.jobs import JobContext, JobOutcome, Work
from trainer_bot.training.parsing import ParsedDataset


@dataclass(frozen=True)
class TrainingInput:
    data: ParsedDataset
    incumbent: tuple[str, TrainedModel] | None  # the active (version, model) the new one must beat


class TrainingWork:
    def __init__(
        self, catalog: DatasetCatalog, models: ActiveModels, conversations: ConversationRepository
    ) -> None:
        self._catalog = catalog
        self._models = models
        self._conversations = conversations

    async def correction_pairs(self, guild_id: int) -> list[Pair]:
        corrections = await self._conversations.corrections_for_guild(guild_id)
        return [Pair(c.prompt, c.corrected_answer) for c in corrections if c.prompt.strip()]

    async def gather(
        self,
        guild_id: int,
        dataset_ids: Sequence[int],
        *,
        force: bool,
        already_parsed: Mapping[int, ParsedDataset] | None = None,
    ) -> TrainingInput:
        """Everything the fit reads, loaded on the event loop (files in worker threads)."""
        datasets = await self._catalog.by_ids(guild_id, dataset_ids)
        data = await self._catalog.load(guild_id, datasets, already_parsed=already_parsed)
        data = data.merge(ParsedDataset(examples=[], pairs=await self.correction_pairs(guild_id)))
        incumbent = None if force else await self._models.current(guild_id)
        return TrainingInput(data, incumbent)

    async def for_job(self, job: TrainingJob) -> Work:
        """The job's blocking work, from its row."""
        gathered = await self.gather(job.guild_id, job.dataset_ids, force=job.force)
        return partial(self.fit, gathered)

    def fit(self, gathered: TrainingInput, context: JobContext) -> JobOutcome:
        """Runs in a worker thread; the new version goes live in the commit step, only once it is saved,
        and only if it does at least as well as the active one on the same held-out examples."""
        data = gathered.data
        model, report = train_model(
            data.examples, data.pairs, progress=lambda f, s: context.progress(0.9 * f, s)
        )
        # Notes go to a JSON column and may be read later in another language: kept as msgid and fields.
        metrics: dict[str, Any] = dataclasses.asdict(report) | {
            "notes": [stored.to_json(note) for note in report.notes]
        }
        if gathered.incumbent is not None and report.accuracy is not None:
            context.progress(0.92, "comparing with the active model")
            kept = _better_incumbent(gathered.incumbent, data.examples, report.accuracy)
            if kept is not None:
                return JobOutcome(metrics=metrics | kept)
        context.progress(0.96, "saving the model")
        version = self._models.store(context.guild_id).save(model)

        async def go_live() -> None:
            await self._models.publish(
                context.guild_id, model, version, job_id=context.job_id, metrics=metrics
            )

        return JobOutcome(metrics=metrics, model_version=version, commit=go_live)


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
