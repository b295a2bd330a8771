"""FakeLavalinkNode: a Lavalink v4 node on 127.0.0.1 that a real Lavalink.py client cannot tell apart.

node = FakeLavalinkNode(password="pw", time_scale=0.1)    # audio plays 10x faster than real time
await node.start()
client.add_node("127.0.0.1", node.port, "pw", "local")
... node.play_log, node.player(guild_id).voice, node.loader.downloads[url] ...
await node.restart(downtime=0.5)                            # a crash: websockets and sessions are gone
node.close_voice(guild_id)                                  # Discord closed the voice websocket (4006)
node.fail_next_load()                                       # the next /loadtracks answers an error
FakeLavalinkNode(quirks=Quirks.nodelink())                  # behave like a real Lavalink-compatible server

Players connect to the voice server named in the voice state they are given (the emulator serves one),
so audio is only "heard" when the bot forwarded exactly what Discord sent it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import string
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from discord_sandbox.lavalink.loader import TrackLoader
from discord_sandbox.lavalink.player import FakePlayer, LoadFailure, PlayRecord
from discord_sandbox.lavalink.quirks import Quirks
from discord_sandbox.lavalink.rest import ApiError, error_response, routes
from discord_sandbox.lavalink.session import Session, stats_payload, tick, write_frames

__all__ = ["FakeLavalinkNode"]

_LOGGER = logging.getLogger("discord_sandbox.lavalink")
_SESSION_ALPHABET = string.ascii_lowercase + string.digits


class FakeLavalinkNode:
    def __init__(
        self,
        password: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        player_update_interval: float = 5.0,
        stats_interval: float = 60.0,
        fetch_timeout: float = 10.0,
        quirks: Quirks | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        # A node of its own per run, like a deployment that generated its password: never a well-known one.
        self.password = password or secrets.token_urlsafe(16)
        self.host = host
        self.time_scale = time_scale  # wall-clock seconds per second of audio
        self.player_update_interval = player_update_interval
        self.stats_interval = stats_interval
        self.quirks = quirks or Quirks()
        self.loader = TrackLoader(fetch_timeout=fetch_timeout, head_only=self.quirks.head_only_loads)
        self.sessions: dict[str, Session] = {}
        self.play_log: list[PlayRecord] = []
        self.patches: list[tuple[int, dict[str, Any]]] = []  # (guild id, PATCH body) in arrival order
        self.refused_plays: list[int] = []  # guilds whose play came without a voice connection
        self._ends_to_swallow = 0
        self.connections = 0  # websocket connections accepted, over all restarts
        self.restarts = 0
        self._port = port
        self._runner: web.AppRunner | None = None
        self._started_at = time.monotonic()
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- lifecycle --------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    async def start(self) -> None:
        await self.loader.start()
        await self._listen()

    async def stop(self) -> None:
        await self._crash()
        await self.loader.close()

    async def restart(self, downtime: float = 0.0) -> None:
        """Dies like a killed process (connections reset, every session lost), then listens again."""
        await self._crash()
        self.restarts += 1
        if downtime > 0:
            await asyncio.sleep(downtime)
        self._started_at = time.monotonic()
        await self._listen()

    async def _listen(self) -> None:
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/v4/websocket", self._websocket)
        app.router.add_routes(routes(self))
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        if self._port == 0:
            self._port = int(self._runner.addresses[0][1])  # keep it: a restart listens on the same port
        _LOGGER.info("fake lavalink listening on %s", self.url)

    async def _crash(self) -> None:
        if self._runner is not None:
            for site in list(self._runner.sites):
                await site.stop()  # first of all: a dead process accepts no connections
        sessions, self.sessions = list(self.sessions.values()), {}
        for session in sessions:
            for player in session.players.values():
                player.abandon("crashed")
            if session.request is not None and session.request.transport is not None:
                session.request.transport.abort()  # a reset, not a close frame
            if session.expiry is not None:
                session.expiry.cancel()
        for task in list(self._tasks):
            task.cancel()
        for session in sessions:
            for player in session.players.values():
                await player.aclose()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- fault injection --------------------------------------------------------------------------------

    def close_voice(
        self, guild_id: int, code: int = 4006, reason: str = "Session is no longer valid."
    ) -> None:
        """Discord closed the node's voice websocket for this guild: playback stalls until a new voice PATCH."""
        for player in self._players_of(guild_id):
            player.close_voice(code, reason)

    def swallow_next_end(self) -> None:
        """The next track that finishes sends no TrackEndEvent (a real node did this with short files)."""
        self._ends_to_swallow += 1

    def _swallow_end(self) -> bool:
        if self._ends_to_swallow:
            self._ends_to_swallow -= 1
            return True
        return False

    def fail_next_load(
        self,
        message: str = "Something went wrong when looking up the track.",
        severity: str = "fault",
        cause: str = "java.lang.RuntimeException: injected failure",
    ) -> None:
        self.loader.fail_next(LoadFailure(message, severity, cause))

    # --- what tests look at -----------------------------------------------------------------------------

    def player(self, guild_id: int) -> FakePlayer | None:
        players = self._players_of(guild_id)
        return players[-1] if players else None

    def plays(self, guild_id: int) -> list[PlayRecord]:
        return [record for record in self.play_log if record.guild_id == guild_id]

    async def until(
        self, predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
    ) -> None:
        """Waits for `predicate()` to hold (polling), or fails with `what` in the message."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(0.01)

    def stats(self) -> dict[str, Any]:
        players = [player for session in self.sessions.values() for player in session.players.values()]
        return stats_payload(players, self._started_at, os.cpu_count() or 1)

    # --- internals --------------------------------------------------------------------------------------

    def _players_of(self, guild_id: int) -> list[FakePlayer]:
        return [s.players[guild_id] for s in self.sessions.values() if guild_id in s.players]

    def new_player(self, session: Session, guild_id: int) -> FakePlayer:
        player = FakePlayer(
            guild_id,
            session.id,
            session.user_id,
            emit=session.send,
            fetch=self.loader.stream,
            time_scale=self.time_scale,
            quirks=self.quirks,
            swallow_end=self._swallow_end,
        )
        session.players[guild_id] = player
        return player

    @web.middleware
    async def _guard(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.headers.get("Authorization") != self.password:
            _LOGGER.warning("fake lavalink: unauthorized %s %s", request.method, request.path)
            return error_response(request, 401, "Unauthorized", bare=self.quirks.bare_errors)
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(request, exc.status, exc.message, bare=self.quirks.bare_errors)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(request, exc.status, exc.reason, bare=self.quirks.bare_errors)

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        try:
            user_id = int(request.headers["User-Id"])
        except (KeyError, ValueError):
            return error_response(request, 400, "Missing or invalid User-Id header")
        client_name = request.headers.get("Client-Name", "")
        if not client_name:
            _LOGGER.warning("fake lavalink: a client connected without Client-Name")
        wanted = request.headers.get("Session-Id")
        session = self.sessions.get(wanted) if wanted else None
        resumed = session is not None and session.resuming and not session.connected
        if not resumed:
            session = Session(
                "".join(secrets.choice(_SESSION_ALPHABET) for _ in range(16)), user_id, client_name
            )
            self.sessions[session.id] = session
        assert session is not None
        ws = web.WebSocketResponse()
        ws.headers["Session-Resumed"] = "true" if resumed else "false"
        ws.headers["Lavalink-Api-Version"] = "4"
        await ws.prepare(request)
        self.connections += 1
        outbox = session.attach(request, resumed=resumed)
        _LOGGER.info("fake lavalink: %s connected, session %s (resumed=%s)", client_name, session.id, resumed)
        tasks = [self._spawn(write_frames(ws, outbox))]
        if not self.quirks.silent:
            tasks += [
                self._spawn(tick(self.player_update_interval, lambda: self._player_updates(session))),
                self._spawn(tick(self.stats_interval, lambda: session.send({"op": "stats", **self.stats()}))),
            ]
        try:
            async for _message in ws:
                pass  # v4 clients send nothing on the websocket
        finally:
            for task in tasks:
                task.cancel()
            await self._disconnected(session)
        return ws

    def _player_updates(self, session: Session) -> None:
        for payload in session.player_updates():
            session.send(payload)

    async def _disconnected(self, session: Session) -> None:
        session.detach()
        if self.sessions.get(session.id) is not session:
            return  # the node crashed: nothing of it is left to clean up
        if session.resuming:
            _LOGGER.info("fake lavalink: session %s may resume for %d s", session.id, session.timeout)
            session.expiry = asyncio.get_running_loop().call_later(
                session.timeout, lambda: self._spawn(self._expire(session))
            )
            return
        await self._expire(session)

    async def _expire(self, session: Session) -> None:
        if self.sessions.get(session.id) is session and not session.connected:
            del self.sessions[session.id]
            await session.destroy_players("cleanup")

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
