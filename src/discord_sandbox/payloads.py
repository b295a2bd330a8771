"""JSON payloads in Discord's shapes, carrying every field hikari 2.6 requires."""

from __future__ import annotations

import datetime
from typing import Any

from discord_sandbox.snowflakes import DISCORD_EPOCH_MS
from discord_sandbox.state import (
    VOICE_CHANNEL,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    User,
)


def timestamp_of(snowflake: int) -> str:
    millis = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC).isoformat()


def user(u: User) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.username,
        "discriminator": "0",
        "avatar": None,
        "bot": u.bot,
        "system": False,
        "mfa_enabled": False,
        "flags": 0,
        "public_flags": 0,
    }


def member(m: Member, *, with_permissions: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "user": user(m.user),
        "nick": None,
        "avatar": None,
        "roles": [str(role) for role in m.role_ids],
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }
    if with_permissions:
        payload["permissions"] = str(m.permissions)
    return payload


def channel(c: Channel) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(c.id),
        "guild_id": str(c.guild_id),
        "type": c.type,
        "name": c.name,
        "position": c.position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }
    if c.type == VOICE_CHANNEL:
        payload |= {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "video_quality_mode": 1}
    return payload


def role(role_id: int, name: str, permissions: int, position: int) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def guild_roles(g: Guild, moderator_permissions: int) -> list[dict[str, Any]]:
    return [
        role(g.id, "@everyone", g.everyone_permissions, 0),
        role(g.moderator_role_id, "Moderator", moderator_permissions, 1),
    ]


def voice_state(g: Guild, user_id: int, channel_id: int | None, session_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "guild_id": str(g.id),
        "channel_id": str(channel_id) if channel_id is not None else None,
        "user_id": str(user_id),
        "session_id": session_id,
        "deaf": False,
        "mute": False,
        "self_deaf": False,
        "self_mute": False,
        "self_video": False,
        "self_stream": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if user_id in g.members:
        payload["member"] = member(g.members[user_id])
    return payload


def guild_create(g: Guild, *, application_id: int, moderator_permissions: int) -> dict[str, Any]:
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.preferred_locale,
        "nsfw_level": 0,
        "features": [],
        "roles": guild_roles(g, moderator_permissions),
        "emojis": [],
        "stickers": [],
        "members": [member(m) for m in g.members.values()],
        "channels": [channel(c) for c in g.channels.values()],
        "threads": [],
        "presences": [],
        "voice_states": [voice_state(g, uid, cid, f"voice-{uid}") for uid, cid in g.voice_states.items()],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "large": False,
        "unavailable": False,
        "member_count": len(g.members),
        "max_video_channel_users": 25,
        "premium_progress_bar_enabled": False,
    }


def attachment(a: Attachment) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "url": a.url,
        "proxy_url": a.url,
    }
    if a.content_type:
        payload["content_type"] = a.content_type
    if a.duration_secs is not None:
        payload["duration_secs"] = a.duration_secs
        payload["waveform"] = a.waveform or ""
    return payload


def message(m: Message, *, guild: Guild | None = None, referenced: Message | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "author": user(m.author),
        "content": m.content,
        "timestamp": timestamp_of(m.id),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [user(u) for u in m.mentions],
        "mention_roles": [],
        "attachments": [attachment(a) for a in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "pinned": False,
        "type": 19 if m.referenced_message_id else 0,
        "flags": m.flags,
    }
    if m.guild_id is not None:
        payload["guild_id"] = str(m.guild_id)
        if guild is not None and m.author.id in guild.members:
            member_payload = member(guild.members[m.author.id])
            member_payload.pop("user")
            payload["member"] = member_payload
    if m.webhook_id is not None:
        payload["webhook_id"] = str(m.webhook_id)
    if m.referenced_message_id is not None:
        payload["message_reference"] = {
            "type": 0,
            "message_id": str(m.referenced_message_id),
            "channel_id": str(m.channel_id),
            **({"guild_id": str(m.guild_id)} if m.guild_id else {}),
        }
        if referenced is not None:
            payload["referenced_message"] = message(referenced, guild=guild)
    if m.reactions:
        payload["reactions"] = [
            {"count": len(users), "me": False, "emoji": {"id": None, "name": emoji}}
            for emoji, users in m.reactions.items()
        ]
    return payload


def error(message_text: str, code: int) -> dict[str, Any]:
    return {"message": message_text, "code": code, "errors": {}}
