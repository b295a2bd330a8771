"""Messages made without a language, rendered later in the caller's."""

from __future__ import annotations

import pytest

from trainer_bot.i18n import SOURCE, Message, Translator, number, percent, t, tn


def test_a_message_keeps_its_msgid_and_fields_until_rendered() -> None:
    message = t("Trained on {examples} examples.", examples=12)
    assert message == Message("Trained on {examples} examples.", params=(("examples", 12),))
    assert message.fields == {"examples": 12}
    assert str(message) == "Trained on 12 examples."


def test_messages_are_immutable() -> None:
    message = t("Hello")
    with pytest.raises(AttributeError):
        message.msgid = "Bye"  # type: ignore[misc]


def test_a_message_renders_in_the_translators_language(russian: Translator) -> None:
    assert russian.render(t("Trained on {examples} examples.", examples=12)) == "Обучено на 12 примерах."


@pytest.mark.parametrize(
    ("count", "english", "russian_text"),
    [
        (1, "1 file", "1 файл"),
        (2, "2 files", "2 файла"),
        (5, "5 files", "5 файлов"),
        (11, "11 files", "11 файлов"),
        (21, "21 files", "21 файл"),
        (24, "24 files", "24 файла"),
        (112, "112 files", "112 файлов"),
    ],
)
def test_plurals_take_the_languages_forms(
    count: int, english: str, russian_text: str, russian: Translator
) -> None:
    message = tn("{count} file", "{count} files", count)
    assert str(message) == english
    assert russian.render(message) == russian_text


def test_fields_that_are_messages_render_in_the_same_language(russian: Translator) -> None:
    message = t(
        "{what} saved {where}.",
        what=tn("{count} file", "{count} files", 3),
        where=t("in {folder}", folder="x"),
    )
    assert str(message) == "3 files saved in x."
    assert russian.render(message) == "3 файла сохранён в папке x."


def test_numbers_take_the_languages_notation(russian: Translator) -> None:
    message = t("Accuracy: {accuracy}", accuracy=percent(0.934))
    assert str(message) == "Accuracy: 93.4%"
    assert russian.render(message) == "Точность: 93,4\xa0%"
    assert SOURCE.render(t("Accuracy: {accuracy}", accuracy=number(1234.56))) == "Accuracy: 1,234.6"
    assert str(percent(0.5)) == "50%"


def test_a_msgid_without_a_translation_is_shown_in_english(russian: Translator) -> None:
    assert russian.render(t("Not translated {x}", x=1)) == "Not translated 1"


def test_a_translation_that_breaks_its_placeholders_falls_back_to_english(russian: Translator) -> None:
    assert russian.render(tn("Broken {count}", "Broken {count}", 2)) == "Broken 2"


def test_plain_strings_pass_through_untranslated(russian: Translator) -> None:
    assert russian.render("already text {x}") == "already text {x}"


def test_a_message_without_fields_is_shown_as_written() -> None:
    assert str(t("Use {braces} literally")) == "Use {braces} literally"
