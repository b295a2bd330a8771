"""Playback's deadlines, against players that never answer: an utterance costs its deadline, no more."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import lavalink
import pytest

from trainer_bot.voice.playback import HEARD, Playback, Playing, Utterance


class Player:
    """A Lavalink.py player stand-in: `behaviour` decides which events the node would send."""

    guild_id = 1

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.playing: Playing | None = None
        self.stops = 0

    async def play(self, track: Any) -> None:
        assert self.playing is not None
        if self.behaviour in ("plays", "never ends"):
            asyncio.get_running_loop().call_later(0.01, self.playing.start)
        if self.behaviour == "plays":
            asyncio.get_running_loop().call_later(0.05, self.playing.end, "finished")

    async def stop(self) -> None:
        self.stops += 1


def utterance(seconds: float) -> Utterance:
    return Utterance(track=object(), url="http://audio/x.mp3", duration=seconds, text_channel_id=None)


@pytest.mark.parametrize(
    ("behaviour", "seconds", "expected_wait"),
    [("plays", 0.3, 0.0), ("never starts", 0.3, 0.4), ("never ends", 0.3, 0.3 + 0.2)],
)
async def test_each_utterance_ends_heard_or_abandoned_within_its_deadline(
    behaviour: str, seconds: float, expected_wait: float
) -> None:
    player = Player(behaviour)
    playing = player.playing = Playing(utterance(seconds))
    started = time.monotonic()
    outcome = await Playback(start_timeout=0.4, end_margin=0.2).play(1, player, playing)
    waited = time.monotonic() - started
    if behaviour == "plays":
        assert outcome == HEARD and player.stops == 0 and waited < 0.3
    else:
        assert outcome != HEARD and player.stops == 1
        assert expected_wait <= waited < expected_wait + 0.3


async def test_a_refused_play_is_abandoned_at_once() -> None:
    class Refusing(Player):
        async def play(self, track: Any) -> None:
            raise lavalink.ClientError("node unavailable")

    player = Refusing("plays")
    playing = Playing(utterance(5.0))
    started = time.monotonic()
    assert await Playback(start_timeout=5, end_margin=5).play(1, player, playing) != HEARD
    assert time.monotonic() - started < 0.1
