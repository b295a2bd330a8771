"""GuildPreferences: the guild's voice-message language and the bot's voice, checked and kept."""

from __future__ import annotations

import pytest

from trainer_bot.chat.preferences import DEFAULT_PERSONA, BadPreference, GuildPreferences
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


async def test_a_persona_is_kept_bounded_and_can_go_back_to_the_default(database: Database) -> None:
    prefs = preferences(database)
    assert await prefs.persona(GUILD) == DEFAULT_PERSONA
    await prefs.set_persona(GUILD, "  You are the helper of our chess club.\x00 ")
    assert await preferences(database).persona(GUILD) == "You are the helper of our chess club.\ufffd"
    with pytest.raises(BadPreference, match="at most 1000 characters"):
        await prefs.set_persona(GUILD, "x" * 1001)
    assert await prefs.persona(GUILD) == "You are the helper of our chess club.\ufffd"  # unchanged
    await prefs.set_persona(GUILD, None)
    assert await preferences(database).persona(GUILD) == DEFAULT_PERSONA
    assert await prefs.persona(GUILD + 1) == DEFAULT_PERSONA  # another guild is not affected


MEMBER = 77


async def test_a_members_client_language_is_used_when_the_guild_fixed_none(database: Database) -> None:
    prefs = preferences(database)
    assert await prefs.stt_language(GUILD, MEMBER) is None  # never used a command: detect
    prefs.remember_locale(MEMBER, "ru")
    assert await prefs.stt_language(GUILD, MEMBER) == "ru"
    assert await prefs.stt_language(None, MEMBER) == "ru"  # direct messages too
    assert await prefs.stt_language(GUILD, MEMBER + 1) is None  # only for that member
    await prefs.set_language(GUILD, "en")
    assert await prefs.stt_language(GUILD, MEMBER) == "en"  # the guild's choice comes first


@pytest.mark.parametrize("locale", ["de", "pt-BR"])
async def test_a_client_language_not_listened_for_is_detected(database: Database, locale: str) -> None:
    prefs = preferences(database)
    prefs.remember_locale(MEMBER, locale)
    assert await prefs.stt_language(GUILD, MEMBER) is None


async def test_an_english_client_does_not_force_english_where_other_languages_are_spoken(
    database: Database,
) -> None:
    """English is the client language of many who speak something else: it says little in a ru,en guild."""
    prefs = preferences(database)
    prefs.remember_locale(MEMBER, "en-US")
    assert await prefs.stt_language(GUILD, MEMBER) is None
    english_only = GuildPreferences(GuildSettingsRepository(database), languages=("en",), default_voice="v")
    english_only.remember_locale(MEMBER, "en-GB")
    assert await english_only.stt_language(GUILD, MEMBER) == "en"
