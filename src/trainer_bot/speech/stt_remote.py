"""Transcription by any OpenAI-compatible server (`trainer-bot stt-server`, OpenAI itself, whisper.cpp, ...)."""

from __future__ import annotations

import logging
import mimetypes
import time
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


class RemoteTranscriber:
    def __init__(
        self,
        url: str,
        *,
        model: str = "whisper-1",
        api_key: str | None = None,
        timeout: float = 120.0,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
    ) -> None:
        """`url` is the server's base URL; requests go to `{url}/v1/audio/transcriptions`.

        `max_bytes` refuses large files before uploading them (None: let the server decide).
        """
        base = url.rstrip("/")
        self._endpoint = base + ("" if base.endswith("/v1") else "/v1") + "/audio/transcriptions"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_bytes = max_bytes
        self._session: aiohttp.ClientSession | None = None

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        """`on_queued` is never called: an OpenAI-style server answers 429 instead of queueing visibly."""
        if self._max_bytes is not None and len(audio) > self._max_bytes:
            raise AudioTooLarge(t("The file is larger than {limit}.", limit=human_size(self._max_bytes)))
        form = aiohttp.FormData()
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        form.add_field("file", audio, filename=filename, content_type=content_type)
        form.add_field("model", self._model)
        form.add_field("response_format", "verbose_json")
        if language:
            form.add_field("language", language)
        started = time.perf_counter()
        try:
            async with self._client().post(self._endpoint, data=form, headers=self._headers) as response:
                body = await _json_or_none(response)
                if response.status >= 400:
                    raise _error_for(response.status, body)
        except TimeoutError as exc:
            raise SpeechError(t("The speech recognition service did not answer in time.")) from exc
        except aiohttp.ClientError as exc:
            log.warning("speech recognition service unreachable: %s", exc)
            raise SpeechError(t("The speech recognition service is unreachable right now.")) from exc
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

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession belongs to the running event loop.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
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
