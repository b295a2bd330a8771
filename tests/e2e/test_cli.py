"""`trainer-bot run` as an operator starts it: a separate process, configured by the environment."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp

from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import Member


async def test_run_serves_commands_and_stops_cleanly_on_sigterm(
    emulator: DiscordEmulator, lavalink_node: FakeLavalinkNode, bob: Member, tmp_path: Path
) -> None:
    env = os.environ | {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "DEV_GUILDS": str(emulator.guild.id),
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
        "LAVALINK_PORT": str(lavalink_node.port),
        "AUDIO_PORT": "0",
        "STT_MODEL": "tiny.en-bundled",
        "TTS_ENGINES": "espeak",
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


async def test_stt_server_transcribes_over_the_openai_api(tmp_path: Path, unused_tcp_port: int) -> None:
    from speech_support.clips import SHORT_TEXT, SHORT_WORDS, cached_voice_message, words

    env = os.environ | {"STT_MODEL": "tiny.en-bundled", "DATA_DIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trainer_bot",
        "stt-server",
        "--port",
        str(unused_tcp_port),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{url}/health") as health:
                        if health.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            form = aiohttp.FormData()
            form.add_field(
                "file", cached_voice_message(SHORT_TEXT), filename="voice.ogg", content_type="audio/ogg"
            )
            form.add_field("model", "whisper-1")
            async with http.post(f"{url}/v1/audio/transcriptions", data=form) as response:
                assert response.status == 200
                body = await response.json()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert set(SHORT_WORDS) <= words(body["text"])
    assert process.returncode == 0
