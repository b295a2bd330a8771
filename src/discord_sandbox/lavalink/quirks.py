"""Ways real Lavalink-compatible servers differ from Lavalink 4, so the bot can be tested against each.

Each was seen on a real server (see the project's notes on Lavalink); `Quirks.nodelink()` turns on the
set one widely used server showed at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Quirks"]


@dataclass(frozen=True)
class Quirks:
    head_only_loads: bool = False
    """/loadtracks only sends HEAD: `length: -1` and "unknown" title, author and identifier."""
    idle_stop_refused: bool = False
    """Stopping a player that plays nothing answers 400 "The player is not playing."."""
    bare_errors: bool = False
    """Error bodies lack the `error` field (Lavalink.py then raises ClientError, not RequestError)."""
    strict_delete: bool = False
    """DELETE of a player the node does not know answers 404 instead of 204."""
    silent: bool = False
    """No periodic playerUpdate or stats frames."""
    never_ends: bool = False
    """A track plays its audio but TrackEndEvent never comes (seen with short files)."""

    @classmethod
    def nodelink(cls) -> Quirks:
        return cls(
            head_only_loads=True, idle_stop_refused=True, bare_errors=True, strict_delete=True, silent=True
        )
