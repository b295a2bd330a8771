"""CI's catalogue check: every msgid in the source has a Russian translation that keeps its placeholders,
and the compiled .mo the bot loads says the same as the .po translators edit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from trainer_bot.i18n.catalogues import LOCALES_DIR, catalogue_path, translated_languages
from trainer_bot.i18n.extraction import COMPILE, EXTRACT, KEYWORDS, UPDATE
from trainer_bot.i18n.translator import placeholders

SOURCE_DIR = LOCALES_DIR.parent
FIX = f"Run from the repository's root:\n  {EXTRACT}\n  {UPDATE}\nthen translate the listed msgids, and\n  {COMPILE}"
Msgid = str | tuple[str, str]


def extracted() -> Iterator[Msgid]:
    for _, _, message, _, _ in extract_from_dir(
        str(SOURCE_DIR), [("**.py", "python")], keywords=KEYWORDS, strip_comment_tags=True
    ):
        yield message


def as_list(msgstr: object) -> list[str]:
    return list(msgstr) if isinstance(msgstr, tuple | list) else [str(msgstr or "")]


def problems_with(catalogue: Catalog, msgid: Msgid) -> str | None:
    key = msgid[0] if isinstance(msgid, tuple) else msgid
    entry = catalogue.get(key)
    if entry is None:
        return "missing"
    if entry.fuzzy:
        return "fuzzy"
    forms = as_list(entry.string)
    if len(forms) != (catalogue.num_plurals if isinstance(msgid, tuple) else 1) or not all(forms):
        return "untranslated"
    expected = frozenset().union(*(placeholders(text) for text in as_list(msgid)))
    broken = [form for form in forms if placeholders(form) != expected]
    if broken:
        return f"placeholders {sorted(expected)} differ in {broken}"
    return None


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language, ".po").open("rb") as po:
        return read_po(po, locale=language)


def test_russian_is_translated() -> None:
    assert "ru" in translated_languages()


def test_the_source_has_msgids() -> None:
    # Guards the check below against an extraction that silently finds nothing.
    assert len(set(extracted())) > 0


@pytest.mark.parametrize("language", translated_languages())
def test_every_msgid_is_translated_with_its_placeholders(language: str) -> None:
    catalogue = read_catalogue(language)
    found = {
        msgid: problem
        for msgid in dict.fromkeys(extracted())
        if (problem := problems_with(catalogue, msgid)) is not None
    }
    listing = "\n".join(f"  {msgid!r}: {problem}" for msgid, problem in found.items())
    assert not found, f"{len(found)} msgids need a {language} translation:\n{listing}\n{FIX}"


@pytest.mark.parametrize("language", translated_languages())
def test_the_compiled_catalogue_is_in_step_with_the_po(language: str) -> None:
    def translations(catalogue: Catalog) -> dict[object, object]:
        # Plural ids and forms come back as lists from a .mo and as tuples from a .po.
        return {
            (tuple(as_list(entry.id)), entry.context): tuple(as_list(entry.string))
            for entry in catalogue
            if entry.id and entry.string and not entry.fuzzy
        }

    with catalogue_path(language, ".mo").open("rb") as mo:
        compiled = read_mo(mo)
    assert translations(compiled) == translations(read_catalogue(language)), (
        f"{catalogue_path(language, '.mo')} is stale. Run: {COMPILE}"
    )


def test_russian_has_its_three_plural_forms() -> None:
    catalogue = read_catalogue("ru")
    assert catalogue.num_plurals == 3
    assert "(n%100<10 || n%100>=20)" in catalogue.plural_forms
