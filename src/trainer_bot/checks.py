"""`trainer-bot check`: is everything the bot needs in place? One line per part, before a real start."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from trainer_bot.config import Settings
from trainer_bot.speech.audio_server import AudioServer
from trainer_bot.startup import StartupError, check_discord, open_database

OK, WARN, FAIL = "ok", "warn", "FAIL"


Step = Callable[[Settings], Awaitable[tuple[str, str]]]


@dataclass(frozen=True)
class Check:
    part: str
    status: str
    detail: str


async def run_checks(settings: Settings) -> list[Check]:
    steps: list[tuple[str, Step]] = [
        ("discord", _discord),
        ("database", _database),
        *_speech_steps(settings),
        ("language model", _language_model),
        ("lavalink", _lavalink),
        ("audio url", _audio_url),
    ]
    results = [Check("settings", OK, f"DATA_DIR={settings.data_dir}")]
    for part, step in steps:
        try:
            status, detail = await asyncio.wait_for(step(settings), 60)
        except Exception as exc:
            status, detail = FAIL, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        results.append(Check(part, status, detail))
    return results


def table(results: list[Check]) -> str:
    return "\n".join(f"{check.part:<16}{check.status:<6}{check.detail}" for check in results)


async def _discord(settings: Settings) -> tuple[str, str]:
    try:
        await check_discord(settings)
    except StartupError as exc:
        return FAIL, str(exc)
    return OK, f"the token is accepted by {settings.discord_api_url}"


async def _database(settings: Settings) -> tuple[str, str]:
    database = await open_database(settings)  # a problem is the same line `trainer-bot run` prints
    try:
        return OK, f"migrated to revision {await database.current_revision()}"
    finally:
        await database.close()


def _speech_steps(settings: Settings) -> list[tuple[str, Step]]:
    """The local model, or each speech recognition server in STT_URL on a line of its own."""
    urls = settings.stt_urls
    if len(urls) > 1:
        return [(f"speech server {n}", _stt_server(url)) for n, url in enumerate(urls, start=1)]
    return [("speech model", _stt_server(urls[0]) if urls else _speech_model)]


def _stt_server(url: str) -> Step:
    async def health(settings: Settings) -> tuple[str, str]:
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
                http.get(f"{url}/health") as response,
            ):
                if response.status != 200:
                    return FAIL, f"{url} answers {response.status} to /health"
        except aiohttp.ClientConnectionError:
            return FAIL, f"nothing answers at {url}: is its trainer-bot stt-server running?"
        except TimeoutError:
            return FAIL, f"{url} did not answer /health within 10 s"
        return OK, f"{url} is healthy"

    return health


async def _speech_model(settings: Settings) -> tuple[str, str]:
    from trainer_bot.speech.whisper_models import resolve_model

    path = await asyncio.to_thread(resolve_model, settings.stt_model, cache_dir=settings.layout.whisper_cache)
    if path == settings.stt_model and "/" not in path:  # a name the hub serves: present only once downloaded
        return WARN, f"{path} is downloaded on first use into {settings.layout.whisper_cache}"
    return OK, f"{settings.stt_model} at {path}"


async def _language_model(settings: Settings) -> tuple[str, str]:
    """Asks the configured model for a word, the way a chat answer would."""
    from trainer_bot.llm.factory import language_model_for
    from trainer_bot.llm.messages import ChatMessage

    model = language_model_for(settings)
    if model is None:
        return OK, "off: answers come from what each server taught"
    started = time.monotonic()
    try:
        async for _ in model.stream([ChatMessage("user", "Say OK.")], max_tokens=4):
            pass
    finally:
        await model.close()
    return OK, f"{model.name} answered in {time.monotonic() - started:.1f} s"


async def _lavalink(settings: Settings) -> tuple[str, str]:
    if not settings.voice_enabled:
        return OK, "voice off: set LAVALINK_PASSWORD (or LAVALINK_NODES) to speak in voice channels"
    answers = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for host, port, password in settings.lavalink_addresses():
            try:
                async with http.get(
                    f"http://{host}:{port}/version", headers={"Authorization": password}
                ) as response:
                    if response.status == 401:
                        return FAIL, f"{host}:{port} refuses LAVALINK_PASSWORD"
                    if response.status != 200:
                        return FAIL, f"{host}:{port} answers {response.status}"
                    answers.append(f"{host}:{port} (Lavalink {await response.text()})")
            except aiohttp.ClientConnectionError:
                return FAIL, f"nothing answers at {host}:{port}: is the Lavalink node running?"
    return OK, ", ".join(answers)


async def _audio_url(settings: Settings) -> tuple[str, str]:
    """Serve one item the way the bot does and fetch it through AUDIO_PUBLIC_URL, as Lavalink would."""
    if not settings.voice_enabled:
        return OK, "not served: voice is off"
    server = AudioServer(settings.audio_host, settings.audio_port, settings.audio_public_url)
    try:
        await server.start()
    except OSError as exc:
        return FAIL, f"cannot listen on {settings.audio_host}:{settings.audio_port} ({exc.strerror})"
    try:
        url = server.publish(b"ID3check", "audio/mpeg", "mp3")
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(url) as response,
        ):
            if response.status != 200 or await response.read() != b"ID3check":
                return FAIL, f"{url} does not reach this machine's audio server"
        return OK, f"{server.public_url} reaches the audio server"
    finally:
        await server.stop()
