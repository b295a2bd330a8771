"""What one member would see of the emulated guild, as JSON for the sandbox page.

Ephemeral messages are shown only to the member whose interaction produced them, modals only to the
member they were opened for, and spoken answers only while that member sits in the bot's voice channel:
the page shows what Discord would show that person, not the emulator's whole state.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from discord_sandbox.emulator import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import IS_VOICE_MESSAGE, Attachment, Interaction, Member, Message

SHOWN_MESSAGES = 100
MODAL = 9
TYPING_SECONDS = 10.0  # how long Discord shows "is typing..." after one typing request


def snapshot(
    emulator: DiscordEmulator,
    node: FakeLavalinkNode,
    viewer: Member,
    members: Iterable[Member],
    submitted_modals: set[int],
) -> dict[str, Any]:
    guild = emulator.guild
    interactions = list(emulator.interactions_by_token.values())
    owner = _owners(interactions)
    by_id = {interaction.id: interaction for interaction in interactions}
    channel = emulator.text_channel
    visible = [
        message
        for message in emulator.messages.values()
        if message.channel_id == channel.id
        and not message.deleted
        and (not message.ephemeral or owner.get(message.id) == viewer.id)
    ][-SHOWN_MESSAGES:]
    return {
        "guild": {"id": str(guild.id), "name": guild.name},
        "viewer": str(viewer.id),
        "bot": {"id": str(emulator.bot_user.id), "name": emulator.bot_user.username},
        "channels": [
            {"id": str(c.id), "name": c.name, "voice": c.type == 2}
            for c in sorted(guild.channels.values(), key=lambda c: c.position)
        ],
        "members": [
            {
                "id": str(m.id),
                "name": m.user.username,
                "admin": m.manage_guild,
                "voice": _str(guild.voice_states.get(m.id)),
            }
            for m in members
        ],
        "bot_voice": _str(guild.voice_states.get(emulator.bot_user.id)),
        "commands": emulator.guild_commands.get(guild.id, []) + emulator.global_commands,
        "messages": [_message(emulator, message, by_id) for message in visible],
        "modals": _open_modals(interactions, viewer, submitted_modals),
        "unanswered": _unanswered(emulator, interactions, viewer),
        "plays": _plays(emulator, node, viewer),
        "typing": _typing(emulator, channel.id),
    }


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _owners(interactions: list[Interaction]) -> dict[int, int]:
    """message id -> the member whose interaction produced it (who may see it when it is ephemeral)."""
    owner: dict[int, int] = {}
    for interaction in interactions:
        for message_id in [interaction.original_message_id, *interaction.followup_ids]:
            if message_id is not None:
                owner[message_id] = interaction.member.id
    return owner


def _message(emulator: DiscordEmulator, message: Message, by_id: dict[int, Interaction]) -> dict[str, Any]:
    referenced = emulator.messages.get(message.referenced_message_id or -1)
    interaction = by_id.get(message.interaction_id or -1)
    return {
        "id": str(message.id),
        "author": {"id": str(message.author.id), "name": message.author.username, "bot": message.author.bot},
        "content": message.content,
        "edited": bool(message.edits),
        "ephemeral": message.ephemeral,
        "loading": message.loading,
        "voice": bool(message.flags & IS_VOICE_MESSAGE),
        "attachments": [_attachment(a) for a in message.attachments],
        "components": message.components,
        "reactions": {emoji: len(users) for emoji, users in message.reactions.items()},
        "reply_to": None
        if referenced is None
        else {
            "author": referenced.author.username,
            "content": referenced.content[:120] or _no_text(referenced),
        },
        "command": None
        if interaction is None
        else {"name": _command_name(interaction), "user": interaction.member.user.username},
    }


def _no_text(message: Message) -> str:
    if message.flags & IS_VOICE_MESSAGE:
        return "🎤 Voice message"
    return "📎 " + ", ".join(a.filename for a in message.attachments) if message.attachments else ""


def _command_name(interaction: Interaction) -> str:
    data = interaction.data
    parts = [str(data.get("name", ""))]
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):  # subcommand groups and subcommands
        parts.append(options[0]["name"])
        options = options[0].get("options") or []
    return " ".join(parts)


def _attachment(attachment: Attachment) -> dict[str, Any]:
    kind = (attachment.content_type or "").split("/")[0]
    return {
        "filename": attachment.filename,
        "url": attachment.url,
        "size": attachment.size,
        "kind": kind if kind in ("image", "audio") else "file",
    }


def _open_modals(
    interactions: list[Interaction], viewer: Member, submitted: set[int]
) -> list[dict[str, Any]]:
    modals = []
    for interaction in interactions:
        if interaction.member.id != viewer.id or interaction.callback_type != MODAL:
            continue
        if interaction.id in submitted:
            continue
        data = interaction.callback_data
        fields = [
            component
            for row in data.get("components", [])
            for component in row.get("components", [])
            if component.get("type") == 4
        ]
        modals.append({"interaction": str(interaction.id), "title": data.get("title", ""), "fields": fields})
    return modals


def _unanswered(
    emulator: DiscordEmulator, interactions: list[Interaction], viewer: Member
) -> list[dict[str, Any]]:
    """The viewer's commands the bot did not acknowledge in time: Discord says the app did not respond."""
    now = time.monotonic()
    return [
        {"interaction": str(i.id), "command": _command_name(i)}
        for i in interactions
        if i.member.id == viewer.id
        and i.type == 2
        and i.callback_type is None
        and now - i.created_at > emulator.interaction_deadline
    ][-5:]


def _typing(emulator: DiscordEmulator, channel_id: int) -> bool:
    """Discord shows "is typing..." for ten seconds, or until the bot's next message arrives."""
    started = [t for c, t in emulator.typing if c == channel_id]
    if not started or time.monotonic() - started[-1] > TYPING_SECONDS:
        return False
    started_wall = time.time() - (time.monotonic() - started[-1])
    return not any(
        m.created_at >= started_wall and m.channel_id == channel_id for m in emulator.bot_messages()
    )


def _plays(emulator: DiscordEmulator, node: FakeLavalinkNode, viewer: Member) -> list[dict[str, Any]]:
    """What the node played in the bot's channel; the page plays the same audio to a member who is there."""
    bot_channel = emulator.guild.voice_states.get(emulator.bot_user.id)
    listening = bot_channel is not None and emulator.guild.voice_states.get(viewer.id) == bot_channel
    return [
        {"index": index, "uri": play.uri, "listening": listening and play.channel_id == str(bot_channel)}
        for index, play in enumerate(node.play_log)
        if play.guild_id == emulator.guild.id
    ][-20:]
