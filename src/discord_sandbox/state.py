"""What the emulated Discord remembers: guilds, members, messages, interactions, commands."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from discord_sandbox.snowflakes import new_snowflake

# Permission bits the emulator cares about (Discord's values).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
READ_MESSAGE_HISTORY = 1 << 16
ATTACH_FILES = 1 << 15
CONNECT = 1 << 20
SPEAK = 1 << 21
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_GUILD = 1 << 5
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | READ_MESSAGE_HISTORY
    | ATTACH_FILES
    | CONNECT
    | SPEAK
    | USE_APPLICATION_COMMANDS
)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
IS_VOICE_MESSAGE = 1 << 13

TEXT_CHANNEL = 0
VOICE_CHANNEL = 2


@dataclass
class User:
    id: int
    username: str
    bot: bool = False


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int]
    permissions: int
    joined_at: str = "2026-01-01T00:00:00+00:00"
    locale: str = "en-US"  # the language of the member's Discord client, sent with their interactions

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def manage_guild(self) -> bool:
        return bool(self.permissions & MANAGE_GUILD)


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    type: int
    position: int


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    everyone_permissions: int = EVERYONE_PERMISSIONS
    preferred_locale: str = "en-US"  # a Community server's language
    moderator_role_id: int = field(default_factory=new_snowflake)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    # user id -> voice channel id
    voice_states: dict[int, int] = field(default_factory=dict)

    def channel_named(self, name: str) -> Channel:
        return next(channel for channel in self.channels.values() if channel.name == name)


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str
    duration_secs: float | None = None
    waveform: str | None = None
    declared_size: int | None = None  # a size that lies, as a hostile client's upload may

    @property
    def size(self) -> int:
        return len(self.data) if self.declared_size is None else self.declared_size


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str
    flags: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    interaction_id: int | None = None
    webhook_id: int | None = None
    referenced_message_id: int | None = None
    mentions: list[User] = field(default_factory=list)
    edits: list[str] = field(default_factory=list)
    reactions: dict[str, set[int]] = field(default_factory=dict)
    deleted: bool = False
    created_at: float = field(default_factory=time.time)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)


@dataclass
class Interaction:
    """One interaction the emulator posted, and everything the bot did in answer."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    member: Member
    data: dict[str, Any]
    created_at: float = field(default_factory=time.monotonic)
    dispatched_at: float | None = None
    callback_type: int | None = None
    callback_at: float | None = None
    callback_data: dict[str, Any] = field(default_factory=dict)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    deferred_followup_pending: bool = False
    callback_errors: list[int] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.callback_type is not None

    @property
    def latency(self) -> float | None:
        """Seconds from INTERACTION_CREATE leaving the gateway to the bot's callback arriving."""
        if self.dispatched_at is None or self.callback_at is None:
            return None
        return self.callback_at - self.dispatched_at


class Changes:
    """Lets tests wait for the emulator's state to satisfy a condition without polling sleeps."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0  # counts changes, so a watcher can tell whether anything happened since it looked

    def notify(self) -> None:
        self.version += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(self, predicate: Any, timeout: float, what: str = "condition") -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue
