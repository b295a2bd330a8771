"""Lazy member-facing text: a service says what to tell the member, the plugin later says in which language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Message:
    """A msgid (and its plural msgid and count) with `str.format` named fields, not yet translated.

    Build it with `t` or `tn`; render it with `Translator.render`. `str()` gives the English text, so code
    and logs that only want English keep working.
    """

    msgid: str
    plural: str | None = None
    count: int | None = None
    params: tuple[tuple[str, object], ...] = ()

    @property
    def fields(self) -> Mapping[str, object]:
        return dict(self.params)

    def __str__(self) -> str:
        # Imported here because the translator renders messages: the two modules know each other.
        from trainer_bot.i18n.translator import SOURCE

        return SOURCE.render(self)


@dataclass(frozen=True, slots=True)
class Number:
    """A number written the way the member's language writes it ("1,234.5" / "1 234,5", "93.4%" / "93,4 %")."""

    value: float
    style: Literal["decimal", "percent"] = "decimal"
    digits: int = 1

    def __str__(self) -> str:
        from trainer_bot.i18n.translator import SOURCE

        return SOURCE.format_number(self)


def t(msgid: str, /, **params: object) -> Message:
    """A message to translate: `t("Trained on {examples} examples.", examples=n)`."""
    return Message(msgid, params=tuple(params.items()))


def tn(singular: str, plural: str, count: int, /, **params: object) -> Message:
    """A message whose wording depends on `count` (Russian has three forms); `{count}` is always a field."""
    fields = {"count": count, **params}
    return Message(singular, plural, count, tuple(fields.items()))


def number(value: float, digits: int = 1) -> Number:
    """A decimal for a message field, with at most `digits` decimals in the member's notation."""
    return Number(value, "decimal", digits)


def percent(ratio: float, digits: int = 1) -> Number:
    """A ratio (0.934) shown as a percentage ("93.4%") in the member's notation."""
    return Number(ratio, "percent", digits)


def command_text(text: str) -> str:
    """Marks a command, option or choice name or description for the catalogue; returns it unchanged.

    Lightbulb takes these as localization keys and asks the catalogue for every language's text.
    """
    return text
