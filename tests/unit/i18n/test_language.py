"""Who is answered in which language: the caller's client in an interaction, else the server's."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import hikari

from trainer_bot.i18n import Translations
from trainer_bot.plugins._language import command_localizations, for_guild, for_interaction


class Cache:
    def __init__(self, guilds: dict[int, str]) -> None:
        self._guilds = guilds

    def get_guild(self, guild_id: int) -> Any:
        locale = self._guilds.get(guild_id)
        return None if locale is None else SimpleNamespace(preferred_locale=locale)


def test_an_interaction_speaks_the_callers_language() -> None:
    translations = Translations.load()
    interaction = cast(hikari.PartialInteraction, SimpleNamespace(locale=hikari.Locale.RU))
    assert for_interaction(translations, interaction).language == "ru"
    english = cast(hikari.PartialInteraction, SimpleNamespace(locale=hikari.Locale.EN_GB))
    assert for_interaction(translations, english).language == "en"


def test_outside_an_interaction_the_servers_language_is_spoken() -> None:
    translations = Translations.load()
    cache = cast(hikari.api.Cache, Cache({1: "ru", 2: "en-US"}))
    assert for_guild(translations, cache, 1).language == "ru"
    assert for_guild(translations, cache, 2).language == "en"
    assert for_guild(translations, cache, 3).language == "en"  # not cached yet
    assert for_guild(translations, cache, None).language == "en"  # a DM


def test_command_keys_get_the_english_default_and_every_translation() -> None:
    localize = command_localizations(Translations.load())
    assert localize("train") == {hikari.Locale.EN_US: "train", hikari.Locale.RU: "обучить"}
    assert localize("not a key") == {hikari.Locale.EN_US: "not a key"}
