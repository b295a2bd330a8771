"""What the voice service needs from outside: Discord's op 4, a way to post a notice, audio to play."""

from __future__ import annotations

from typing import Protocol

from trainer_bot.i18n import Message


class VoiceGateway(Protocol):
    """Discord's side (op 4 with self_deaf=True, self_mute=False); the composition root passes hikari's."""

    async def join(self, guild_id: int, channel_id: int) -> None: ...

    async def leave(self, guild_id: int) -> None: ...


class Notices(Protocol):
    """Where the voice service tells members something in text (the channel their answer went to), in the
    guild's language."""

    async def post(self, guild_id: int, channel_id: int, text: Message) -> None: ...


class PlayableAudio(Protocol):
    """What the speech synthesiser produces (any object with these attributes)."""

    @property
    def data(self) -> bytes: ...

    @property
    def content_type(self) -> str: ...

    @property
    def extension(self) -> str: ...

    @property
    def duration(self) -> float: ...
