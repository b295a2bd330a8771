"""Discord-shaped ids and a token hikari accepts."""

from __future__ import annotations

import base64
import itertools
import secrets
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count()


def new_snowflake() -> int:
    """A snowflake that sorts by creation time, like Discord's."""
    millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (millis << 22) | (next(_counter) & 0x3FFFFF)


def bot_token(bot_id: int) -> str:
    """hikari checks that the token's first segment is the base64 of the bot's numeric id."""
    head = base64.b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.sandbox.{secrets.token_urlsafe(24)}"
