"""Member-facing text the database keeps for later: a job's error, a training report's notes.

The member who reads it later may speak another language than the one who started the job, so a message is
stored as its msgid and fields (JSON), beside its English text for anyone reading the row itself. Reading
it back gives the `Message` again, rendered in the reader's language; text stored before messages were
kept this way (or by code that still raises plain English) comes back as the text it is.
"""

from __future__ import annotations

import json
from typing import Any

from trainer_bot.i18n import Message, Number

_ENGLISH = "en"
_MSGID = "msgid"
_NUMBER = "number"


def to_json(message: Message | str) -> Any:
    """A JSON-ready form of `message`; a plain str stays a str."""
    if isinstance(message, str):
        return message
    stored: dict[str, Any] = {_ENGLISH: str(message), _MSGID: message.msgid}
    if message.plural is not None:
        stored |= {"plural": message.plural, "count": message.count}
    if message.params:
        stored["params"] = {name: _field_to_json(value) for name, value in message.params}
    return stored


def from_json(stored: Any) -> Message | str:
    """The message `to_json` kept; anything else as text."""
    if not isinstance(stored, dict) or not isinstance(stored.get(_MSGID), str):
        return stored if isinstance(stored, str) else str(stored)
    params = stored.get("params")
    fields = (
        {name: _field_from_json(value) for name, value in params.items()} if isinstance(params, dict) else {}
    )
    count = stored.get("count")
    return Message(
        stored[_MSGID],
        plural=stored.get("plural"),
        count=count if isinstance(count, int) else None,
        params=tuple(fields.items()),
    )


def to_text(message: Message | str) -> str:
    """For a text column (a job's error): a message as its JSON, a plain str unchanged."""
    if isinstance(message, str):
        return message
    return json.dumps(to_json(message), ensure_ascii=False)


def from_text(text: str) -> Message | str:
    """What `to_text` kept. Only a JSON object naming a msgid is read back as a message, so an English
    error stored as it was (older rows, unexpected errors) is shown unchanged."""
    if not text.startswith("{"):
        return text
    try:
        stored = json.loads(text)
    except ValueError:
        return text
    return from_json(stored) if isinstance(stored, dict) and _MSGID in stored else text


def _field_to_json(value: object) -> Any:
    if isinstance(value, Message):
        return to_json(value)
    if isinstance(value, Number):
        return {_NUMBER: value.value, "style": value.style, "digits": value.digits}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _field_from_json(value: Any) -> object:
    if isinstance(value, dict) and _MSGID in value:
        return from_json(value)
    if isinstance(value, dict) and isinstance(value.get(_NUMBER), int | float):
        digits = value.get("digits")
        places = digits if isinstance(digits, int) else 1
        if value.get("style") == "percent":
            return Number(float(value[_NUMBER]), "percent", places)
        return Number(float(value[_NUMBER]), "decimal", places)
    return value
