"""The composition root: builds the GatewayBot, the lightbulb client and every service, and owns start/stop.

Nothing else constructs services; commands receive them through lightbulb's dependency injection.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import pkgutil
import signal
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import hikari
import lightbulb

from trainer_bot import plugins
from trainer_bot.chat.answering import ChatFlow
from trainer_bot.chat.conversation import ConversationService
from trainer_bot.chat.generating import ModelAnswers
from trainer_bot.chat.instructions import InstructionSource
from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.config import Settings
from trainer_bot.i18n import Translations, Translator
from trainer_bot.llm.embedded import EmbeddedModel
from trainer_bot.llm.engine import LanguageModelError
from trainer_bot.llm.factory import language_model_for
from trainer_bot.plugins import _pipeline as pipeline
from trainer_bot.plugins._language import caller_translator, command_localizations
from trainer_bot.plugins._resumed_jobs import ResumedJobAnnouncer
from trainer_bot.plugins._voice_gateway import HikariVoiceGateway
from trainer_bot.speech.audio_server import AudioServer
from trainer_bot.speech.listening import Listening
from trainer_bot.speech.stt import transcriber_for
from trainer_bot.speech.tts import synthesizer_for
from trainer_bot.speech.whisper_models import ModelUnavailable, resolve_model
from trainer_bot.startup import StartupError, check_discord, open_database
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    GuildSettingsRepository,
    JobRepository,
    ModelVersionRepository,
    PrivacyRepository,
    TestRunRepository,
)
from trainer_bot.storage.notices import ForgottenListener, announce_forgotten
from trainer_bot.training.active_models import ActiveModels, signing_key
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.evaluation import TestService
from trainer_bot.training.jobs import JobRunner
from trainer_bot.training.parsing import DatasetLimits
from trainer_bot.training.queues import TrainingQueue
from trainer_bot.training.service import TrainingService
from trainer_bot.voice.lavalink_link import NodeAddress
from trainer_bot.voice.service import VoiceService
from trainer_bot.voice.speaking import Speaking
from trainer_bot.workspace.paths import Workspaces
from trainer_bot.workspace.service import FileService

if TYPE_CHECKING:
    import linkd

    from trainer_bot.training.queued import QueuedJobs

_LOGGER = logging.getLogger("trainer_bot")

INTENTS = (
    hikari.Intents.GUILDS
    | hikari.Intents.GUILD_VOICE_STATES
    | hikari.Intents.GUILD_MESSAGES
    | hikari.Intents.DM_MESSAGES
    | hikari.Intents.MESSAGE_CONTENT
)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def plugin_modules() -> list[str]:
    """Every extension in `trainer_bot.plugins`, in a stable order (lightbulb's own listing is unsorted)."""
    return sorted(
        f"{plugins.__name__}.{info.name}"
        for info in pkgutil.iter_modules(plugins.__path__)
        if not info.name.startswith("_")
    )


def _freeze_start_up_heap() -> None:
    """Move what start-up built into the collector's permanent generation.

    After start-up the heap holds ~220k tracked objects (modules, hikari/lightbulb/numpy/sklearn state,
    caches) that live as long as the process. Every full collection scans them all: 130-160 ms on a small
    server, spent while a slash command waits, so it was the whole of /hi's p99. Frozen objects are never
    scanned again, and are still freed by reference counting if they do go. No collection first: it found
    34 garbage objects among 171k and cost 114 ms of every start, before READY.
    """
    gc.freeze()


class TrainerBot:
    def __init__(self, settings: Settings, *, extra_extensions: Sequence[str] = ()) -> None:
        self.settings = settings
        self.bot = hikari.GatewayBot(
            settings.require_token(),
            intents=INTENTS,
            rest_url=settings.discord_api_url,
            logs=None,  # logging is configured once, by the CLI
            banner=None,
        )
        # Read before the client: command registration takes its localizations from the same catalogues.
        self.translations = Translations.load()
        self.client = lightbulb.client_from_app(
            self.bot,
            default_enabled_guilds=settings.dev_guilds,  # empty: lightbulb registers globally
            # One process registers the commands; the others only answer them (SYNC_COMMANDS).
            sync_commands=settings.syncs_commands,
            hooks=list(pipeline.INVOCATION_HOOKS),
            localization_provider=command_localizations(self.translations),
        )
        self.client.error_handler(pipeline.handle_command_error)
        self._extensions = [*plugin_modules(), *extra_extensions]
        self._resources = contextlib.AsyncExitStack()
        # Closed while the gateway is still up: leaving voice channels goes through it.
        self._gateway_users = contextlib.AsyncExitStack()
        self._queued: QueuedJobs | None = None  # JOB_QUEUE=procrastinate: the jobs this process follows
        self._ready = asyncio.Event()  # set once the gateway is ready: work that can wait starts then
        self._preferences: GuildPreferences | None = None
        self.bot.subscribe(hikari.StartingEvent, self._on_starting)
        self.bot.subscribe(hikari.StoppingEvent, self._on_stopping)
        self.bot.subscribe(hikari.ShardReadyEvent, self._on_ready)

    # -- services ---------------------------------------------------------------------------------------
    async def _open_services(self) -> None:
        """Build every service; each one that holds resources is closed by `stop`, in reverse order."""
        settings = self.settings
        layout = settings.layout
        registry = self.client.di.registry_for(lightbulb.di.Contexts.DEFAULT)
        registry.register_value(Settings, settings)
        registry.register_value(Translations, self.translations)
        # Every command answers in its caller's language: `translator: Translator` in an invoke method.
        commands = self.client.di.registry_for(lightbulb.di.Contexts.COMMAND)
        commands.register_factory(Translator, caller_translator)
        registry.register_value(InstructionSource, InstructionSource(settings.instruction_file))

        database = await open_database(settings)  # DATA_DIR and the database, both writable
        self._resources.push_async_callback(database.close)
        workspaces = Workspaces(layout)
        models = ActiveModels(
            workspaces,
            ModelVersionRepository(database),
            signing_key(layout.signing_key_file),
            keep_versions=settings.model_keep_versions,
            cache_bytes=settings.model_cache_mb * 1024 * 1024,
        )
        # Only this process's guilds: another process may be writing its own guilds' files right now.
        await models.tidy_all(settings.shards.holds)
        if leftovers := await asyncio.to_thread(workspaces.remove_leftovers, settings.shards.holds):
            _LOGGER.info("removed %d half-written file(s) a crash left in workspaces", leftovers)
        await self._open_training(registry, database, workspaces, models)
        preferences = GuildPreferences(
            GuildSettingsRepository(database),
            languages=settings.stt_languages,
            default_voice=settings.tts_voice,
        )
        registry.register_value(GuildPreferences, preferences)
        self._preferences = preferences
        listening = Listening(transcriber_for(settings), preferences, max_bytes=settings.stt_max_bytes)
        self._resources.push_async_callback(listening.close)
        registry.register_value(Listening, listening)
        voice = await self._open_voice(registry, preferences)
        conversation = ConversationService(ConversationRepository(database), models)
        registry.register_value(ConversationService, conversation)
        await self._open_privacy(registry, database, workspaces, conversation, models)
        if not settings.stt_url:
            self._background(self._report_speech_model(), "speech model check")
        speaking = Speaking(synthesizer_for(settings), voice, preferences)
        writer = await self._open_language_model(conversation, preferences)
        chat = ChatFlow(conversation, listening, speaking, mode=settings.chat_mode, writer=writer)
        self._gateway_users.push_async_callback(chat.close)  # before voice: it may still be speaking
        registry.register_value(ChatFlow, chat)

    async def _open_language_model(
        self, conversation: ConversationService, preferences: GuildPreferences
    ) -> ModelAnswers | None:
        """The language model that writes answers (LLM), grounded in each guild's own teaching."""
        settings = self.settings
        model = language_model_for(settings)
        if model is None:
            return None
        self._resources.push_async_callback(model.close)
        _LOGGER.info("chat answers are written by %s", model.name)
        if isinstance(model, EmbeddedModel):
            # Loaded once the gateway is ready rather than before (importing llama.cpp and mapping the
            # file took ~0.4 s, and beside the start it slowed READY by as much): a wrong LLM_MODEL is
            # still said within a second of READY, and an answer asked for meanwhile waits for this load.
            self._background(self._load_language_model(model, after=self._ready), "load-language-model")
        return ModelAnswers(
            model,
            conversation,
            preferences,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout_seconds,
            per_guild_per_minute=settings.llm_guild_answers_per_minute,
            context_tokens=settings.llm_context_tokens,
        )

    @staticmethod
    async def _load_language_model(model: EmbeddedModel, *, after: asyncio.Event) -> None:
        """Loaded once `after` is set (the gateway is ready), so a wrong LLM_MODEL file is said at once and
        the first answer is not slower."""
        await after.wait()
        try:
            await model.load()
        except LanguageModelError as exc:
            _LOGGER.error(
                "LLM_MODEL cannot be used: %s. Answers come from what was taught until it is fixed.", exc
            )

    async def _report_speech_model(self) -> None:
        """Said at start, not at the first voice message: STT_MODEL names nothing usable."""
        settings = self.settings
        try:
            await asyncio.to_thread(
                resolve_model, settings.stt_model, cache_dir=settings.layout.whisper_cache
            )
        except ModelUnavailable as exc:
            _LOGGER.error("STT_MODEL cannot be used: %s. Voice messages get an error until it is fixed.", exc)

    def _background(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._resources.push_async_callback(_cancel, task)

    async def _open_privacy(
        self,
        registry: linkd.Registry,
        database: Database,
        workspaces: Workspaces,
        conversation: ConversationService,
        models: ActiveModels,
    ) -> None:
        def forgotten(guild_id: int | None) -> None:
            conversation.forget_caches(guild_id)
            if guild_id is not None:
                models.forget(guild_id)

        privacy = PrivacyService(
            PrivacyRepository(database),
            GuildSettingsRepository(database),
            workspaces,
            retention_days=self.settings.retention_days,
            grace_days=self.settings.guild_data_grace_days,
            on_forgotten=forgotten,
            tell_others=lambda guild_id: announce_forgotten(database, guild_id),
            several_processes=not self.settings.shards.everything,
        )
        registry.register_value(PrivacyService, privacy)
        # Deletions made by the other bot processes on the same PostgreSQL (storage.notices).
        listener = ForgottenListener(database, forgotten)
        listener.start()
        self._resources.push_async_callback(listener.close)
        self._background(privacy.run_daily(), "housekeeping")

    async def _open_training(
        self, registry: linkd.Registry, database: Database, workspaces: Workspaces, models: ActiveModels
    ) -> None:
        limits = DatasetLimits(max_file_bytes=self.settings.max_upload_bytes)
        catalog = DatasetCatalog(DatasetRepository(database), workspaces, limits)
        jobs = JobRepository(database)
        runner = await self._open_job_queue(jobs, models)
        files = FileService(workspaces, quota_bytes=self.settings.workspace_max_bytes)
        registry.register_value(FileService, files)
        training = TrainingService(catalog, runner, jobs, models, ConversationRepository(database))
        registry.register_value(TrainingService, training)
        registry.register_value(TestService, TestService(models, TestRunRepository(database), limits))

    async def _open_job_queue(self, jobs: JobRepository, models: ActiveModels) -> TrainingQueue | JobRunner:
        """The bot's threads, or the task queue `trainer-bot worker` runs (imported only then)."""
        if not self.settings.queued_jobs:
            runner = JobRunner(jobs, max_concurrent=self.settings.training_workers)
            await runner.start()
            self._resources.push_async_callback(runner.close)
            return runner
        from trainer_bot.training.queued import QueuedJobs
        from trainer_bot.training.task_queue import ensure_schema, make_app

        assert self.settings.database_url is not None
        app = make_app(self.settings.database_url)
        await app.open_async()
        self._resources.push_async_callback(app.close_async)
        await ensure_schema(self.settings.database_url, app)
        self._queued = queued = QueuedJobs(app, jobs, models)
        self._resources.push_async_callback(queued.close)
        _LOGGER.info("training jobs go to the task queue: run `trainer-bot worker` to train")
        return queued

    async def _open_voice(self, registry: linkd.Registry, preferences: GuildPreferences) -> VoiceService:
        """The audio server Lavalink fetches speech from, and the Lavalink node's client."""
        settings = self.settings
        audio = AudioServer(settings.audio_host, settings.audio_port, settings.audio_public_url)
        if settings.voice_enabled:  # otherwise nothing is spoken, and AUDIO_PORT stays free
            await audio.start()
            self._resources.push_async_callback(audio.stop)
        else:
            _LOGGER.info("voice is off: set LAVALINK_PASSWORD (or LAVALINK_NODES) to speak in voice channels")
        discord = HikariVoiceGateway(self.bot, self.translations, preferences)
        nodes = [
            NodeAddress(host, port, password, name=f"node-{number}")
            for number, (host, port, password) in enumerate(settings.lavalink_addresses(), start=1)
        ]
        voice = VoiceService(
            discord,
            audio,
            nodes=nodes,
            user_id=settings.bot_user_id(),
            notices=discord,
            idle_timeout=settings.voice_idle_seconds,
            start_timeout=settings.voice_start_seconds,
            end_margin=settings.voice_end_margin_seconds,
        )
        await voice.start()
        self._gateway_users.push_async_callback(voice.close)
        registry.register_value(VoiceService, voice)
        return voice

    async def _close_services(self) -> None:
        await self._resources.aclose()

    # -- extensions -------------------------------------------------------------------------------------
    async def _load_extensions(self) -> None:
        """Import every extension first: lightbulb only logs a failed import, then deletes its commands."""
        for name in self._extensions:
            try:
                importlib.import_module(name)
            except Exception as exc:
                raise StartupError(f"extension {name} failed to import: {exc!r}") from exc
        await self.client.load_extensions(*self._extensions)
        missing = [name for name in self._extensions if name not in self.client._extensions]
        if missing:
            raise StartupError(f"extensions failed to load (see the log above): {', '.join(missing)}")

    # -- lifecycle --------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open services, load commands and connect; returns once the gateway is ready and commands synced."""
        await check_discord(self.settings)
        await self._open_services()
        await self._load_extensions()
        shards = self.settings.shards
        _LOGGER.info(
            "holding %s; %s the commands",
            shards.describe(),
            "syncing" if self.settings.syncs_commands else "another process syncs",
        )
        # hikari asks for a count with ids; both None: every shard of Discord's recommended count.
        await self.bot.start(check_for_updates=False, shard_ids=shards.ids or None, shard_count=shards.count)
        await self._resume_jobs()
        _freeze_start_up_heap()
        self._ready.set()

    async def _resume_jobs(self) -> None:
        """The workers ran on while this process was down: follow its guilds' unfinished jobs again, and
        tell each job's channel how it ends (the members' replies died with the old process's interactions)."""
        if self._queued is None:
            return
        assert self._preferences is not None
        announcer = ResumedJobAnnouncer(self.bot.rest, self.bot.cache, self.translations, self._preferences)
        if resumed := await self._queued.resume(self.settings.shards.holds, announcer):
            _LOGGER.info("following %d unfinished training job(s) again", resumed)

    async def stop(self) -> None:
        await self._gateway_users.aclose()
        if self.bot.is_alive:
            await self.bot.close()
        await self._close_services()

    async def serve(self) -> None:
        """Run until SIGINT/SIGTERM or until the gateway closes, then shut down cleanly."""
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop_requested.set)
        try:
            await self.start()
            gateway_closed = asyncio.ensure_future(self.bot.join())
            stop_wait = asyncio.ensure_future(stop_requested.wait())
            await asyncio.wait({gateway_closed, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            if stop_requested.is_set():
                _LOGGER.info("shutting down")
        finally:
            await self.stop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    async def _on_starting(self, _: hikari.StartingEvent) -> None:
        await self.client.start()

    async def _on_stopping(self, _: hikari.StoppingEvent) -> None:
        await self.client.stop()

    async def _on_ready(self, event: hikari.ShardReadyEvent) -> None:
        user = event.my_user
        _LOGGER.info("ready as %s (%s) in %d guilds", user.username, user.id, len(event.unavailable_guilds))

    def __repr__(self) -> str:
        return f"TrainerBot(api={self.settings.discord_api_url!r}, guilds={self.settings.dev_guilds!r})"
