"""`trainer-bot sandbox`: the real bot against a local Discord and Lavalink, used from a web page.

No Discord application, token or Lavalink node is needed: the Discord emulator and the fake Lavalink
node from `discord_sandbox` stand in for them on 127.0.0.1, and the sandbox page shows the guild's
#general and Lounge as a member would see them. The bot itself is exactly the one `trainer-bot run`
serves, with the operator's other settings (speech model, voices, limits).

Each run starts with an empty guild (the emulator's ids are new every time), in `DATA_DIR/sandbox/`, so
the sandbox never touches the real bot's database or workspaces; downloaded speech models are kept.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
from collections.abc import Callable

from pydantic import SecretStr

from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.web import SandboxPage
from trainer_bot.app import TrainerBot
from trainer_bot.config import Settings
from trainer_bot.layout import DataLayout

_LOGGER = logging.getLogger("trainer_bot.sandbox")
SANDBOX_FOLDER = "sandbox"


def sandbox_settings(settings: Settings, emulator: DiscordEmulator, node: FakeLavalinkNode) -> Settings:
    """The operator's settings, pointed at the emulator and the fake node, with data kept apart."""
    overrides: dict[str, object] = {
        "discord_token": SecretStr(emulator.token),
        "discord_api_url": emulator.api_url,
        "dev_guilds": (emulator.guild.id,),
        "data_dir": settings.data_dir / SANDBOX_FOLDER,
        "database_url": None,  # never the real bot's database
        "lavalink_nodes": (f"127.0.0.1:{node.port}:{node.password}",),
        "audio_host": "127.0.0.1",
        "audio_port": 0,
        "audio_public_url": None,
    }
    if "chat_mode" not in settings.model_fields_set:
        overrides["chat_mode"] = (
            "all"  # one small channel to talk in: answer everything, as in a small server
        )
    return settings.model_copy(update=overrides)


def _start_afresh(layout: DataLayout) -> None:
    """The previous run's guild no longer exists: drop its data, keep the speech models."""
    shutil.rmtree(layout.guilds_dir, ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        layout.database_file.with_name(layout.database_file.name + suffix).unlink(missing_ok=True)


async def serve_sandbox(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 8765, on_ready: Callable[[str], None]
) -> None:
    """Run emulator, node, bot and page until SIGINT/SIGTERM; `on_ready` gets the page's address."""
    emulator = DiscordEmulator()
    node = FakeLavalinkNode()
    await emulator.start()
    await node.start()
    members = [await emulator.add_member("alice", manage_guild=True), await emulator.add_member("bob")]
    bot_settings = sandbox_settings(settings, emulator, node)
    await asyncio.to_thread(_start_afresh, bot_settings.layout)
    bot = TrainerBot(bot_settings)
    page = SandboxPage(emulator, node, members)
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop_requested.set)
    try:
        await bot.start()
        await emulator.wait_until_ready()
        await page.start(host, port)
        on_ready(page.url)
        await stop_requested.wait()
        _LOGGER.info("shutting down the sandbox")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await page.stop()
        await bot.stop()
        await node.stop()
        await emulator.stop()
