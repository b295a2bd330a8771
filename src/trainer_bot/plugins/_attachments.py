"""The one way plugins read what members attach: size refused before download, failures explained."""

from __future__ import annotations

import logging

import aiohttp
import hikari
import lightbulb

from trainer_bot.config import Settings
from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.text import human_size
from trainer_bot.training.catalog import UploadedFile

_LOGGER = logging.getLogger(__name__)
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".wav", ".m4a", ".flac", ".webm")


def upload_limit(ctx: lightbulb.Context, settings: Settings) -> int:
    """The smaller of Discord's limit for this interaction and the operator's MAX_UPLOAD_MB."""
    return min(ctx.interaction.attachment_size_limit, settings.max_upload_bytes)


async def read_attachment(attachment: hikari.Attachment, limit: int) -> bytes:
    """The attachment's bytes. Refused before downloading when it says it is too large, and cut off as
    soon as more than `limit` bytes arrive: the size an attachment declares is not trusted."""
    if attachment.size > limit:
        raise UserError(
            t(
                "`{filename}` is {size}; the limit is {limit}.",
                filename=attachment.filename,
                size=human_size(attachment.size),
                limit=human_size(limit),
            )
        )
    chunks: list[bytes] = []
    received = 0
    try:
        async with attachment.stream() as reader:
            async for chunk in reader:
                received += len(chunk)
                if received > limit:
                    raise UserError(
                        t(
                            "`{filename}` is larger than the {limit} limit.",
                            filename=attachment.filename,
                            limit=human_size(limit),
                        )
                    )
                chunks.append(chunk)
    except (hikari.HikariError, aiohttp.ClientError) as exc:
        _LOGGER.warning("could not download attachment %s: %s", attachment.filename, exc)
        raise UserError(
            t("I could not download `{filename}`; please send it again.", filename=attachment.filename)
        ) from None
    return b"".join(chunks)


async def read_upload(attachment: hikari.Attachment | None, limit: int) -> UploadedFile | None:
    """An optional file option of a command, read."""
    if attachment is None:
        return None
    return UploadedFile(attachment.filename, await read_attachment(attachment, limit))


def first_audio(message: hikari.Message) -> hikari.Attachment | None:
    """A voice message's recording, or the first attachment that is audio."""
    for attachment in message.attachments:
        media = attachment.media_type or ""
        if media.startswith("audio/") or attachment.filename.lower().endswith(AUDIO_SUFFIXES):
            return attachment
    if message.flags & hikari.MessageFlag.IS_VOICE_MESSAGE and message.attachments:
        return message.attachments[0]
    return None


class AttachedRecording:
    """A hikari attachment as the chat flow's `Recording`."""

    def __init__(self, attachment: hikari.Attachment) -> None:
        self._attachment = attachment

    @property
    def filename(self) -> str:
        return self._attachment.filename

    async def read(self, limit: int) -> bytes:
        return await read_attachment(self._attachment, limit)
