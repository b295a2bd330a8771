"""Playing one utterance on a guild's Lavalink player, with deadlines: nothing waits for the node forever.

An utterance must start (TrackStartEvent) within `start_timeout` of the play request, and end
(TrackEndEvent) within its own duration plus `end_margin` after it started. The duration comes from the
audio the bot made, never from the node (which may report `length: -1`). A missed deadline stops the
track and the utterance counts as abandoned; so does a track that failed to load, got stuck, or lost its
voice connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from trainer_bot.voice.lavalink_link import TRANSPORT_ERRORS

_LOGGER = logging.getLogger("trainer_bot.voice")
HEARD = "finished"  # the only TrackEnd reason that means the channel heard it all


@dataclass(frozen=True)
class Utterance:
    track: Any  # the Lavalink.py AudioTrack loaded from the audio server
    url: str
    duration: float  # seconds of audio, measured when it was made
    text_channel_id: int | None  # where the answer was written, for notices
    queued_at: float = field(default_factory=time.monotonic)


class Playing:
    """The utterance on the player now, and what the node said of it."""

    def __init__(self, utterance: Utterance) -> None:
        loop = asyncio.get_running_loop()
        self.utterance = utterance
        self.started: asyncio.Future[None] = loop.create_future()
        self.ended: asyncio.Future[str] = loop.create_future()  # the TrackEnd reason, or why it was dropped

    def start(self) -> None:
        if not self.started.done():
            self.started.set_result(None)

    def end(self, reason: str) -> None:
        self.start()  # an end without a start (the node skipped it) ends the wait for a start too
        if not self.ended.done():
            self.ended.set_result(reason)


class Playback:
    def __init__(self, *, start_timeout: float, end_margin: float) -> None:
        self.start_timeout = start_timeout
        self.end_margin = end_margin

    async def play(self, guild_id: int, player: Any, playing: Playing) -> str:
        """Plays and waits, within the deadlines; returns HEARD or why the utterance was abandoned."""
        utterance = playing.utterance
        try:
            await player.play(utterance.track)
        except TRANSPORT_ERRORS as exc:
            return self.abandon(guild_id, f"the node refused to play it ({exc})")
        try:
            await asyncio.wait_for(asyncio.shield(playing.started), self.start_timeout)
        except TimeoutError:
            await _stop(player)
            return self.abandon(guild_id, f"it did not start within {self.start_timeout:g} s")
        deadline = utterance.duration + self.end_margin
        try:
            reason = await asyncio.wait_for(asyncio.shield(playing.ended), deadline)
        except TimeoutError:
            await _stop(player)
            return self.abandon(guild_id, f"it did not end within {deadline:.1f} s of starting")
        if reason != HEARD:
            return self.abandon(guild_id, f"the node ended it: {reason}")
        return HEARD

    @staticmethod
    def abandon(guild_id: int, why: str) -> str:
        _LOGGER.warning("voice: gave up on an utterance in guild %s: %s", guild_id, why)
        return why


async def _stop(player: Any) -> None:
    """Best effort: some nodes refuse to stop a player they believe idle, and a dead node cannot."""
    try:
        await player.stop()
    except TRANSPORT_ERRORS as exc:
        _LOGGER.debug("voice: stopping the player of guild %s failed: %s", player.guild_id, exc)
