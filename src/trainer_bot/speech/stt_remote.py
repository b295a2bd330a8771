"""Transcription by OpenAI-compatible servers (`trainer-bot stt-server`, OpenAI itself, whisper.cpp, ...).

Several servers share the requests (`SttServers` picks one); one gone away costs a retry, not an answer.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

from trainer_bot.i18n import t
from trainer_bot.speech.errors import (
    AudioTooLarge,
    SpeechError,
    SpeechRejected,
    TranscriberBusy,
    TranscriptionFailed,
)
from trainer_bot.speech.stt_local import DEFAULT_MAX_BYTES
from trainer_bot.speech.stt_servers import DEFAULT_COOLDOWN, DEFAULT_MAX_COOLDOWN, SttServer, SttServers
from trainer_bot.speech.transcript import OnQueued, Segment, Transcript
from trainer_bot.text import human_size

log = logging.getLogger("trainer_bot.speech")

# OpenAI answers verbose_json with the language's English name; the bot works with ISO codes.
_LANGUAGE_NAMES = {
    "english": "en",
    "russian": "ru",
    "ukrainian": "uk",
    "belarusian": "be",
    "kazakh": "kk",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "polish": "pl",
}
_MAX_MESSAGE = 300


# Refused, reset or unrouted connections show within seconds; the rest of the deadline is left for a retry.
_CONNECT_SECONDS = 5.0
_ATTEMPTS = 2  # the request, and once more on another server
UNAVAILABLE = t("Speech recognition is not available right now.")


class _ServerUnwell(Exception):
    """The server failed as if gone or sick, not because of the audio: another server may answer."""

    def __init__(self, error: SpeechError, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


class RemoteTranscriber:
    def __init__(
        self,
        url: str | Sequence[str],
        *,
        model: str = "whisper-1",
        api_key: str | None = None,
        timeout: float = 120.0,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        cooldown: float = DEFAULT_COOLDOWN,
        max_cooldown: float = DEFAULT_MAX_COOLDOWN,
    ) -> None:
        """`url` is one server's base URL, or several; requests go to `{url}/v1/audio/transcriptions`.

        `timeout` is each request's deadline, retry included. `max_bytes` refuses large files before
        uploading them (None: let the server decide). `cooldown`: see `SttServers`.
        """
        urls = [url] if isinstance(url, str) else list(url)
        self._servers = SttServers(urls, cooldown=cooldown, max_cooldown=max_cooldown)
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    @property
    def servers(self) -> tuple[SttServer, ...]:
        return self._servers.servers

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        """`on_queued` is never called: an OpenAI-style server answers 429 instead of queueing visibly.

        A server that fails as if gone or sick rests, and the request goes once more to another; a busy one
        (429) is passed over the same way without resting. A refusal of the audio itself is final.
        """
        if self._max_bytes is not None and len(audio) > self._max_bytes:
            raise AudioTooLarge(t("The file is larger than {limit}.", limit=human_size(self._max_bytes)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        tried: list[SttServer] = []
        error: SpeechError | None = None
        while len(tried) < _ATTEMPTS and (server := self._servers.pick(exclude=tried)) is not None:
            left = deadline - loop.time()
            if left <= 0:
                break
            tried.append(server)
            with self._servers.attempt(server):
                try:
                    transcript = await self._ask(server, audio, filename, language, left)
                except _ServerUnwell as unwell:
                    self._servers.failed(server, unwell.reason)
                    error = unwell.error
                    continue
                except TranscriberBusy as busy:
                    error = busy
                    continue
                self._servers.succeeded(server)
                return transcript
        if len(self.servers) == 1 and error is not None:
            raise error  # a lone server's own failure says more than "not available"
        if isinstance(error, TranscriberBusy):
            raise error
        log.warning("no speech recognition server could answer (%d tried)", len(tried))
        raise SpeechError(UNAVAILABLE)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _ask(
        self, server: SttServer, audio: bytes, filename: str, language: str | None, seconds: float
    ) -> Transcript:
        form = aiohttp.FormData()
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        form.add_field("file", audio, filename=filename, content_type=content_type)
        form.add_field("model", self._model)
        form.add_field("response_format", "verbose_json")
        if language:
            form.add_field("language", language)
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=min(_CONNECT_SECONDS, seconds))
        started = time.perf_counter()
        try:
            async with self._client().post(
                server.endpoint, data=form, headers=self._headers, timeout=timeout
            ) as response:
                body = await _json_or_none(response)
                status = response.status
        except TimeoutError as exc:
            error = SpeechError(t("The speech recognition service did not answer in time."))
            raise _ServerUnwell(error, f"no answer within {seconds:.1f} s") from exc
        except aiohttp.ClientError as exc:
            log.warning("speech recognition service %s unreachable: %s", server.name, exc)
            error = SpeechError(t("The speech recognition service is unreachable right now."))
            raise _ServerUnwell(error, type(exc).__name__) from exc
        if status >= 500:
            raise _ServerUnwell(_error_for(status, body), f"HTTP {status}")
        if status >= 400:
            raise _error_for(status, body)
        if body is None or not isinstance(body.get("text"), str):
            log.error("speech recognition service answered without a transcript: %r", body)
            raise TranscriptionFailed()
        return Transcript(
            text=body["text"].strip(),
            language=_language_code(body.get("language")),
            duration=float(body.get("duration") or 0.0),
            seconds=time.perf_counter() - started,
            segments=_segments(body.get("segments")),
        )

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session


async def _json_or_none(response: aiohttp.ClientResponse) -> dict[str, Any] | None:
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None
    return body if isinstance(body, dict) else None


def _error_for(status: int, body: dict[str, Any] | None) -> SpeechError:
    error = body.get("error") if body else None
    message = error.get("message") if isinstance(error, dict) else None
    detail = str(message)[:_MAX_MESSAGE] if message else None
    if status == 429:
        return TranscriberBusy()
    if status == 413:
        return AudioTooLarge(detail or t("The file is too large for the speech recognition service."))
    if status in (401, 403):
        log.error("speech recognition service refused the credentials (HTTP %s): %s", status, detail)
        return SpeechError(t("Speech recognition is not configured correctly; tell the bot's operator."))
    if 400 <= status < 500:
        return SpeechRejected(detail or t("The speech recognition service refused this file."))
    log.error("speech recognition service failed (HTTP %s): %s", status, detail)
    return TranscriptionFailed()


def _language_code(language: object) -> str | None:
    if not isinstance(language, str) or not language:
        return None
    return _LANGUAGE_NAMES.get(language.lower(), language.lower())


def _segments(raw: object) -> tuple[Segment, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Segment(float(item.get("start", 0.0)), float(item.get("end", 0.0)), str(item.get("text", "")).strip())
        for item in raw
        if isinstance(item, dict)
    )
