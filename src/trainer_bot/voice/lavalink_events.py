"""What the Lavalink node tells the bot: node up and down, tracks starting and ending, voice closed.

Discord's own voice events reach the service from the voice plugin; these come from Lavalink.py's event
hooks. Handlers never raise: they run inside Lavalink.py's dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import lavalink

from trainer_bot.voice.lavalink_link import LavalinkLink

_LOGGER = logging.getLogger("trainer_bot.voice")
SESSION_INVALID = 4006  # Discord voice close code: the voice session is gone and will not come back


class PlaybackOwner(Protocol):
    """What the events change: the voice service's per-guild state."""

    def node_lost(self) -> None: ...

    def leave_soon(self, guild_id: int, reason: str) -> None: ...

    async def playback_stopped(self, player: Any) -> None: ...


class LavalinkEvents:
    def __init__(self, link: LavalinkLink, service: PlaybackOwner) -> None:
        self._link = link
        self._service = service

    def subscribe(self) -> None:
        hooks: list[tuple[Callable[[Any], Awaitable[None]], type]] = [
            (self.node_ready, lavalink.NodeReadyEvent),
            (self.node_disconnected, lavalink.NodeDisconnectedEvent),
            (self.track_start, lavalink.TrackStartEvent),
            (self.track_end, lavalink.TrackEndEvent),
            (self.queue_end, lavalink.QueueEndEvent),
            (self.track_exception, lavalink.TrackExceptionEvent),
            (self.track_stuck, lavalink.TrackStuckEvent),
            (self.voice_closed, lavalink.WebSocketClosedEvent),
            (self.player_error, lavalink.PlayerErrorEvent),
        ]
        for hook, event in hooks:
            self._link.client.add_event_hook(hook, event=event)

    async def node_ready(self, event: Any) -> None:
        self._link.ready.set()
        _LOGGER.info("voice: Lavalink node ready (session %s, resumed=%s)", event.session_id, event.resumed)

    async def node_disconnected(self, event: Any) -> None:
        self._link.ready.clear()
        _LOGGER.warning(
            "voice: Lavalink node disconnected (code %s, %s); voice replies fall back to text until it is back",
            event.code,
            event.reason,
        )
        self._service.node_lost()

    async def track_start(self, event: Any) -> None:
        _LOGGER.debug("voice: speaking in guild %s", event.player.guild_id)

    async def track_end(self, event: Any) -> None:
        if event.reason == lavalink.EndReason.LOAD_FAILED:
            _LOGGER.warning(
                "voice: an utterance in guild %s could not be played and was skipped", event.player.guild_id
            )
        if event.reason.may_start_next():
            return  # Lavalink.py's player goes on with the queue (QueueEndEvent when it is empty)
        await self._service.playback_stopped(event.player)

    async def queue_end(self, event: Any) -> None:
        await self._service.playback_stopped(event.player)

    async def track_exception(self, event: Any) -> None:
        _LOGGER.warning(
            "voice: playback failed in guild %s: %s (%s; cause: %s)",
            event.player.guild_id,
            event.message,
            event.severity,
            event.cause,
        )

    async def track_stuck(self, event: Any) -> None:
        _LOGGER.warning("voice: playback stuck for %s ms in guild %s", event.threshold, event.player.guild_id)

    async def voice_closed(self, event: Any) -> None:
        guild_id = event.player.guild_id
        _LOGGER.warning(
            "voice: Discord closed the voice connection in guild %s (code %s: %s, by remote: %s)",
            guild_id,
            event.code,
            event.reason,
            event.by_remote,
        )
        if event.code == SESSION_INVALID:
            self._service.leave_soon(guild_id, "the voice session expired")

    async def player_error(self, event: Any) -> None:
        _LOGGER.error("voice: player error in guild %s: %s", event.player.guild_id, event.original)
        await self._service.playback_stopped(event.player)
