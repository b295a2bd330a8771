"""The client language of members, remembered from their latest command, as a hint for their voice messages.

Discord sends a member's client locale ("ru", "en-US", "pt-BR") with interactions only, never with
messages, so it is kept from the last command each member used. In memory and bounded: it is a hint that
saves a language detection, not member data worth a table, and it is gone after a restart.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_CAPACITY = 10_000


def whisper_code(locale: str) -> str | None:
    """The Whisper language code of a Discord locale: its language part ("en-US" -> "en", "es-419" -> "es")."""
    language = locale.strip().split("-", 1)[0].lower()
    return language if language.isascii() and language.isalpha() and 2 <= len(language) <= 3 else None


class MemberLocales:
    """The latest locale of at most `capacity` members; the ones not heard from longest are forgotten."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._codes: OrderedDict[int, str] = OrderedDict()

    def remember(self, member_id: int, locale: str) -> None:
        code = whisper_code(locale)
        if code is None:
            self._codes.pop(member_id, None)
            return
        self._codes[member_id] = code
        self._codes.move_to_end(member_id)
        if len(self._codes) > self._capacity:
            self._codes.popitem(last=False)

    def language_of(self, member_id: int) -> str | None:
        """The Whisper code of the member's latest client locale, if they used a command lately."""
        return self._codes.get(member_id)

    def __len__(self) -> int:
        return len(self._codes)
