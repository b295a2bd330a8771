"""Local stand-ins for what trainer-bot talks to: a Discord emulator and a fake Lavalink node.

A package of its own so tests, benchmarks and tryouts can use it; it imports nothing from trainer_bot.
"""

from __future__ import annotations

from discord_sandbox.emulator import DiscordEmulator
from discord_sandbox.rest import Upload

__all__ = ["DiscordEmulator", "Upload"]
