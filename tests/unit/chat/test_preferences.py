"""GuildPreferences: the guild's voice-message language and the bot's voice, checked and kept."""

from __future__ import annotations

import pytest

from trainer_bot.chat.preferences import BadPreference, GuildPreferences
from trainer_bot.storage import Database, GuildSettingsRepository

GUILD = 10


def preferences(database: Database) -> GuildPreferences:
    return GuildPreferences(
        GuildSettingsRepository(database), languages=("ru", "en"), default_voice="ru-RU-SvetlanaNeural"
    )


async def test_defaults_detect_the_language_and_use_the_operators_voice(database: Database) -> None:
    prefs = preferences(database)
    assert await prefs.stt_language(GUILD) is None
    assert await prefs.tts_voice(GUILD) == "ru-RU-SvetlanaNeural"
    assert await prefs.tts_voice(None) == "ru-RU-SvetlanaNeural"  # direct messages


async def test_choices_are_kept_across_restarts(database: Database) -> None:
    await preferences(database).set_language(GUILD, "EN")
    await preferences(database).set_voice(GUILD, "en-US-AriaNeural")
    restarted = preferences(database)
    assert await restarted.stt_language(GUILD) == "en"
    assert await restarted.tts_voice(GUILD) == "en-US-AriaNeural"
    await restarted.set_language(GUILD, None)
    await restarted.set_voice(GUILD, None)
    assert await restarted.stt_language(GUILD) is None
    assert await restarted.tts_voice(GUILD) == "ru-RU-SvetlanaNeural"


async def test_unknown_languages_and_malformed_voices_change_nothing(database: Database) -> None:
    prefs = preferences(database)
    with pytest.raises(BadPreference, match="ru, en"):
        await prefs.set_language(GUILD, "fr")
    with pytest.raises(BadPreference, match="is not a voice name"):
        await prefs.set_voice(GUILD, "../../etc/passwd")
    assert await preferences(database).stt_language(GUILD) is None
    assert await preferences(database).tts_voice(GUILD) == "ru-RU-SvetlanaNeural"
