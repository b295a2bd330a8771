"""`trainer-bot run` as an operator starts it: a separate process, configured by the environment."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from trainer_bot.sandbox import DiscordEmulator
from trainer_bot.sandbox.state import Member


async def test_run_serves_commands_and_stops_cleanly_on_sigterm(
    emulator: DiscordEmulator, bob: Member, tmp_path: Path
) -> None:
    env = os.environ | {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "DEV_GUILDS": str(emulator.guild.id),
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trainer_bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await emulator.wait_until_ready(timeout=30)
        reply = await emulator.response(await emulator.slash(bob, "hi"))
        assert reply.content == "HI!"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "shutting down" in log and "ready as trainer-bot" in log
    assert "/hi guild=" in log  # the invocation log line
    assert emulator.token not in log and emulator.token.split(".")[2] not in log
