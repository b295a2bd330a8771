"""Which languages the bot speaks, where their catalogues are, and which one a Discord locale gets."""

from __future__ import annotations

from pathlib import Path

from babel.support import Translations as BabelTranslations

from trainer_bot.i18n.translator import SOURCE, Translator

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "trainer_bot"


def catalogue_path(language: str, suffix: str = ".mo", directory: Path = LOCALES_DIR) -> Path:
    return directory / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def translated_languages(directory: Path = LOCALES_DIR) -> tuple[str, ...]:
    """Every language with a catalogue: adding one is adding its `<lang>/LC_MESSAGES/trainer_bot.po`."""
    return tuple(sorted(po.parent.parent.name for po in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def language_of(locale: str | None) -> str:
    """The language part of a Discord or POSIX locale: "en-US" -> "en", "pt_BR" -> "pt", None -> ""."""
    return (locale or "").replace("_", "-").split("-")[0].lower()


class Translations:
    """A translator per supported language, loaded once at start."""

    def __init__(self, translators: dict[str, Translator]) -> None:
        self._translators = {SOURCE.language: SOURCE, **translators}

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Translations:
        """Reads every language's compiled catalogue; a .po without its .mo is an install error, so it raises."""
        translators = {}
        for language in translated_languages(directory):
            with catalogue_path(language, directory=directory).open("rb") as compiled:
                translators[language] = Translator(language, BabelTranslations(compiled, domain=DOMAIN))
        return cls(translators)

    @property
    def languages(self) -> tuple[str, ...]:
        """The source language first, then the translated ones."""
        return tuple(self._translators)

    def get(self, language: str) -> Translator:
        return self._translators.get(language, SOURCE)

    def for_locale(self, locale: str | None) -> Translator:
        """The translator for "ru", "en-GB", "pt-BR"...; a language without a catalogue gets English."""
        return self.get(language_of(locale))
