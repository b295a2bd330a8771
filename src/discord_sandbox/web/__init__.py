"""The sandbox page: the emulated guild in a browser, for trying the bot without a Discord application."""

from __future__ import annotations

from discord_sandbox.web.server import SandboxPage

__all__ = ["SandboxPage"]
