"""Speech failures a member can read, in their language (`str(exc)` is the English text).

The subclasses exist so callers that speak HTTP (the STT server, the remote client) can map a failure to a
status code without parsing messages.
"""

from __future__ import annotations

from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, t

BUSY = t("Speech recognition is busy right now, try again in a minute.")
FAILED = t("Transcription failed, try again.")


class SpeechError(UserError):
    """Transcription or synthesis failed in a way worth telling the member."""


class TranscriberBusy(SpeechError):
    """Every worker is busy and the waiting queue is full."""

    def __init__(self, message: Message | str = BUSY) -> None:
        super().__init__(message)


class SpeechRejected(SpeechError):
    """The request itself is refused; trying again with the same input will not help."""


class InvalidAudio(SpeechRejected):
    """The file cannot be read as audio, or holds none."""


class AudioTooLarge(SpeechRejected):
    """The file is larger, or the recording longer, than the configured limit."""


class UnsupportedLanguage(SpeechRejected):
    """The requested language is not one the model knows."""


class TranscriptionFailed(SpeechError):
    """The recognizer broke on valid input; the member may simply try again."""

    def __init__(self, message: Message | str = FAILED) -> None:
        super().__init__(message)
