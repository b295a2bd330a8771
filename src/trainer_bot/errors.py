"""The one exception type whose message is written for the member who caused it."""

from __future__ import annotations


class UserError(Exception):
    """A refusal or a problem the member can act on; `str(exc)` is shown to them as-is, ephemerally.

    Services raise subclasses of it; the command pipeline answers them without an error id or traceback.
    """
