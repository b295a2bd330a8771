"""Finding and fetching the audio in a member's message."""

from __future__ import annotations

import hikari

from trainer_bot.errors import UserError
from trainer_bot.text import human_size

AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".wav", ".m4a", ".flac", ".webm")


def first_audio(message: hikari.Message) -> hikari.Attachment | None:
    """A voice message's recording, or the first attachment that is audio."""
    for attachment in message.attachments:
        media = attachment.media_type or ""
        if media.startswith("audio/") or attachment.filename.lower().endswith(AUDIO_SUFFIXES):
            return attachment
    if message.flags & hikari.MessageFlag.IS_VOICE_MESSAGE and message.attachments:
        return message.attachments[0]
    return None


async def download_audio(attachment: hikari.Attachment, limit: int) -> bytes:
    if attachment.size > limit:
        raise UserError(
            f"That recording is {human_size(attachment.size)}; I transcribe up to {human_size(limit)}."
        )
    try:
        return await attachment.read()
    except hikari.HikariError:
        raise UserError("I could not download that recording; please send it again.") from None
