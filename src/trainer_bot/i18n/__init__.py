"""Member-facing text in the member's language: lazy messages, gettext catalogues, Babel number formats.

Services build `t(...)`/`tn(...)` messages without knowing the language; the Discord layer renders them with
the `Translator` for the caller's locale (`Translations.for_locale`). Framework-free on purpose.
"""

from trainer_bot.i18n.catalogues import DOMAIN, LOCALES_DIR, Translations
from trainer_bot.i18n.message import Message, Number, command_text, number, percent, t, tn
from trainer_bot.i18n.translator import SOURCE, Translator

__all__ = [
    "DOMAIN",
    "LOCALES_DIR",
    "SOURCE",
    "Message",
    "Number",
    "Translations",
    "Translator",
    "command_text",
    "number",
    "percent",
    "t",
    "tn",
]
