"""Which language the bot speaks to whom, decided here and nowhere else; and the commands' own localizations."""

from __future__ import annotations

from collections.abc import Mapping

import hikari
import lightbulb

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.i18n import SOURCE, Translations, Translator
from trainer_bot.i18n.catalogues import language_of


def discord_locales(language: str) -> list[hikari.Locale]:
    """The Discord locales a language's command names are registered under ("ru" -> ru, "es" -> es-ES and
    es-419). English is lightbulb's default locale, en-US, which Discord shows wherever nothing else fits."""
    if language == SOURCE.language:
        return [hikari.Locale.EN_US]
    return [locale for locale in hikari.Locale if language_of(locale.value) == language]


def for_interaction(translations: Translations, interaction: hikari.PartialInteraction) -> Translator:
    """An interaction answers in the caller's own Discord language ("ru", "en-GB"...)."""
    return translations.for_locale(getattr(interaction, "locale", None))


def for_context(translations: Translations, ctx: lightbulb.Context) -> Translator:
    return for_interaction(translations, ctx.interaction)


def for_guild(
    translations: Translations, cache: hikari.api.Cache, guild_id: int | None, chosen: str | None = None
) -> Translator:
    """Messages outside an interaction (chat answers, the channel told a model went live) speak the guild's
    language: the one chosen with `/settings language` (`chosen`), else the server's Community locale.

    `guild_translator` looks the choice up; callers that already know it pass it here.
    """
    if chosen is not None:
        return translations.for_locale(chosen)
    guild = cache.get_guild(guild_id) if guild_id is not None else None
    return translations.for_locale(guild.preferred_locale if guild is not None else None)


async def guild_translator(
    translations: Translations, preferences: GuildPreferences, cache: hikari.api.Cache, guild_id: int | None
) -> Translator:
    """`for_guild` with the guild's stored choice (cached by `preferences`, so no query per message)."""
    return for_guild(translations, cache, guild_id, await preferences.language(guild_id))


def command_name(translator: Translator, qualified_name: str) -> str:
    """How the member sees a command: "/files upload" is "/файлы загрузить" in Russian."""
    return "/" + " ".join(translator.gettext(part) for part in qualified_name.split())


def command_localizations(translations: Translations) -> lightbulb.localization.LocalizationProvider:
    """Lightbulb's localization provider from the same catalogue the messages use.

    Commands mark their English name and description with `command_text`; lightbulb asks for each key's text
    in every locale. A key a language lacks is left out, so Discord shows the English one there.
    """

    def localize(key: str) -> Mapping[hikari.Locale, str]:
        texts = dict.fromkeys(discord_locales(SOURCE.language), key)
        for language in translations.languages:
            text = translations.get(language).gettext(key)
            if text != key:
                texts.update(dict.fromkeys(discord_locales(language), text))
        return texts

    return localize


def caller_translator(ctx: lightbulb.Context, translations: Translations) -> Translator:
    """The factory behind `translator: Translator = lightbulb.di.INJECTED` in commands and their hooks."""
    return for_context(translations, ctx)
