"""The OpenAI-compatible STT server over real HTTP on 127.0.0.1, and RemoteTranscriber against it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from speech_support.clips import SHORT_TEXT, SHORT_WORDS, cached_voice_message, words
from speech_support.whisper import tiny_en
from trainer_bot.speech.stt import (
    AudioTooLarge,
    LocalTranscriber,
    RemoteTranscriber,
    SpeechError,
    SpeechRejected,
    TranscriberBusy,
    Transcript,
    TranscriptionFailed,
)
from trainer_bot.speech.stt_server import PATH, create_stt_app, serve_stt
from trainer_bot.speech.transcript import OnQueued

MAX_BYTES = 200_000


class StubTranscriber:
    """Raises or answers as told, to reach every error branch without a model."""

    def __init__(self, outcome: Exception | Transcript) -> None:
        self.outcome = outcome
        self.closed = False

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def clip() -> bytes:
    return cached_voice_message(SHORT_TEXT)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    local = LocalTranscriber("tiny.en-bundled", model_factory=tiny_en)
    test_server = TestServer(create_stt_app(local, max_bytes=MAX_BYTES), host="127.0.0.1")
    async with test_server:
        yield test_server
    await local.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _form(audio: bytes | None, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    if audio is not None:
        form.add_field("file", audio, filename="voice-message.ogg", content_type="audio/ogg")
    for name, value in fields.items():
        form.add_field(name, value)
    return form


async def _error(response: aiohttp.ClientResponse, status: int) -> dict[str, str]:
    assert response.status == status, await response.text()
    body = await response.json()
    assert set(body["error"]) == {"message", "type", "code"}
    error: dict[str, str] = body["error"]
    return error


async def test_json_text_and_verbose_json(
    server: TestServer, http: aiohttp.ClientSession, clip: bytes
) -> None:
    url = server.make_url(PATH)
    async with http.post(url, data=_form(clip, model="whisper-1")) as response:
        assert response.status == 200
        body = await response.json()
    assert list(body) == ["text"] and set(SHORT_WORDS) <= words(body["text"])

    async with http.post(url, data=_form(clip, response_format="text")) as response:
        assert response.status == 200 and response.content_type == "text/plain"
        assert set(SHORT_WORDS) <= words(await response.text())

    async with http.post(url, data=_form(clip, response_format="verbose_json", language="en")) as response:
        verbose = await response.json()
    assert verbose["task"] == "transcribe" and verbose["language"] == "en"
    assert verbose["duration"] == pytest.approx(4.2, abs=0.5)
    assert set(SHORT_WORDS) <= words(verbose["text"])
    assert verbose["segments"] and {"id", "start", "end", "text"} <= set(verbose["segments"][0])


async def test_health(server: TestServer, http: aiohttp.ClientSession) -> None:
    async with http.get(server.make_url("/health")) as response:
        assert response.status == 200 and (await response.json()) == {"status": "ok", "model": "loaded"}


async def test_request_errors(server: TestServer, http: aiohttp.ClientSession, clip: bytes) -> None:
    url = server.make_url(PATH)
    async with http.post(url, data=_form(None, model="whisper-1")) as response:
        assert (await _error(response, 400))["code"] == "missing_file"
    async with http.post(url, data=_form(clip, response_format="srt")) as response:
        assert (await _error(response, 400))["code"] == "invalid_response_format"
    async with http.post(url, json={"file": "nope"}) as response:
        assert (await _error(response, 400))["code"] == "invalid_content_type"
    async with http.post(url, data=_form(b"not audio at all" * 100)) as response:
        error = await _error(response, 400)
    assert error["type"] == "invalid_request_error" and "Could not read the audio" in error["message"]
    for size in (MAX_BYTES + 1, MAX_BYTES + 100_000):  # caught while reading, and up front by Content-Length
        async with http.post(url, data=_form(bytes(size))) as response:
            assert (await _error(response, 413))["code"] == "file_too_large"
    async with http.post(url, data=_form(clip, language="xx")) as response:
        assert response.status == 200  # tiny.en is English-only: it hears English whatever was asked


@pytest.mark.parametrize(
    ("failure", "status", "kind"),
    [
        (TranscriberBusy(), 429, "rate_limit_error"),
        (AudioTooLarge("The recording is longer than 5 minutes."), 413, "invalid_request_error"),
        (TranscriptionFailed(), 500, "server_error"),
        (RuntimeError("bug"), 500, "server_error"),
    ],
)
async def test_transcriber_failures_map_to_openai_errors(
    http: aiohttp.ClientSession, clip: bytes, failure: Exception, status: int, kind: str
) -> None:
    stub = TestServer(create_stt_app(StubTranscriber(failure)), host="127.0.0.1")
    async with stub, http.post(stub.make_url(PATH), data=_form(clip)) as response:
        error = await _error(response, status)
    assert error["type"] == kind
    assert "bug" not in error["message"]  # internals stay in the log


async def test_remote_transcriber_round_trip(server: TestServer, clip: bytes) -> None:
    remote = RemoteTranscriber(str(server.make_url("/")), api_key="secret")
    result = await remote.transcribe(clip, filename="voice-message.ogg")
    await remote.close()
    assert set(SHORT_WORDS) <= words(result.text)
    assert result.language == "en"
    assert result.duration == pytest.approx(4.2, abs=0.5)
    assert result.segments and result.seconds > 0


@pytest.mark.parametrize(
    ("failure", "expected", "message"),
    [
        (TranscriberBusy(), TranscriberBusy, "busy"),
        (AudioTooLarge("The recording is longer than 5 minutes."), AudioTooLarge, "5 minutes"),
        (SpeechRejected("Unknown language code 'xx'."), SpeechRejected, "'xx'"),
        (TranscriptionFailed(), TranscriptionFailed, "try again"),
    ],
)
async def test_remote_transcriber_maps_server_errors(
    clip: bytes, failure: Exception, expected: type[SpeechError], message: str
) -> None:
    async with TestServer(create_stt_app(StubTranscriber(failure)), host="127.0.0.1") as stub:
        remote = RemoteTranscriber(str(stub.make_url("/v1")))
        with pytest.raises(expected, match=message):
            await remote.transcribe(clip)
        await remote.close()


async def test_remote_transcriber_unreachable_or_slow(clip: bytes) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    remote = RemoteTranscriber(f"http://127.0.0.1:{closed_port}")
    with pytest.raises(SpeechError, match="unreachable"):
        await remote.transcribe(clip)
    await remote.close()

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    app = web.Application()
    app.router.add_post(PATH, hang)
    async with TestServer(app, host="127.0.0.1") as slow:
        remote = RemoteTranscriber(str(slow.make_url("/")), timeout=0.5)
        with pytest.raises(SpeechError, match="in time"):
            await remote.transcribe(clip)
        await remote.close()


async def test_remote_transcriber_refuses_large_files_before_uploading() -> None:
    remote = RemoteTranscriber("http://127.0.0.1:9", max_bytes=10)
    with pytest.raises(AudioTooLarge):
        await remote.transcribe(bytes(11))
    await remote.close()


async def test_serve_stt_runs_until_cancelled_and_closes_the_transcriber(clip: bytes) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stub = StubTranscriber(Transcript("hello", "en", 1.0, 0.1))
    serving = asyncio.create_task(serve_stt("127.0.0.1", port, stub))
    remote = RemoteTranscriber(f"http://127.0.0.1:{port}")
    for _ in range(100):
        try:
            assert (await remote.transcribe(clip)).text == "hello"
            break
        except SpeechError:
            await asyncio.sleep(0.05)
    else:
        pytest.fail("the server never answered")
    await remote.close()
    serving.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await serving
    assert stub.closed
