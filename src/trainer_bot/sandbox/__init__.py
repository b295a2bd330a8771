"""Local stand-ins for the services trainer-bot talks to: a Discord emulator (and, later, a Lavalink node)."""

from __future__ import annotations

from trainer_bot.sandbox.emulator import DiscordEmulator
from trainer_bot.sandbox.rest import Upload

__all__ = ["DiscordEmulator", "Upload"]
