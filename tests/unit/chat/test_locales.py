"""MemberLocales: members' latest client locales as Whisper codes, bounded."""

from __future__ import annotations

import pytest

from trainer_bot.chat.locales import MemberLocales, whisper_code


@pytest.mark.parametrize(
    ("locale", "code"),
    [("ru", "ru"), ("en-US", "en"), ("en-GB", "en"), ("pt-BR", "pt"), ("es-419", "es"), ("zh-TW", "zh")],
)
def test_a_discord_locale_becomes_its_language_code(locale: str, code: str) -> None:
    assert whisper_code(locale) == code


@pytest.mark.parametrize("locale", ["", "-", "e", "123", "русский", "english"])
def test_what_is_not_a_locale_has_no_code(locale: str) -> None:
    assert whisper_code(locale) is None


def test_the_latest_locale_of_each_member_is_kept() -> None:
    locales = MemberLocales()
    locales.remember(1, "en-US")
    locales.remember(2, "ru")
    locales.remember(1, "pt-BR")
    assert (locales.language_of(1), locales.language_of(2), locales.language_of(3)) == ("pt", "ru", None)
    locales.remember(2, "???")  # nothing usable now: the old one is no longer the member's
    assert locales.language_of(2) is None


def test_the_members_not_heard_from_longest_are_forgotten_first() -> None:
    locales = MemberLocales(capacity=2)
    locales.remember(1, "ru")
    locales.remember(2, "ru")
    locales.remember(1, "en-US")  # 1 used a command again: 2 is now the oldest
    locales.remember(3, "de")
    assert len(locales) == 2
    assert (locales.language_of(1), locales.language_of(2), locales.language_of(3)) == ("en", None, "de")
