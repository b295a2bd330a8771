"""Microsoft Edge's online neural voices through edge-tts: the best-sounding engine, when reachable.

The service is unofficial and changes now and then, and offline it fails fast: keep an offline engine
after this one. Timeouts are short so a hung connection falls through to that engine quickly.
"""

from __future__ import annotations

import asyncio

import aiohttp
import edge_tts
import edge_tts.exceptions

from trainer_bot.speech.media import Undecodable, duration_of
from trainer_bot.speech.synthesis import SpeechAudio, SynthesisFailed

DEFAULT_VOICE = "ru-RU-SvetlanaNeural"
# What a failing or unreachable service raises (measured: offline is a ClientConnectorDNSError, a server
# that never answers is a TimeoutError; neither is an EdgeTTSException). ValueError: a malformed voice.
_FAILURES = (aiohttp.ClientError, TimeoutError, edge_tts.exceptions.EdgeTTSException, ValueError)


class EdgeTTSEngine:
    name = "edge-tts"

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        *,
        connect_timeout: int = 3,
        receive_timeout: int = 8,
        total_timeout: float = 30.0,
    ) -> None:
        """`voice`: the default, e.g. "ru-RU-DmitryNeural" or "en-US-AriaNeural"; a call may override it."""
        self._voice = voice
        self._connect_timeout = connect_timeout
        self._receive_timeout = receive_timeout
        self._total_timeout = total_timeout

    async def synthesize(self, text: str, *, voice: str | None = None) -> SpeechAudio:
        audio = bytearray()
        try:
            communicate = edge_tts.Communicate(
                text,
                voice or self._voice,
                connect_timeout=self._connect_timeout,
                receive_timeout=self._receive_timeout,
            )
            # edge-tts's receive_timeout does not reach the websocket reads (a silent server hangs until
            # aiohttp's heartbeat gives up), so bound every wait here, and the whole exchange too.
            loop = asyncio.get_running_loop()
            give_up = loop.time() + self._total_timeout
            first_wait = self._connect_timeout + self._receive_timeout
            async with asyncio.timeout_at(min(give_up, loop.time() + first_wait)) as deadline:
                async for chunk in communicate.stream():
                    if chunk["type"] == "audio" and "data" in chunk:
                        audio += chunk["data"]
                    deadline.reschedule(min(give_up, loop.time() + self._receive_timeout))
        except _FAILURES as exc:
            raise SynthesisFailed(f"edge-tts: {type(exc).__name__}: {exc or 'no answer in time'}") from exc
        data = bytes(audio)
        try:
            duration = await asyncio.to_thread(duration_of, data)
        except Undecodable as exc:
            raise SynthesisFailed(f"edge-tts returned audio that does not decode: {exc}") from exc
        if duration <= 0:
            raise SynthesisFailed("edge-tts returned no audible audio")
        return SpeechAudio(data, "audio/mpeg", "mp3", duration, self.name)
