"""`trainer-bot stt-server`: the local transcriber behind OpenAI's transcription API.

Runs recognition on another machine (one with more cores or a GPU) for bots configured with its URL;
any OpenAI-compatible client can use it too. Answers follow OpenAI's shapes, errors included.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import BodyPartReader, web

from trainer_bot.speech.errors import (
    AudioTooLarge,
    SpeechError,
    SpeechRejected,
    TranscriberBusy,
)
from trainer_bot.speech.stt_local import DEFAULT_MAX_BYTES
from trainer_bot.speech.transcript import Transcriber, Transcript
from trainer_bot.text import human_size

log = logging.getLogger("trainer_bot.speech.server")

PATH = "/v1/audio/transcriptions"
RESPONSE_FORMATS = ("json", "text", "verbose_json")
# Room for the multipart boundaries and the small text fields around the file.
_FORM_OVERHEAD = 64 * 1024
_MAX_FIELD = 1024
_CHUNK = 64 * 1024
_TRANSCRIBER: web.AppKey[Transcriber] = web.AppKey("transcriber")
_MAX_BYTES: web.AppKey[int] = web.AppKey("max_bytes")
_MODEL_PROBLEM: web.AppKey[list[str]] = web.AppKey("model_problem")  # empty while the model is usable


class _ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.kind = kind


def create_stt_app(transcriber: Transcriber, *, max_bytes: int = DEFAULT_MAX_BYTES) -> web.Application:
    """The app does not own `transcriber`: whoever created it closes it."""
    app = web.Application(client_max_size=max_bytes + _FORM_OVERHEAD)
    app[_TRANSCRIBER] = transcriber
    app[_MAX_BYTES] = max_bytes
    app[_MODEL_PROBLEM] = []
    app.router.add_post(PATH, _transcriptions)
    app.router.add_get("/health", _health)
    return app


async def serve_stt(
    host: str, port: int, transcriber: Transcriber, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Serve until cancelled; then stop listening and close `transcriber` (this function owns it)."""
    app = create_stt_app(transcriber, max_bytes=max_bytes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    preload = getattr(transcriber, "preload", None)
    if preload is not None:
        try:
            seconds = await preload()
            log.info("speech model loaded in %.1f s", seconds)
        except Exception as exc:
            # Still serve: /health says what is wrong, and each request gets a clear error.
            app[_MODEL_PROBLEM].append(str(exc) or type(exc).__name__)
            log.error("the speech model cannot be loaded: %s", exc)
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info("speech recognition server listening on %s", ", ".join(map(str, runner.addresses)))
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await transcriber.close()


async def _health(request: web.Request) -> web.Response:
    """200 only while the model is usable, so an orchestrator does not route speech to a broken server."""
    problem = request.app[_MODEL_PROBLEM]
    if problem:
        return web.json_response({"status": "error", "model": problem[0]}, status=503)
    return web.json_response({"status": "ok", "model": "loaded"})


async def _transcriptions(request: web.Request) -> web.StreamResponse:
    try:
        form = await _read_form(request, request.app[_MAX_BYTES])
        response_format = form.fields.get("response_format") or "json"
        if response_format not in RESPONSE_FORMATS:
            raise _ApiError(
                400,
                f"response_format must be one of {', '.join(RESPONSE_FORMATS)}",
                "invalid_response_format",
            )
        transcript = await request.app[_TRANSCRIBER].transcribe(
            form.file, filename=form.filename, language=form.fields.get("language") or None
        )
    except _ApiError as exc:
        return _error(exc)
    except SpeechError as exc:
        return _error(_api_error_for(exc))
    except Exception:
        log.exception("transcription request failed")
        return _error(_ApiError(500, "internal server error", "internal_error", "server_error"))
    return _answer(transcript, response_format)


class _Form:
    def __init__(self) -> None:
        self.file = b""
        self.filename = "audio"
        self.fields: dict[str, str] = {}


async def _read_form(request: web.Request, max_bytes: int) -> _Form:
    """Read the multipart form, refusing an oversized file as soon as it shows, before buffering it all."""
    if request.content_length is not None and request.content_length > max_bytes + _FORM_OVERHEAD:
        raise _too_large(max_bytes)
    if not request.content_type.startswith("multipart/"):
        raise _ApiError(
            400, "send the audio as multipart/form-data with a 'file' field", "invalid_content_type"
        )
    form = _Form()
    has_file = False
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue  # nested multipart: not part of this API
            if part.name == "file":
                form.file = await _read_limited(part, max_bytes, _too_large(max_bytes))
                form.filename = part.filename or form.filename
                has_file = True
            elif part.name:
                too_long = _ApiError(400, f"field {part.name!r} is too long", "invalid_field")
                form.fields[part.name] = (await _read_limited(part, _MAX_FIELD, too_long)).decode().strip()
    except (ValueError, UnicodeDecodeError) as exc:
        raise _ApiError(400, f"malformed multipart body: {exc}", "invalid_body") from exc
    if not has_file:
        raise _ApiError(400, "the 'file' field is missing", "missing_file")
    return form


async def _read_limited(part: BodyPartReader, limit: int, too_large: _ApiError) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise too_large
    return bytes(data)


def _too_large(max_bytes: int) -> _ApiError:
    return _ApiError(413, f"the file is larger than {human_size(max_bytes)}", "file_too_large")


def _api_error_for(exc: SpeechError) -> _ApiError:
    message = str(exc)
    if isinstance(exc, TranscriberBusy):
        return _ApiError(429, message, "rate_limit_exceeded", "rate_limit_error")
    if isinstance(exc, AudioTooLarge):
        return _ApiError(413, message, "file_too_large")
    if isinstance(exc, SpeechRejected):
        return _ApiError(400, message, type(exc).__name__.lower())
    return _ApiError(500, message, "transcription_failed", "server_error")


def _error(exc: _ApiError) -> web.Response:
    body = {"error": {"message": exc.message, "type": exc.kind, "code": exc.code}}
    return web.json_response(body, status=exc.status)


def _answer(transcript: Transcript, response_format: str) -> web.Response:
    if response_format == "text":
        return web.Response(text=transcript.text + "\n", content_type="text/plain")
    if response_format == "json":
        return web.json_response({"text": transcript.text})
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": transcript.language,
        "duration": round(transcript.duration, 3),
        "text": transcript.text,
        "segments": [
            {"id": index, "start": round(s.start, 3), "end": round(s.end, 3), "text": s.text}
            for index, s in enumerate(transcript.segments)
        ],
    }
    return web.json_response(body)
