"""The one exception type whose message is written for the member who caused it."""

from __future__ import annotations

from trainer_bot.i18n import Message


class UserError(Exception):
    """A refusal or a problem the member can act on, answered ephemerally in the member's language.

    Services raise subclasses of it with a `t(...)` message (a plain str is shown as-is, untranslated); the
    command pipeline renders `message` for the caller, without an error id or traceback. `str(exc)` is the
    English text, for logs.
    """

    def __init__(self, message: str | Message) -> None:
        super().__init__(str(message))
        self.message = message
