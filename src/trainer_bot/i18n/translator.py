"""One language: gettext lookups from its compiled catalogue, and numbers in its notation."""

from __future__ import annotations

import gettext
import logging
import string

from babel.numbers import format_decimal, format_percent

from trainer_bot.i18n.message import Message, Number

_LOGGER = logging.getLogger(__name__)
SOURCE_LANGUAGE = "en"


class Translator:
    """Renders messages in `language`; a msgid missing from the catalogue is shown in English."""

    def __init__(self, language: str, catalogue: gettext.NullTranslations | None = None) -> None:
        self.language = language
        self._catalogue = catalogue or gettext.NullTranslations()

    def gettext(self, msgid: str) -> str:
        return self._catalogue.gettext(msgid)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._catalogue.ngettext(singular, plural, count)

    def render(self, message: Message | str) -> str:
        """The member-facing text. A plain str is returned as-is: it comes from code not yet translated."""
        if isinstance(message, str):
            return message
        if message.plural is None:
            template = self.gettext(message.msgid)
            source = message.msgid
        else:
            count = message.count or 0
            template = self.ngettext(message.msgid, message.plural, count)
            source = message.msgid if count == 1 else message.plural
        if not message.params:
            return template
        fields = {name: self._field(value) for name, value in message.params}
        try:
            return template.format_map(fields)
        except (KeyError, IndexError, ValueError):
            # The catalogue test stops broken placeholders; should one slip through, English beats a crash.
            _LOGGER.warning("the %s translation of %r breaks its placeholders", self.language, message.msgid)
            return source.format_map(fields)

    def format_number(self, value: Number) -> str:
        if value.style == "percent":
            return self.percent(value.value, value.digits)
        return self.decimal(value.value, value.digits)

    def decimal(self, value: float, digits: int = 1) -> str:
        """`1234.5` -> "1,234.5" / "1 234,5"; at most `digits` decimals, trailing zeros dropped."""
        return format_decimal(round(value, digits), locale=self.language, decimal_quantization=False)

    def percent(self, ratio: float, digits: int = 1) -> str:
        """`0.934` -> "93.4%" / "93,4 %"; at most `digits` decimals, trailing zeros dropped."""
        return format_percent(round(ratio, digits + 2), locale=self.language, decimal_quantization=False)

    def _field(self, value: object) -> object:
        if isinstance(value, Message):
            return self.render(value)
        if isinstance(value, Number):
            return self.format_number(value)
        return value


def placeholders(text: str) -> frozenset[str]:
    """The named `str.format` fields of a msgid or translation ("{count} files" -> {"count"})."""
    return frozenset(field for _, field, _, _ in string.Formatter().parse(text) if field)


# English, the language msgids are written in: it needs no catalogue.
SOURCE = Translator(SOURCE_LANGUAGE)
