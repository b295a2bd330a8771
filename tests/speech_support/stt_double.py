"""A `trainer-bot stt-server` on 127.0.0.1 that answers its own name, or misbehaves as told.

It is the project's own server app (`create_stt_app`) with a stand-in transcriber, so answers and errors have
the real server's shapes; a middleware adds what a sick server does (stall, 503, drop the connection). It can
be stopped and started again on the same port, as a server that goes away and comes back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web

from trainer_bot.speech.errors import AudioTooLarge, InvalidAudio, TranscriberBusy
from trainer_bot.speech.stt_server import PATH, create_stt_app
from trainer_bot.speech.transcript import OnQueued, Transcript

Behaviour = Literal["answer", "slow", "stall", "unavailable", "drop", "too large", "bad audio", "busy"]
SLOW_SECONDS = 0.5
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SttDouble:
    def __init__(self, name: str) -> None:
        self.name = name
        self.behaviour: Behaviour = "answer"
        self.requests = 0
        """Transcription requests received while running, whatever the answer."""
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on the port it had before, if it ran already."""
        app = create_stt_app(_Named(self))
        app.middlewares.append(self._misbehave)
        # Stopping drops requests in flight at once, as a killed process would.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _misbehave(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.behaviour == "unavailable":  # /health as well, as a server whose model cannot load
            body = {"error": {"message": "overloaded", "type": "server_error", "code": "unavailable"}}
            self.requests += request.path == PATH
            return web.json_response(body, status=503)
        if request.path != PATH:
            return await handler(request)
        self.requests += 1
        if self.behaviour == "stall":
            await asyncio.Event().wait()
        if self.behaviour == "drop":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return await handler(request)


class _Named:
    """The transcriber behind the double: the transcript is the server's name, so a test sees who answered."""

    def __init__(self, double: SttDouble) -> None:
        self._double = double

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        behaviour = self._double.behaviour
        if behaviour == "too large":
            raise AudioTooLarge("The recording is longer than 5 minutes.")
        if behaviour == "bad audio":
            raise InvalidAudio("Could not read the audio.")
        if behaviour == "busy":
            raise TranscriberBusy()
        if behaviour == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        return Transcript(self._double.name, "en", 1.0, 0.01)

    async def close(self) -> None:
        pass
