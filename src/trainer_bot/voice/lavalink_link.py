"""The connection to the Lavalink nodes (Lavalink.py): players, voice updates and track loading.

Lavalink.py reconnects with backoff by itself, and when a node goes away it moves that node's players to
another available one (replaying the current track where it was). `available` says whether any node is
usable now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import lavalink

_LOGGER = logging.getLogger("trainer_bot.voice")
# What a request to the node raises when the node is down or unreachable.
TRANSPORT_ERRORS = (lavalink.LavalinkError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


@dataclass(frozen=True)
class NodeAddress:
    host: str
    port: int
    password: str
    name: str


class SpeechPlayer(lavalink.DefaultPlayer):  # type: ignore[misc]
    """A player that never moves on by itself: the voice service decides what plays next, and when."""

    async def handle_event(self, event: Any) -> None:
        return None


class LavalinkLink:
    def __init__(self, nodes: Sequence[NodeAddress], *, user_id: int, request_timeout: float = 10.0) -> None:
        self._addresses = tuple(nodes)
        self._user_id = user_id
        self._request_timeout = request_timeout
        self.client: Any = None  # lavalink.Client, created in start() (it needs the running loop)
        self._ready_nodes: set[str] = set()
        self.ready = asyncio.Event()  # set while at least one node has said `ready`

    @property
    def started(self) -> bool:
        return self.client is not None

    def start(self) -> None:
        """Registers the nodes; Lavalink.py connects in the background and keeps reconnecting."""
        timeout = aiohttp.ClientTimeout(total=self._request_timeout)
        self.client = lavalink.Client(self._user_id, player=SpeechPlayer, request_timeout=timeout)
        for node in self._addresses:
            self.client.add_node(node.host, node.port, node.password, "local", name=node.name)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
        self._ready_nodes.clear()
        self.ready.clear()

    def node_ready(self, name: str) -> None:
        self._ready_nodes.add(name)
        self.ready.set()

    def node_gone(self, name: str) -> None:
        self._ready_nodes.discard(name)
        if not self._ready_nodes:
            self.ready.clear()

    @property
    def available(self) -> bool:
        if self.client is None or not self.ready.is_set():
            return False
        return any(node.available and node.name in self._ready_nodes for node in self.client.node_manager)

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError:
            return False
        return self.available

    # --- players ----------------------------------------------------------------------------------------

    def player(self, guild_id: int) -> Any:
        return None if self.client is None else self.client.player_manager.get(guild_id)

    def create_player(self, guild_id: int) -> Any:
        """Raises lavalink.ClientError when no node can take it."""
        return self.client.player_manager.create(guild_id, cls=SpeechPlayer)

    async def destroy_player(self, guild_id: int) -> None:
        """Stops and forgets the guild's player: queue, track, voice state, and the node's copy."""
        player = self.player(guild_id)
        if player is None:
            return
        player.queue.clear()
        if player.current is not None:
            try:
                await player.stop()
            except TRANSPORT_ERRORS as exc:
                _LOGGER.debug("voice: stop in guild %s failed (node down?): %s", guild_id, exc)
        player.current = None
        # Lavalink.py replays a player's voice state and track onto the node when it reconnects, even a
        # destroyed one still waiting for the node: empty both so that replay is a no-op.
        await self.forward_state(guild_id, None, "")
        try:
            await self.client.player_manager.destroy(guild_id)
        except TRANSPORT_ERRORS as exc:
            _LOGGER.debug("voice: destroying the player of guild %s failed (node down?): %s", guild_id, exc)

    async def load(self, url: str, node: Any) -> Any:
        """Lavalink's /loadtracks for one URL (raises a TRANSPORT_ERRORS member when the node is away)."""
        return await self.client.get_tracks(url, node=node)

    # --- Discord's voice events, passed on to the node ----------------------------------------------------

    async def forward_state(self, guild_id: int, channel_id: int | None, session_id: str) -> bool:
        """The bot's VOICE_STATE_UPDATE; False when it could not be passed on."""
        data = {
            "guild_id": str(guild_id),
            "user_id": str(self._user_id),
            "channel_id": None if channel_id is None else str(channel_id),
            "session_id": session_id,
        }
        return await self._forward({"t": "VOICE_STATE_UPDATE", "d": data})

    async def forward_server(self, guild_id: int, token: str, endpoint: str | None) -> bool:
        """The guild's VOICE_SERVER_UPDATE; False when it could not be passed on."""
        data = {"guild_id": str(guild_id), "token": token, "endpoint": endpoint}
        return await self._forward({"t": "VOICE_SERVER_UPDATE", "d": data})

    async def _forward(self, payload: dict[str, Any]) -> bool:
        if self.client is None:
            return False
        try:
            await self.client.voice_update_handler(payload)
        except TRANSPORT_ERRORS as exc:
            _LOGGER.warning("voice: could not pass a %s to the Lavalink node: %s", payload["t"], exc)
            return False
        return True
