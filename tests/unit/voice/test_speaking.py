"""Speaking: answers are spoken in the order members asked, with the guild's voice, whatever fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.storage import Database, GuildSettingsRepository
from trainer_bot.voice.errors import VoiceUnavailable
from trainer_bot.voice.speaking import Speaking

GUILD, CHANNEL = 10, 30


@dataclass(frozen=True)
class Spoken:
    text: str
    voice: str | None


class SlowForLongTexts:
    """A synthesizer that takes longer for longer texts, as real ones do."""

    async def synthesize(self, text: str, *, voice: str | None = None) -> Spoken:
        await asyncio.sleep(len(text) / 200)
        return Spoken(text, voice)

    async def synthesize_parts(self, text: str, *, voice: str | None = None) -> AsyncIterator[Spoken]:
        yield await self.synthesize(text, voice=voice)


class Channel:
    """Stands in for the voice service: records what it was asked to play."""

    def __init__(self, refuse: str | None = None) -> None:
        self.played: list[tuple[int, int, Spoken]] = []
        self._refuse = refuse

    async def speak(
        self, guild_id: int, channel_id: int, audio: Spoken, *, text_channel_id: int | None
    ) -> None:
        if audio.text == self._refuse:
            raise VoiceUnavailable()
        self.played.append((guild_id, channel_id, audio))


@pytest.fixture
async def preferences(database: Database) -> GuildPreferences:
    prefs = GuildPreferences(
        GuildSettingsRepository(database), languages=("en",), default_voice="default-voice"
    )
    await prefs.set_voice(GUILD, "en-US-AriaNeural")
    return prefs


def speaking(channel: Channel, preferences: GuildPreferences) -> Speaking:
    return Speaking(SlowForLongTexts(), channel, preferences)  # type: ignore[arg-type]


async def test_answers_are_spoken_in_the_order_they_were_asked(preferences: GuildPreferences) -> None:
    channel = Channel()
    speaker = speaking(channel, preferences)
    texts = ["a long answer that takes a while to synthesize " * 2, "short", "medium length"]
    turns = [speaker.reserve(GUILD) for _ in texts]
    # Started in reverse: the short ones are ready first, yet wait for the turns before them.
    await asyncio.gather(
        *(speaker.say(turn, CHANNEL, text) for turn, text in reversed(list(zip(turns, texts, strict=True))))
    )
    assert [audio.text for _, _, audio in channel.played] == texts
    assert {audio.voice for _, _, audio in channel.played} == {"en-US-AriaNeural"}


async def test_a_failed_turn_lets_the_next_one_speak(preferences: GuildPreferences) -> None:
    channel = Channel(refuse="first")
    speaker = speaking(channel, preferences)
    first, second = speaker.reserve(GUILD), speaker.reserve(GUILD)
    with pytest.raises(VoiceUnavailable):
        await speaker.say(first, CHANNEL, "first")
    await asyncio.wait_for(speaker.say(second, CHANNEL, "second"), timeout=2)
    assert [audio.text for _, _, audio in channel.played] == ["second"]


async def test_a_released_turn_never_spoken_does_not_block_the_queue(preferences: GuildPreferences) -> None:
    channel = Channel()
    speaker = speaking(channel, preferences)
    skipped, next_turn = speaker.reserve(GUILD), speaker.reserve(GUILD)
    skipped.release()  # e.g. the answer could not be computed
    await asyncio.wait_for(speaker.say(next_turn, CHANNEL, "still heard"), timeout=2)
    assert [audio.text for _, _, audio in channel.played] == ["still heard"]
