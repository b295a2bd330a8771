"""Which translator a Discord locale gets, and the shipped catalogues loading."""

from __future__ import annotations

import pytest

from trainer_bot.i18n import SOURCE, Translations, Translator
from trainer_bot.i18n.translator import placeholders


@pytest.mark.parametrize(
    ("locale", "language"),
    [("ru", "ru"), ("en-US", "en"), ("en-GB", "en"), ("pt-BR", "en"), ("", "en"), (None, "en"), ("RU", "ru")],
)
def test_a_locale_gets_its_language_or_english(
    translations: Translations, locale: str | None, language: str
) -> None:
    assert translations.for_locale(locale).language == language


def test_the_source_language_comes_first(translations: Translations) -> None:
    assert translations.languages == ("en", "ru")
    assert translations.get("en") is SOURCE


def test_the_shipped_catalogues_load() -> None:
    translations = Translations.load()
    assert translations.languages == ("en", "ru")
    russian = translations.for_locale("ru")
    assert isinstance(russian, Translator)
    assert russian.ngettext("{count} unknown", "{count} unknowns", 5) == "{count} unknowns"  # untranslated


def test_numbers_follow_the_language() -> None:
    russian = Translator("ru")
    assert SOURCE.percent(0.934) == "93.4%"
    assert russian.percent(0.934) == "93,4\xa0%"
    assert SOURCE.decimal(1234.5) == "1,234.5"
    assert russian.decimal(1234.5) == "1\xa0234,5"
    assert SOURCE.percent(1.0) == "100%"


def test_placeholders_are_the_named_fields() -> None:
    assert placeholders("{count} files in {folder}, {{literal}}") == {"count", "folder"}
