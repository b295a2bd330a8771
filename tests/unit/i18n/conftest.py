"""A Russian translator built from an in-memory catalogue, so rendering is tested apart from the real one."""

from __future__ import annotations

import io

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations as BabelTranslations

from trainer_bot.i18n import Translations, Translator

RUSSIAN = {
    "Trained on {examples} examples.": "Обучено на {examples} примерах.",
    ("{count} file", "{count} files"): ("{count} файл", "{count} файла", "{count} файлов"),
    "Accuracy: {accuracy}": "Точность: {accuracy}",
    "in {folder}": "в папке {folder}",
    "{what} saved {where}.": "{what} сохранён {where}.",
    "Broken {count}": "Сломано {number}",
}


def compiled(messages: dict[object, object]) -> BabelTranslations:
    catalogue = Catalog(locale="ru", domain="trainer_bot")
    for msgid, msgstr in messages.items():
        catalogue.add(msgid, msgstr)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return BabelTranslations(buffer, domain="trainer_bot")


@pytest.fixture
def russian() -> Translator:
    return Translator("ru", compiled(RUSSIAN))


@pytest.fixture
def translations(russian: Translator) -> Translations:
    return Translations({"ru": russian})
