"""A player's connection to Discord's voice server, made as a Lavalink node makes it.

With exactly the token, endpoint and session id the bot forwarded: websocket hello, identify, ready, UDP
IP discovery, select protocol, session description, speaking; then heartbeats, and RTP packets of 20 ms
Opus frames while a track plays. When the server refuses or drops the connection, `on_closed` hears the
close code, as the node's client would in WebSocketClosedEvent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import struct
from collections.abc import Callable
from typing import Any

import aiohttp

__all__ = ["VoiceLink"]

_LOGGER = logging.getLogger("discord_sandbox.lavalink")
_DISCOVERY = struct.Struct(">HHI64sH")
_RTP_HEADER = struct.Struct(">BBHII")
# An Opus frame of silence, then what an AEAD mode adds (16-byte tag, 4-byte nonce): the size of a packet.
_FRAME = b"\xf8\xff\xfe" + bytes(20)
SAMPLES_PER_FRAME = 960  # 20 ms at 48 kHz
ABNORMAL = 1006

OnClosed = Callable[[int, str], None]
OnConnected = Callable[[], None]


class VoiceLink:
    def __init__(
        self,
        guild_id: int,
        user_id: int,
        voice: dict[str, Any],
        *,
        on_connected: OnConnected,
        on_closed: OnClosed,
        timeout: float = 5.0,
    ) -> None:
        self.guild_id = guild_id
        self.user_id = user_id
        self.voice = voice
        self.connected = False
        self.settled = asyncio.Event()  # set once connected, or once the attempt failed
        self.frames_sent = 0
        self._on_connected, self._on_closed = on_connected, on_closed
        self._timeout = timeout
        self._closing = False
        self._ssrc = 0
        self._sequence = secrets.randbelow(1 << 16)
        self._timestamp = secrets.randbelow(1 << 32)
        self._close_reason = ""
        self._udp: asyncio.DatagramTransport | None = None
        self._discovered: asyncio.Future[bytes] | None = None
        self._task = asyncio.get_running_loop().create_task(self._run())

    # --- what the player uses ---------------------------------------------------------------------------

    def send_frame(self) -> bool:
        """One RTP packet of audio; False when there is no connection to send it on."""
        if not self.connected or self._udp is None:
            return False
        header = _RTP_HEADER.pack(0x80, 0x78, self._sequence, self._timestamp, self._ssrc)
        self._udp.sendto(header + _FRAME)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._timestamp = (self._timestamp + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        self.frames_sent += 1
        return True

    async def close(self) -> None:
        """The node closes the connection itself (player destroyed, new voice state): no event."""
        self._closing = True
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    # --- the connection ---------------------------------------------------------------------------------

    async def _run(self) -> None:
        code, reason = ABNORMAL, "the voice server could not be reached"
        try:
            async with aiohttp.ClientSession() as http:
                ws = await http.ws_connect(
                    f"ws://{self.voice['endpoint']}/?v=8", timeout=aiohttp.ClientWSTimeout(ws_close=2.0)
                )
                async with ws:
                    code, reason = await self._talk(ws)
        except asyncio.CancelledError:
            raise
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError) as exc:
            _LOGGER.info("fake lavalink: voice connection of guild %s failed: %r", self.guild_id, exc)
        finally:
            self.connected = False
            self.settled.set()
            if self._udp is not None:
                self._udp.close()
        if not self._closing:
            self._on_closed(code, reason)

    async def _talk(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
        hello = await self._receive(ws, 8)
        if hello is None:
            return self._closed(ws)
        interval = float(hello["heartbeat_interval"]) / 1000
        identify = {
            "server_id": str(self.guild_id),
            "user_id": str(self.user_id),
            "session_id": self.voice["sessionId"],
            "token": self.voice["token"],
            "max_dave_protocol_version": 0,
        }
        await ws.send_str(json.dumps({"op": 0, "d": identify}))
        ready = await self._receive(ws, 2)
        if ready is None:
            return self._closed(ws)
        self._ssrc = int(ready["ssrc"])
        address, port = await self._discover(str(ready["ip"]), int(ready["port"]))
        mode = ready["modes"][0]
        select = {"protocol": "udp", "data": {"address": address, "port": port, "mode": mode}}
        await ws.send_str(json.dumps({"op": 1, "d": select}))
        if await self._receive(ws, 4) is None:
            return self._closed(ws)
        await ws.send_str(json.dumps({"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": self._ssrc}}))
        self.connected = True
        self.settled.set()
        self._on_connected()
        beat = asyncio.get_running_loop().create_task(_heartbeat(ws, interval))
        try:
            while await self._next(ws) is not None:
                pass  # acks and client notices; nothing the fake node acts on
        finally:
            beat.cancel()
        return self._closed(ws)

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse, op: int) -> dict[str, Any] | None:
        """The next message with opcode `op` (others are skipped); None when the server closed."""
        async with asyncio.timeout(self._timeout):
            while (payload := await self._next(ws)) is not None:
                if payload.get("op") == op:
                    data: dict[str, Any] = payload.get("d") or {}
                    return data
        return None

    async def _next(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any] | None:
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.TEXT:
            payload: dict[str, Any] = json.loads(message.data)
            return payload
        if message.type == aiohttp.WSMsgType.CLOSE:
            self._close_reason = str(message.extra or "")
        return None

    def _closed(self, ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
        code = ws.close_code if ws.close_code is not None else ABNORMAL
        return code, self._close_reason or f"closed with {code}"

    async def _discover(self, ip: str, port: int) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self._discovered = loop.create_future()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Replies(self), remote_addr=(ip, port))
        self._udp = transport
        transport.sendto(_DISCOVERY.pack(1, 70, self._ssrc, b"", 0))
        reply = await asyncio.wait_for(self._discovered, self._timeout)
        _, _, _, address, own_port = _DISCOVERY.unpack(reply)
        return address.rstrip(b"\0").decode(), own_port

    def _datagram(self, data: bytes) -> None:
        if self._discovered is not None and not self._discovered.done() and len(data) == _DISCOVERY.size:
            self._discovered.set_result(data)


async def _heartbeat(ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
    sequence = 0
    while not ws.closed:
        await asyncio.sleep(interval)
        sequence += 1
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps({"op": 3, "d": {"t": sequence, "seq_ack": -1}}))


class _Replies(asyncio.DatagramProtocol):
    def __init__(self, link: VoiceLink) -> None:
        self._link = link

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._link._datagram(data)
