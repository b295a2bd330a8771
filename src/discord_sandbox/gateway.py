"""The emulated gateway: HELLO, heartbeats, IDENTIFY/READY, zlib-stream, RESUME with replay, shards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from discord_sandbox.sharding import DISCORD_MAX_GUILDS_PER_SHARD, refusal, shard_of

_LOGGER = logging.getLogger("discord_sandbox.gateway")

HELLO, HEARTBEAT_ACK, RECONNECT, INVALID_SESSION = 10, 11, 7, 9
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE_STATE, RESUME = 0, 1, 2, 3, 4, 6
AUTHENTICATION_FAILED = 4004


class Connection:
    """One websocket. With zlib-stream every frame goes through ONE shared compressor, as Discord does."""

    def __init__(self, ws: web.WebSocketResponse, *, zlib_stream: bool) -> None:
        self.ws = ws
        self._compressor = zlib.compressobj() if zlib_stream else None
        # Compression state and frame order must match: one sender at a time.
        self._lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        raw = json.dumps(frame, separators=(",", ":")).encode()
        async with self._lock:
            if self.ws.closed:
                return
            if self._compressor is None:
                await self.ws.send_str(raw.decode())
            else:
                data = self._compressor.compress(raw) + self._compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)


@dataclass
class Session:
    """A gateway session outlives its connections, so that a resumed client misses nothing."""

    id: str
    intents: int
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None

    async def dispatch(self, name: str, data: dict[str, Any]) -> None:
        self.seq += 1
        frame = {"op": DISPATCH, "t": name, "s": self.seq, "d": data}
        self.log.append(frame)
        if self.connection is not None:
            await self.connection.send(frame)

    async def replay_after(self, seq: int) -> int:
        assert self.connection is not None
        missed = [frame for frame in self.log if frame["s"] > seq]
        for frame in missed:
            await self.connection.send(frame)
        return len(missed)


def _routing_guild(name: str, data: dict[str, Any]) -> int | None:
    """The guild whose shard receives an event; None for DMs and other events of no guild."""
    raw = data.get("id") if name.startswith("GUILD_") and "guild_id" not in data else data.get("guild_id")
    return int(raw) if raw is not None else None


class Gateway:
    """Serves `/gateway`. The emulator supplies what READY says and reacts to the bot's voice requests.

    Each session holds one shard; a guild's events go only to the session holding the guild's shard, and
    events of no guild (DMs) to shard 0's, as on Discord.
    """

    def __init__(
        self,
        *,
        token: Callable[[], str],
        ready_events: Callable[[Session], list[tuple[str, dict[str, Any]]]],
        on_voice_state: Callable[[Session, dict[str, Any]], Awaitable[None]],
        resume_url: Callable[[], str],
        guild_ids: Callable[[], Collection[int]] = tuple,
        on_change: Callable[[], None] = lambda: None,
        heartbeat_interval_ms: int = 41_250,
        max_guilds_per_shard: int = DISCORD_MAX_GUILDS_PER_SHARD,
    ) -> None:
        self._token = token
        self._ready_events = ready_events
        self._on_voice_state = on_voice_state
        self._resume_url = resume_url
        self._guild_ids = guild_ids
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.max_guilds_per_shard = max_guilds_per_shard
        # Wakes whoever waits on the emulator's state: sessions starting, resuming and dropping.
        self._on_change = on_change
        self.sessions: dict[str, Session] = {}
        # shard id -> the session that holds it: the newest to identify (or resume) on that shard. A session
        # whose bot went away keeps its shard, and the shard's events wait in it for a resume.
        self.shards: dict[int, Session] = {}
        self.current: Session | None = None  # the session that identified or resumed last
        self.connected = asyncio.Event()
        self.identify_count = 0
        self.refusals: list[int] = []  # close codes of refused IDENTIFYs (4010, 4011), in order
        self.resume_count = 0
        self.replayed_events = 0
        self.heartbeats = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(ws, zlib_stream=request.query.get("compress") == "zlib-stream")
        await connection.send({"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        session: Session | None = None
        try:
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                payload = json.loads(message.data)
                session = await self._handle_op(connection, session, payload) or session
        finally:
            if session is not None and session.connection is connection:
                session.connection = None
                if not any(s.connection is not None for s in self.sessions.values()):
                    self.connected.clear()
                self._on_change()
        return ws

    async def _handle_op(
        self, connection: Connection, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d") or {}
        if op == HEARTBEAT:
            self.heartbeats += 1
            await connection.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            return await self._identify(connection, data)
        elif op == RESUME:
            return await self._resume(connection, data)
        elif op == VOICE_STATE and session is not None:
            await self._on_voice_state(session, data)
        elif op == PRESENCE:
            pass  # presence changes have no effect on anything a test observes
        return None

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        if data.get("token") != self._token():
            await connection.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        shard_id, shard_count = (int(part) for part in data.get("shard") or (0, 1))
        refused = refusal(
            shard_id,
            shard_count,
            live_counts=[s.shard_count for s in self.sessions.values() if s.connection is not None],
            guild_ids=self._guild_ids(),
            max_guilds_per_shard=self.max_guilds_per_shard,
        )
        if refused is not None:
            code, reason = refused
            self.refusals.append(code)
            await connection.ws.close(code=code, message=reason.encode())
            return None
        self.identify_count += 1
        session = Session(
            id=secrets.token_hex(16),
            intents=int(data.get("intents", 0)),
            shard_id=shard_id,
            shard_count=shard_count,
        )
        self.sessions[session.id] = session
        # Shards held under another count belong to a bot that has gone: their guilds are re-divided.
        self.shards = {i: s for i, s in self.shards.items() if s.shard_count == shard_count}
        self.shards[shard_id] = session
        self.current = session
        session.connection = connection
        for name, event in self._ready_events(session):
            await session.dispatch(name, event)
        self.connected.set()
        self._on_change()
        return session

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self._token():
            await connection.send({"op": INVALID_SESSION, "d": False})
            return None
        session.connection = connection
        self.shards[session.shard_id] = session
        self.resume_count += 1
        self.replayed_events += await session.replay_after(int(data.get("seq") or 0))
        await session.dispatch("RESUMED", {})
        self.current = session
        self.connected.set()
        self._on_change()
        return session

    def session_for(self, guild_id: int | None) -> Session | None:
        """The session that receives the guild's events (shard 0's for None); None before any identify."""
        if not self.shards:
            return None
        count = next(iter(self.shards.values())).shard_count
        return self.shards.get(0 if guild_id is None else shard_of(guild_id, count))

    async def dispatch(self, name: str, data: dict[str, Any]) -> None:
        """Send an event to the session holding its guild's shard; while that session's bot is
        reconnecting the event is kept for replay."""
        guild_id = _routing_guild(name, data)
        session = self.session_for(guild_id)
        if session is None:
            what = "the bot has not identified yet" if not self.shards else "no session holds the shard"
            raise RuntimeError(f"{what} (an event {name} of guild {guild_id})")
        await session.dispatch(name, data)

    def _target(self, shard_id: int | None) -> Session | None:
        return self.current if shard_id is None else self.shards.get(shard_id)

    async def request_reconnect(self, shard_id: int | None = None) -> None:
        """op 7: the bot must reconnect and RESUME; events sent meanwhile are replayed."""
        session = self._target(shard_id)
        if session is not None and session.connection is not None:
            await session.connection.send({"op": RECONNECT, "d": None})

    async def drop(self, code: int = 4000, shard_id: int | None = None) -> None:
        """Close the socket as a failing Discord node would (4000 lets the client resume)."""
        session = self._target(shard_id)
        if session is not None and session.connection is not None:
            with contextlib.suppress(ConnectionError):
                await session.connection.ws.close(code=code, message=b"sandbox dropped the connection")

    async def close_all(self) -> None:
        for session in self.sessions.values():
            if session.connection is not None:
                with contextlib.suppress(ConnectionError):
                    await session.connection.ws.close(code=1001, message=b"sandbox shutting down")
