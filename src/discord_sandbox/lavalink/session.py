"""A Lavalink v4 session: its players, its websocket, and what is sent on it.

Frames go out through one queue per connection so that their order is the order events happened in.
A session with resuming enabled outlives its websocket for `timeout` seconds, buffering what it would
have sent; otherwise it dies with its websocket, as on a real node.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import web

from discord_sandbox.lavalink.player import FakePlayer

__all__ = ["Session"]

_LOGGER = logging.getLogger("discord_sandbox.lavalink")


class Session:
    def __init__(self, session_id: str, user_id: int, client_name: str) -> None:
        self.id = session_id
        self.user_id = user_id
        self.client_name = client_name
        self.players: dict[int, FakePlayer] = {}
        self.resuming = False
        self.timeout = 60
        self.request: web.Request | None = None  # the websocket's upgrade request (its transport)
        self._outbox: asyncio.Queue[dict[str, Any]] | None = None
        self._backlog: list[dict[str, Any]] = []
        self.expiry: asyncio.TimerHandle | None = None

    @property
    def connected(self) -> bool:
        return self._outbox is not None

    def send(self, payload: dict[str, Any]) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(payload)
        elif self.resuming:
            self._backlog.append(payload)

    def attach(self, request: web.Request, *, resumed: bool) -> asyncio.Queue[dict[str, Any]]:
        """A websocket took this session: `ready` first, then whatever it missed while away."""
        if self.expiry is not None:
            self.expiry.cancel()
            self.expiry = None
        self.request = request
        outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        outbox.put_nowait({"op": "ready", "resumed": resumed, "sessionId": self.id})
        for payload in self._backlog:
            outbox.put_nowait(payload)
        self._backlog.clear()
        self._outbox = outbox
        return outbox

    def detach(self) -> None:
        self._outbox, self.request = None, None

    def player_updates(self) -> list[dict[str, Any]]:
        return [
            {"op": "playerUpdate", "guildId": str(guild_id), "state": player.state()}
            for guild_id, player in self.players.items()
            if player.track is not None
        ]

    async def destroy_players(self, reason: str) -> None:
        for player in self.players.values():
            player.abandon(reason)
            await player.aclose()
        self.players.clear()


async def write_frames(ws: web.WebSocketResponse, outbox: asyncio.Queue[dict[str, Any]]) -> None:
    """The only writer of one websocket."""
    while True:
        payload = await outbox.get()
        if ws.closed:
            return
        try:
            await ws.send_str(json.dumps(payload, separators=(",", ":")))
        except (ConnectionError, RuntimeError):
            return


async def tick(interval: float, action: Any) -> None:
    """Calls `action()` now and then every `interval` seconds (stats, player updates)."""
    while True:
        with contextlib.suppress(Exception):
            action()
        await asyncio.sleep(interval)


def stats_payload(players: list[FakePlayer], started_at: float, cores: int) -> dict[str, Any]:
    playing = sum(1 for player in players if player.running)
    return {
        "players": len(players),
        "playingPlayers": playing,
        "uptime": int((time.monotonic() - started_at) * 1000),
        "memory": {
            "free": 180_000_000,
            "used": 90_000_000,
            "allocated": 270_000_000,
            "reservable": 1_000_000_000,
        },
        "cpu": {"cores": cores, "systemLoad": 0.05, "lavalinkLoad": 0.01},
        # Lavalink reports frame statistics only while some player exists.
        "frameStats": {"sent": 3000 * playing, "nulled": 0, "deficit": 0} if players else None,
    }
