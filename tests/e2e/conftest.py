"""Run the real bot (real hikari, real lightbulb, real sockets) against the local Discord emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import Member, Message
from support.logguard import LogGuard
from trainer_bot.app import TrainerBot
from trainer_bot.config import Settings

BotFactory = Callable[..., Awaitable[TrainerBot]]


async def answer_to(emulator: DiscordEmulator, question: Message, timeout: float = 30) -> Message:
    """The bot's reply to a member's message (the first message of the answer)."""
    return await emulator.wait_for(
        lambda: next((m for m in emulator.bot_messages() if m.referenced_message_id == question.id), None),
        timeout,
        f"an answer to {question.content[:40]!r}",
    )


async def empty_postgres(url: str) -> str:
    """The run's PostgreSQL (the `postgres_url` fixture), emptied of what earlier tests left."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return url


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator()
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def lavalink_node() -> AsyncIterator[FakeLavalinkNode]:
    """A Lavalink node for every bot; audio "plays" 20x faster than real time."""
    node = FakeLavalinkNode(time_scale=0.05)
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


@pytest.fixture
async def alice(emulator: DiscordEmulator) -> Member:
    """A member with Manage Server."""
    return await emulator.add_member("alice", manage_guild=True)


@pytest.fixture
async def bob(emulator: DiscordEmulator) -> Member:
    """A member without special permissions."""
    return await emulator.add_member("bob")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings_for(
    emulator: DiscordEmulator, data_dir: Path, lavalink_node: FakeLavalinkNode
) -> Callable[..., Settings]:
    def make(*, voice: bool = True, **overrides: Any) -> Settings:
        """Settings for a bot on the emulator; `voice=False`: no Lavalink node configured at all."""
        values: dict[str, Any] = {
            "discord_token": emulator.token,
            "discord_api_url": emulator.api_url,
            "dev_guilds": (emulator.guild.id,),
            "data_dir": data_dir,
            "stt_model": "tiny.en-bundled",  # weights from a registry package: nothing is downloaded
            "tts_engines": ("espeak",),  # edge-tts would go to the internet
            "lavalink_port": lavalink_node.port,
            "lavalink_password": lavalink_node.password,
            "audio_port": 0,
            "llm": "off",  # answers from what was taught; tests of the language model turn it on
        }
        if not voice:
            del values["lavalink_port"], values["lavalink_password"]
        return Settings(**(values | overrides))

    return make


@pytest.fixture
async def start_bot(
    emulator: DiscordEmulator, settings_for: Callable[..., Settings], log_guard: LogGuard
) -> AsyncIterator[BotFactory]:
    """Start a bot (the same TrainerBot that `trainer-bot run` serves); every bot started is stopped."""
    started: list[TrainerBot] = []

    async def start(*, extra_extensions: tuple[str, ...] = (), **overrides: Any) -> TrainerBot:
        bot = TrainerBot(settings_for(**overrides), extra_extensions=extra_extensions)
        started.append(bot)
        await bot.start()
        await emulator.wait_until_ready()
        return bot

    try:
        yield start
    finally:
        for bot in reversed(started):
            await bot.stop()


@pytest.fixture
async def bot(start_bot: BotFactory) -> TrainerBot:
    return await start_bot()
