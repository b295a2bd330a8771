"""Listening: the language asked of the transcriber is the one known for the guild and the speaking member."""

from __future__ import annotations

from trainer_bot.speech.listening import Listening
from trainer_bot.speech.transcript import OnQueued, Transcript


class Choice:
    def __init__(self, language: str | None) -> None:
        self.language = language
        self.asked: list[tuple[int | None, int | None]] = []

    async def stt_language(self, guild_id: int | None, member_id: int | None) -> str | None:
        self.asked.append((guild_id, member_id))
        return self.language


class Recorder:
    def __init__(self) -> None:
        self.languages: list[str | None] = []

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        self.languages.append(language)
        return Transcript("hi", language, 1.0, 0.1)

    async def close(self) -> None:
        pass


async def test_the_language_is_asked_for_the_guild_and_the_speaking_member() -> None:
    choice, recorder = Choice("ru"), Recorder()
    listening = Listening(recorder, choice, max_bytes=100)
    transcript = await listening.transcribe(5, b"ogg", filename="voice.ogg", member_id=7)
    assert (choice.asked, recorder.languages, transcript.language) == ([(5, 7)], ["ru"], "ru")


async def test_an_unknown_speaker_leaves_detection_to_the_transcriber() -> None:
    choice, recorder = Choice(None), Recorder()
    await Listening(recorder, choice, max_bytes=100).transcribe(None, b"ogg", filename="voice.ogg")
    assert (choice.asked, recorder.languages) == ([(None, None)], [None])
