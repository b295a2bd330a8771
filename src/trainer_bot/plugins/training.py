"""`/train`, `/test` and `/jobs`: teach the guild's model and see how well it does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

import hikari
import lightbulb

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.config import Settings
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, Translations, Translator, command_text, t
from trainer_bot.plugins._attachments import read_upload, upload_limit
from trainer_bot.plugins._language import for_context, guild_translator
from trainer_bot.plugins._shared import (
    MANAGE_GUILD,
    NEEDS_MANAGE_GUILD,
    per_user_cooldown,
    require_guild,
    workspace_paths,
)
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.training import charts, reports
from trainer_bot.training.evaluation import TestService
from trainer_bot.training.service import TrainingRequest, TrainingService

loader = lightbulb.Loader()
_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

TRAINING_CHART = "training-results.png"
TEST_CHART = "test-results.png"
ACCURACY_CHART = "accuracy.png"


async def chart_file(draw: Callable[[T], bytes | None], subject: T, filename: str) -> hikari.Bytes | None:
    """A chart drawn in a worker thread, as an attachment; None when there is nothing to draw.

    A chart only illustrates the text, so a failure to draw one is logged and the reply goes without it.
    """
    try:
        png = await asyncio.to_thread(draw, subject)
    except Exception:
        _LOGGER.exception("could not draw %s", filename)
        return None
    return None if png is None else hikari.Bytes(png, filename)


class JobMessage:
    """Keeps the member's /train reply in step with the job (in their language); the channel hears, in the
    server's language, when a model goes live."""

    def __init__(
        self,
        ctx: lightbulb.Context,
        response_id: hikari.Snowflakeish,
        member: Translator,
        channel: Translator,
    ) -> None:
        self._ctx = ctx
        self._response_id = response_id
        self._member = member
        self._channel = channel
        self._editable = True
        self._progressed = False
        # Edits must land in the order the job produced them.
        self._lock = asyncio.Lock()

    async def show(self, text: Message | str) -> None:
        async with self._lock:
            await self._edit(text)

    async def show_queued(self, job: TrainingJob) -> None:
        """The job's first state, unless its own updates already overtook this call."""
        async with self._lock:
            if not self._progressed:
                await self._edit(reports.fitted_job_text(job, self._member))

    async def __call__(self, update: TrainingJob) -> None:
        finished = update.status is JobStatus.SUCCEEDED
        draw = partial(charts.training_chart, translator=self._member)
        figures = await chart_file(draw, update, TRAINING_CHART) if finished else None
        async with self._lock:
            self._progressed = True
            await self._edit(reports.fitted_job_text(update, self._member), figures)
        if finished and update.model_version is not None:
            await self._announce(update)

    async def _edit(self, text: Message | str, attachment: hikari.Bytes | None = None) -> None:
        if not self._editable:
            return
        try:
            await self._ctx.edit_response(
                self._response_id, self._member.render(text), attachment=attachment or hikari.UNDEFINED
            )
        except (hikari.NotFoundError, hikari.UnauthorizedError, hikari.ForbiddenError):
            self._editable = False  # the interaction token expired (15 min) or the message was dismissed

    async def _announce(self, update: TrainingJob) -> None:
        try:
            await self._ctx.client.rest.create_message(
                self._ctx.channel_id,
                self._channel.render(reports.model_live_text(update, self._ctx.user.mention)),
            )
        except hikari.HikariError as exc:
            _LOGGER.warning("could not announce model %s: %s", update.model_version, exc)


@loader.command
class Train(
    lightbulb.SlashCommand,
    name=command_text("train"),
    description=command_text("Train the server's model on new examples and everything selected before"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(60, 3)],
    localize=True,
):
    data = lightbulb.string(
        command_text("data"), command_text("Examples typed here, one per line"), default=None, localize=True
    )
    data_dir = lightbulb.string(
        command_text("data_dir"),
        command_text("A workspace folder with data files"),
        default=None,
        autocomplete=workspace_paths("dir"),
        localize=True,
    )
    positive = lightbulb.boolean(
        command_text("positive"),
        command_text("Label for examples without one: positive (default) or negative"),
        default=True,
        localize=True,
    )
    attachment = lightbulb.attachment(
        command_text("attachment"),
        command_text("A CSV, JSON, JSONL or TXT file"),
        default=None,
        localize=True,
    )
    force = lightbulb.boolean(
        command_text("force"),
        command_text("Make the new model active even if the current one scores better"),
        default=False,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        training: TrainingService = lightbulb.di.INJECTED,
        settings: Settings = lightbulb.di.INJECTED,
        translations: Translations = lightbulb.di.INJECTED,
        preferences: GuildPreferences = lightbulb.di.INJECTED,
        bot: hikari.GatewayBot = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        limit = upload_limit(ctx, settings)
        request = TrainingRequest(
            guild_id=require_guild(ctx),
            user_id=ctx.user.id,
            channel_id=ctx.channel_id,
            inline=self.data,
            data_dir=self.data_dir,
            upload=await read_upload(self.attachment, limit),
            positive=self.positive,
            force=self.force,
        )
        # Answer first so the job's updates always have a message to edit.
        member = for_context(translations, ctx)
        preparing = await ctx.respond(member.render(t("Preparing the training data…")))
        # The announcement is for the whole channel: the guild's `/settings language`, not the trainer's.
        channel = await guild_translator(translations, preferences, bot.cache, ctx.guild_id)
        message = JobMessage(ctx, preparing, member, channel)
        try:
            job = await training.start(request, on_update=message)
        except UserError as refusal:
            await message.show(refusal.message)
            return
        await message.show_queued(job)


@loader.command
class Test(
    lightbulb.SlashCommand,
    name=command_text("test"),
    description=command_text("Test the server's model on examples (JSON) and see its accuracy"),
    hooks=[per_user_cooldown(30, 3)],
    localize=True,
):
    test_data = lightbulb.string(
        command_text("test_data"),
        command_text('JSON: ["text", ...] or [{"text": "...", "label": "..."}]'),
        default=None,
        localize=True,
    )
    file = lightbulb.attachment(
        command_text("file"),
        command_text("A CSV, JSON, JSONL or TXT file of test examples"),
        default=None,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        tests: TestService = lightbulb.di.INJECTED,
        settings: Settings = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        limit = upload_limit(ctx, settings)
        items = await tests.items_from(self.test_data, await read_upload(self.file, limit))
        outcome = await tests.run(require_guild(ctx), ctx.user.id, items)
        # Off the event loop: a report over many items takes a while to render.
        text, predictions_csv = await asyncio.to_thread(
            reports.evaluation_message, outcome.model_version, outcome.result, translator
        )
        files = [hikari.Bytes(predictions_csv, "predictions.csv")] if predictions_csv is not None else []
        draw = partial(charts.evaluation_chart, translator=translator)
        figures = await chart_file(draw, outcome.result, TEST_CHART)
        files += [figures] if figures is not None else []
        await ctx.respond(text, attachments=files or hikari.UNDEFINED)


@loader.command
class Jobs(
    lightbulb.SlashCommand,
    name=command_text("jobs"),
    description=command_text("Recent training jobs, or one job in detail"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    job_id = lightbulb.integer(
        command_text("job_id"),
        command_text("A job number from /train"),
        default=None,
        min_value=1,
        localize=True,
    )
    chart = lightbulb.boolean(
        command_text("chart"),
        command_text("Attach a chart: recent models' accuracy, or the job's F1 per label"),
        default=False,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        training: TrainingService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        guild_id = require_guild(ctx)
        if self.chart:
            # The first chart loads matplotlib, which can outlast the 3 s Discord waits for an answer.
            await ctx.defer(ephemeral=True)
        if self.job_id is not None:
            job = await training.job(guild_id, self.job_id)
            if job is None:
                raise UserError(t("There is no training job #{job_id} in this server.", job_id=self.job_id))
            draw_job = partial(charts.training_chart, translator=translator)
            figures = await chart_file(draw_job, job, TRAINING_CHART) if self.chart else None
            await ctx.respond(
                reports.fitted_job_text(job, translator),
                ephemeral=True,
                attachment=figures or hikari.UNDEFINED,
            )
            return
        jobs = await training.recent_jobs(guild_id)
        if not jobs:
            await ctx.respond(
                translator.render(t("No training jobs yet: start one with /train.")), ephemeral=True
            )
            return
        text = translator.render(reports.jobs_text(jobs))
        draw_jobs = partial(charts.accuracy_chart, translator=translator)
        figures = await chart_file(draw_jobs, jobs, ACCURACY_CHART) if self.chart else None
        if self.chart and figures is None:
            text += "\n" + translator.render(t("_None of these jobs has a held-out accuracy to chart._"))
        await ctx.respond(text, ephemeral=True, attachment=figures or hikari.UNDEFINED)
