"""A minimal Discord voice server: the websocket handshake, UDP IP discovery, and audio frames counted.

The bot never speaks this protocol; the Lavalink node does, with the voice state the bot forwarded. So a
stale token, a wrong session id or an endpoint nobody listens on fails here the way it fails on Discord,
and tests can count the audio a guild actually received.

What is served (voice gateway v4-8): op 8 Hello; op 0 Identify checked against the last grant of the
guild (wrong token: close 4004, wrong or ended session: 4006); op 2 Ready with ssrc, ip, port and modes;
op 1 Select Protocol (unknown mode: 4016) answered by op 4 Session Description; op 3 Heartbeat answered by
op 6; op 5 Speaking recorded; op 7 Resume answered by op 9. Unknown opcodes close with 4001; a missed
heartbeat with 4009. UDP: the 74-byte IP discovery exchange, then RTP packets, counted per guild by
their ssrc. Frames are not decrypted: what counts is that the right connection sent them, and when.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from discord_sandbox.serving import serve

__all__ = ["VoiceGateway", "VoiceGrant"]

_LOGGER = logging.getLogger("discord_sandbox.voice")

IDENTIFY, SELECT_PROTOCOL, READY, HEARTBEAT, SESSION_DESCRIPTION, SPEAKING = 0, 1, 2, 3, 4, 5
HEARTBEAT_ACK, RESUME, HELLO, RESUMED = 6, 7, 8, 9
# Ops a client may send that this server accepts and ignores (client connect/disconnect, DAVE).
_IGNORED = frozenset({12, 13, *range(21, 32)})
MODES = ("aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize")

UNKNOWN_OPCODE, NOT_AUTHENTICATED, AUTHENTICATION_FAILED = 4001, 4003, 4004
SESSION_INVALID, SESSION_TIMEOUT, DISCONNECTED, SERVER_CRASHED, UNKNOWN_MODE = 4006, 4009, 4014, 4015, 4016
_REASONS = {
    UNKNOWN_OPCODE: "Unknown opcode",
    NOT_AUTHENTICATED: "Not authenticated",
    AUTHENTICATION_FAILED: "Authentication failed",
    SESSION_INVALID: "Session no longer valid",
    SESSION_TIMEOUT: "Session timeout",
    DISCONNECTED: "Disconnected",
    SERVER_CRASHED: "Voice server crashed",
    UNKNOWN_MODE: "Unknown encryption mode",
}
_DISCOVERY = struct.Struct(">HHI64sH")
_RTP_PAYLOAD_TYPE = 0x78


@dataclass(frozen=True)
class VoiceGrant:
    """What Discord handed the bot for one join: the node must present exactly this."""

    guild_id: int
    user_id: int
    session_id: str
    channel_id: int
    token: str


@dataclass
class _Connection:
    ws: web.WebSocketResponse
    grant: VoiceGrant
    ssrc: int
    version: int
    described: bool = False
    last_heartbeat: float = field(default_factory=time.monotonic)
    seq: int = 0


@dataclass
class Heard:
    """What one guild's voice channel received: one time.monotonic() per audio frame."""

    times: list[float] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return len(self.times)

    def first_after(self, moment: float) -> float | None:
        """When the first frame after `moment` arrived (for latency figures)."""
        index = bisect.bisect_right(self.times, moment)
        return self.times[index] if index < len(self.times) else None


class VoiceGateway:
    def __init__(self, *, heartbeat_interval_ms: int = 13_750) -> None:
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.grants: dict[int, VoiceGrant] = {}  # guild -> the grant of its latest join
        self.identifies: list[tuple[int, int | None]] = []  # (guild, close code or None when accepted)
        self.speaking: list[tuple[int, int]] = []  # (guild, speaking flags)
        self.unreachable = False  # no voice server answers at the endpoint (connections are dropped)
        self._refusals: dict[int, int] = {}  # guild -> close code for its next identify
        self._connections: dict[int, _Connection] = {}
        self._by_ssrc: dict[int, int] = {}
        self._heard: dict[int, Heard] = {}
        self._runner: web.AppRunner | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.udp_port = 0

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1") -> None:
        self.host = host
        app = web.Application()
        app.add_routes([web.get("/", self._handle)])
        self._runner, self.port = await serve(app, host)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self), local_addr=(host, 0))
        self._udp = transport
        self.udp_port = transport.get_extra_info("sockname")[1]

    async def stop(self) -> None:
        for guild_id in list(self._connections):
            await self.close(guild_id, 1001, "sandbox shutting down")
        if self._udp is not None:
            self._udp.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def endpoint(self) -> str:
        """What VOICE_SERVER_UPDATE carries: host:port, without a scheme."""
        return f"{self.host}:{self.port}"

    # --- what the main gateway does -----------------------------------------------------------------------

    def grant(self, guild_id: int, user_id: int, session_id: str, channel_id: int) -> VoiceGrant:
        """A join: a fresh token. Tokens of earlier joins stop working."""
        grant = VoiceGrant(guild_id, user_id, session_id, channel_id, secrets.token_hex(8))
        self.grants[guild_id] = grant
        return grant

    async def revoke(self, guild_id: int) -> None:
        """The bot left the channel: its voice connection is closed with 4014."""
        self.grants.pop(guild_id, None)
        await self.close(guild_id, DISCONNECTED)

    async def end_session(self, session_id: str) -> None:
        """The bot's main gateway session ended: voice connections made with it close with 4006."""
        for guild_id, grant in list(self.grants.items()):
            if grant.session_id == session_id:
                del self.grants[guild_id]
                await self.close(guild_id, SESSION_INVALID)

    # --- faults, for tests ----------------------------------------------------------------------------------

    def refuse_next(self, guild_id: int, code: int) -> None:
        """The guild's next identify is closed with `code` (e.g. 4004, 4006)."""
        self._refusals[guild_id] = code

    async def close(self, guild_id: int, code: int, reason: str | None = None) -> bool:
        """Close the guild's live voice connection as Discord would (e.g. 4015 when a server crashes)."""
        connection = self._connections.pop(guild_id, None)
        if connection is None:
            return False
        self._by_ssrc.pop(connection.ssrc, None)
        message = (reason or _REASONS.get(code, "closed")).encode()
        with contextlib.suppress(ConnectionError):
            if code == WSCloseCode.ABNORMAL_CLOSURE:  # 1006 has no close frame: the transport just dies
                transport = connection.ws._req.transport if connection.ws._req else None  # type: ignore[union-attr]
                if transport is not None:
                    transport.abort()
            else:
                await connection.ws.close(code=code, message=message)
        return True

    # --- what tests read ------------------------------------------------------------------------------------

    def connected(self, guild_id: int) -> bool:
        connection = self._connections.get(guild_id)
        return connection is not None and connection.described

    def heard(self, guild_id: int) -> Heard:
        return self._heard.setdefault(guild_id, Heard())

    def frames(self, guild_id: int) -> int:
        return self.heard(guild_id).frames

    # --- the websocket ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.unreachable:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=503)
        version = int(request.query.get("v", "4") or 4)
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 16)
        await ws.prepare(request)
        await self._send(ws, HELLO, {"heartbeat_interval": self.heartbeat_interval_ms, "v": version}, None)
        connection: _Connection | None = None
        watchdog = asyncio.get_running_loop().create_task(self._watch(ws, lambda: connection))
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    break
                try:
                    payload = json.loads(message.data)
                    op, data = payload["op"], payload.get("d")
                except (ValueError, KeyError, TypeError):
                    await ws.close(code=4002, message=b"Failed to decode payload")
                    break
                connection = await self._on_op(ws, connection, op, data, version)
                if ws.closed:
                    break
        finally:
            watchdog.cancel()
            if connection is not None and self._connections.get(connection.grant.guild_id) is connection:
                del self._connections[connection.grant.guild_id]
                self._by_ssrc.pop(connection.ssrc, None)
        return ws

    async def _on_op(
        self, ws: web.WebSocketResponse, connection: _Connection | None, op: int, data: Any, version: int
    ) -> _Connection | None:
        if op == HEARTBEAT:
            if connection is not None:
                connection.last_heartbeat = time.monotonic()
            nonce = data.get("t") if isinstance(data, dict) else data
            await self._send(ws, HEARTBEAT_ACK, {"t": nonce} if version >= 8 else nonce, connection)
        elif op in (IDENTIFY, RESUME):
            return await self._identify(ws, op, data if isinstance(data, dict) else {}, version)
        elif connection is None:
            await ws.close(code=NOT_AUTHENTICATED, message=_REASONS[NOT_AUTHENTICATED].encode())
        elif op == SELECT_PROTOCOL:
            mode = ((data or {}).get("data") or {}).get("mode")
            if mode not in MODES:
                await ws.close(code=UNKNOWN_MODE, message=_REASONS[UNKNOWN_MODE].encode())
                return connection
            key = [secrets.randbelow(256) for _ in range(32)]
            await self._send(ws, SESSION_DESCRIPTION, {"mode": mode, "secret_key": key}, connection)
            connection.described = True
        elif op == SPEAKING:
            self.speaking.append((connection.grant.guild_id, int((data or {}).get("speaking", 0))))
        elif op not in _IGNORED:
            await ws.close(code=UNKNOWN_OPCODE, message=_REASONS[UNKNOWN_OPCODE].encode())
        return connection

    async def _identify(
        self, ws: web.WebSocketResponse, op: int, data: dict[str, Any], version: int
    ) -> _Connection | None:
        try:
            guild_id = int(data.get("server_id", 0))
        except (TypeError, ValueError):
            guild_id = 0
        grant = self.grants.get(guild_id)
        code = self._refusals.pop(guild_id, None)
        if code is None:
            code = self._check(grant, data)
        self.identifies.append((guild_id, code))
        if code is not None or grant is None:
            await ws.close(
                code=code or AUTHENTICATION_FAILED, message=_REASONS.get(code or 4004, "").encode()
            )
            return None
        previous = self._connections.pop(guild_id, None)
        if previous is not None:
            self._by_ssrc.pop(previous.ssrc, None)
            with contextlib.suppress(ConnectionError):
                await previous.ws.close(code=DISCONNECTED, message=b"Disconnected")
        connection = _Connection(ws, grant, ssrc=secrets.randbelow(1 << 31) + 1, version=version)
        self._connections[guild_id] = connection
        self._by_ssrc[connection.ssrc] = guild_id
        if op == RESUME:
            await self._send(ws, RESUMED, None, connection)
            connection.described = True
            return connection
        ready = {
            "ssrc": connection.ssrc,
            "ip": self.host,
            "port": self.udp_port,
            "modes": list(MODES),
            "heartbeat_interval": self.heartbeat_interval_ms,
        }
        await self._send(ws, READY, ready, connection)
        return connection

    @staticmethod
    def _check(grant: VoiceGrant | None, data: dict[str, Any]) -> int | None:
        if grant is None or str(data.get("token")) != grant.token:
            return AUTHENTICATION_FAILED
        if str(data.get("session_id")) != grant.session_id or str(data.get("user_id")) != str(grant.user_id):
            return SESSION_INVALID
        return None

    async def _send(
        self, ws: web.WebSocketResponse, op: int, data: Any, connection: _Connection | None
    ) -> None:
        frame: dict[str, Any] = {"op": op, "d": data}
        if connection is not None and connection.version >= 8:
            connection.seq += 1
            frame["seq"] = connection.seq
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(frame, separators=(",", ":")))

    async def _watch(self, ws: web.WebSocketResponse, current: Any) -> None:
        """Close connections that stop heartbeating, as Discord does."""
        interval = self.heartbeat_interval_ms / 1000
        while not ws.closed:
            await asyncio.sleep(interval)
            connection = current()
            if connection is not None and time.monotonic() - connection.last_heartbeat > 2 * interval:
                await ws.close(code=SESSION_TIMEOUT, message=_REASONS[SESSION_TIMEOUT].encode())

    # --- UDP ----------------------------------------------------------------------------------------------

    def _datagram(self, data: bytes, address: tuple[str, int]) -> None:
        if len(data) == _DISCOVERY.size and data[:2] == b"\x00\x01":
            _, _, ssrc, _, _ = _DISCOVERY.unpack(data)
            reply = _DISCOVERY.pack(2, 70, ssrc, address[0].encode(), address[1])
            if self._udp is not None:
                self._udp.sendto(reply, address)
            return
        if len(data) < 12 or data[0] & 0xC0 != 0x80 or data[1] & 0x7F != _RTP_PAYLOAD_TYPE:
            return
        ssrc = struct.unpack(">I", data[8:12])[0]
        guild_id = self._by_ssrc.get(ssrc)
        connection = self._connections.get(guild_id) if guild_id is not None else None
        if connection is None or not connection.described:
            return  # audio from a connection that never finished its handshake is not heard
        self.heard(connection.grant.guild_id).times.append(time.monotonic())


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, gateway: VoiceGateway) -> None:
        self._gateway = gateway

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._gateway._datagram(data, addr)
