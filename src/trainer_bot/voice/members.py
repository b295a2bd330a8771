"""Who is in which voice channel, so the bot knows when nobody is left to listen."""

from __future__ import annotations


class VoiceMembers:
    """Humans per guild and channel, from the voice states Discord sends (bots are not counted)."""

    def __init__(self) -> None:
        self._channels: dict[int, dict[int, int]] = {}  # guild -> human user -> voice channel

    def note(self, guild_id: int, user_id: int, channel_id: int | None, *, is_bot: bool) -> int | None:
        """Records where a member is now; returns the channel they were in before, if any."""
        members = self._channels.setdefault(guild_id, {})
        previous = members.pop(user_id, None)
        if channel_id is not None and not is_bot:
            members[user_id] = channel_id
        return previous

    def humans_in(self, guild_id: int, channel_id: int) -> frozenset[int]:
        members = self._channels.get(guild_id, {})
        return frozenset(user for user, channel in members.items() if channel == channel_id)
