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


class PlaybackOwner(Protocol):
    """What the events change: the voice service's per-guild state."""

    def node_lost(self) -> None: ...

    def track_started(self, guild_id: int, uri: str | None) -> None: ...

    def track_ended(self, guild_id: int, uri: str | None, reason: str) -> None: ...

    def voice_closed(self, guild_id: int, code: int, reason: str) -> None: ...


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
            (self.track_exception, lavalink.TrackExceptionEvent),
            (self.track_stuck, lavalink.TrackStuckEvent),
            (self.voice_closed, lavalink.WebSocketClosedEvent),
            (self.player_error, lavalink.PlayerErrorEvent),
        ]
        for hook, event in hooks:
            self._link.client.add_event_hook(hook, event=event)

    async def node_ready(self, event: Any) -> None:
        self._link.node_ready(event.node.name)
        _LOGGER.info(
            "voice: Lavalink node %s ready (session %s, resumed=%s)",
            event.node.name,
            event.session_id,
            event.resumed,
        )

    async def node_disconnected(self, event: Any) -> None:
        self._link.node_gone(event.node.name)
        _LOGGER.warning(
            "voice: Lavalink node %s disconnected (code %s, %s)%s",
            event.node.name,
            event.code,
            event.reason,
            "" if self._link.available else "; voice replies fall back to text until a node is back",
        )
        if not self._link.available:
            self._service.node_lost()

    async def track_start(self, event: Any) -> None:
        _LOGGER.debug("voice: speaking in guild %s", event.player.guild_id)
        self._service.track_started(event.player.guild_id, _uri(event.track))

    async def track_end(self, event: Any) -> None:
        if event.reason == lavalink.EndReason.LOAD_FAILED:
            _LOGGER.warning(
                "voice: an utterance in guild %s could not be played and was skipped", event.player.guild_id
            )
        self._service.track_ended(event.player.guild_id, _uri(event.track), str(event.reason))

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
        self._service.track_ended(event.player.guild_id, _uri(event.track), "stuck")

    async def voice_closed(self, event: Any) -> None:
        _LOGGER.warning(
            "voice: Discord closed the voice connection in guild %s (code %s: %s, by remote: %s)",
            event.player.guild_id,
            event.code,
            event.reason,
            event.by_remote,
        )
        self._service.voice_closed(event.player.guild_id, int(event.code), str(event.reason))

    async def player_error(self, event: Any) -> None:
        _LOGGER.error("voice: player error in guild %s: %s", event.player.guild_id, event.original)


def _uri(track: Any) -> str | None:
    return None if track is None else getattr(track, "uri", None)
