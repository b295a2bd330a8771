"""A local stand-in for the edge-tts websocket service, speaking its wire protocol on 127.0.0.1.

The client sends text frames `speech.config` and `ssml`; the service answers `turn.start`, binary audio
frames (2-byte big-endian header length, CRLF-separated headers, MP3 bytes), `audio.metadata`, `turn.end`.
Point `edge_tts.communicate.WSS_URL` at `EdgeDouble.url`.
"""

from __future__ import annotations

import io
import json
import math
from types import TracebackType
from typing import Literal

import av
import numpy as np
from aiohttp import WSMsgType, web

Mode = Literal["speak", "silent"]


def sine_mp3(seconds: float = 1.0, rate: int = 24_000) -> bytes:
    """A real MP3 (24 kHz mono, like the service's output) holding a tone."""
    samples = (0.3 * np.sin(2 * math.pi * 440 * np.arange(int(seconds * rate)) / rate) * 32767).astype(
        np.int16
    )
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.bit_rate = 48_000
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


class EdgeDouble:
    """`mode="speak"` answers with `audio`; `mode="silent"` accepts the connection and never answers."""

    def __init__(self, mode: Mode = "speak", audio: bytes | None = None) -> None:
        self.mode = mode
        self.audio = audio if audio is not None else sine_mp3()
        self.ssml: list[str] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        # edge-tts appends "&ConnectionId=...", so the URL must already carry a query.
        return (
            f"ws://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/edge/v1?TrustedClientToken=test"
        )

    async def __aenter__(self) -> EdgeDouble:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type != WSMsgType.TEXT or "Path:ssml" not in message.data:
                continue
            self.ssml.append(message.data)
            if self.mode == "speak":
                await self._speak(ws)
        return ws

    async def _speak(self, ws: web.WebSocketResponse) -> None:
        await ws.send_str(_text_frame("turn.start", {"context": {"serviceTag": "test"}}))
        headers = b"X-RequestId:test\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n"
        for start in range(0, len(self.audio), 4096):
            chunk = self.audio[start : start + 4096]
            await ws.send_bytes(len(headers).to_bytes(2, "big") + headers + chunk)
        boundary = {
            "Type": "SentenceBoundary",
            "Data": {"Offset": 0, "Duration": 10_000_000, "text": {"Text": "x"}},
        }
        await ws.send_str(_text_frame("audio.metadata", {"Metadata": [boundary]}))
        await ws.send_str(_text_frame("turn.end", {}))


def _text_frame(path: str, body: object) -> str:
    return f"X-RequestId:test\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n{json.dumps(body)}"
