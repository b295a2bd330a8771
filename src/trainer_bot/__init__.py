"""trainer-bot: a Discord bot that learns from its community."""

from __future__ import annotations

__version__ = "0.1.0"
