"""UserError carries a message for the member's language, and stays English for logs."""

from __future__ import annotations

from trainer_bot.errors import UserError
from trainer_bot.i18n import Translator, t


def test_a_plain_string_still_works() -> None:
    error = UserError("Join a voice channel first.")
    assert str(error) == "Join a voice channel first."
    assert error.message == "Join a voice channel first."


def test_a_message_renders_in_the_callers_language(russian: Translator) -> None:
    error = UserError(t("Trained on {examples} examples.", examples=3))
    assert str(error) == "Trained on 3 examples."
    assert russian.render(error.message) == "Обучено на 3 примерах."
