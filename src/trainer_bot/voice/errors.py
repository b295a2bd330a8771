"""Why a voice request was refused, in words for the member who asked (in their language)."""

from __future__ import annotations

from trainer_bot.errors import UserError
from trainer_bot.i18n import t


class VoiceUnavailable(UserError):
    def __init__(self) -> None:
        super().__init__(
            t("I can't speak in voice right now: my audio node is offline. Try again in a minute.")
        )


class VoiceOff(UserError):
    def __init__(self) -> None:
        super().__init__(
            t(
                "Voice channels aren't set up on this bot: its operator has not connected a Lavalink node (LAVALINK_PASSWORD). My answers stay in text."
            )
        )


class NotInVoice(UserError):
    def __init__(self) -> None:
        super().__init__(t("Join a voice channel first, then try again."))


class NotConnected(UserError):
    def __init__(self) -> None:
        super().__init__(t("I'm not in a voice channel in this server."))


class BotElsewhere(UserError):
    def __init__(self, channel_id: int) -> None:
        super().__init__(
            t(
                "I'm still talking in <#{channel_id}>. Join me there, or try again when I'm done.",
                channel_id=channel_id,
            )
        )
        self.channel_id = channel_id


class VoiceConnectFailed(UserError):
    def __init__(self) -> None:
        super().__init__(
            t(
                "I couldn't connect to that voice channel. Check that I can see it and connect to it, then try again."
            )
        )


class VoiceResting(UserError):
    def __init__(self) -> None:
        super().__init__(
            t("I stopped speaking in voice here after repeated failures; use /join to try again.")
        )


class SpeechNotPlayable(UserError):
    def __init__(self) -> None:
        super().__init__(t("I couldn't play that reply in voice."))
