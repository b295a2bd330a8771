"""Text to speech: the one module the bot imports for synthesis.

A `Synthesizer` cleans the text once and asks its engines in order, so a dead online service falls back
to an offline voice instead of failing the member's request. What the preferred engine said is kept in a
small cache (most recently used first, bounded in bytes): taught answers are spoken again and again, word
for word, and need not be synthesised each time. A fallback voice is not kept, so the preferred one is
tried again next time. The voice is one of the text's language (`voices`): a Russian answer in a Russian
voice, an English one in an English voice, whatever the guild chose for the other language.

A long answer can be spoken in parts (`synthesize_parts`): its first sentences are synthesised alone and
played while the rest is synthesised, so members hear it sooner. Short answers stay whole: between two
parts the voice channel starts a new track, a pause worth paying only when it saves a longer wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable, Sequence

from cachetools import LRUCache

from trainer_bot.config import Settings
from trainer_bot.i18n import t
from trainer_bot.speech.errors import SpeechError
from trainer_bot.speech.speakable import clean_for_speech, spoken_parts
from trainer_bot.speech.synthesis import SpeechAudio, SpeechEngine, SynthesisFailed
from trainer_bot.speech.tts_edge import EdgeTTSEngine
from trainer_bot.speech.tts_espeak import EspeakEngine
from trainer_bot.speech.voices import VoicePicker

__all__ = [
    "EdgeTTSEngine",
    "EspeakEngine",
    "SpeechAudio",
    "SpeechEngine",
    "SpeechError",
    "SynthesisFailed",
    "Synthesizer",
    "clean_for_speech",
    "synthesizer_for",
]

log = logging.getLogger("trainer_bot.speech")
CACHE_BYTES = 16 * 1024 * 1024  # about 400 spoken answers of a few seconds
# Answers longer than this are spoken in parts: the first up to FIRST_PART_CHARS (a sentence or two),
# the others up to PART_CHARS.
LONG_ANSWER_CHARS = 240
FIRST_PART_CHARS = 120
PART_CHARS = 300


class Synthesizer:
    def __init__(
        self,
        engines: Sequence[SpeechEngine],
        *,
        max_chars: int = 600,
        cache_bytes: int = CACHE_BYTES,
        voices: VoicePicker | None = None,
    ) -> None:
        if not engines:
            raise ValueError("a synthesizer needs at least one engine")
        self._engines = tuple(engines)
        self._voices = voices or VoicePicker()
        self._max_chars = max_chars
        self._cache: LRUCache[tuple[str, str | None], SpeechAudio] = LRUCache(
            maxsize=cache_bytes, getsizeof=lambda audio: len(audio.data)
        )

    async def synthesize(self, text: str, *, voice: str | None = None) -> SpeechAudio:
        """`voice`: an edge-tts voice name (e.g. a guild's choice), used for text in its language; engines
        that cannot use it ignore it."""
        speakable = self._speakable(text)
        return await self._speak(speakable, self._voices.for_text(speakable, voice))

    async def synthesize_parts(
        self, text: str, *, voice: str | None = None
    ) -> AsyncGenerator[SpeechAudio, None]:
        """Like `synthesize`, but a long text comes in parts, each synthesised while the one before it is
        handed out (and played); all parts in the voice of the whole text's language."""
        speakable = self._speakable(text)
        voice = self._voices.for_text(speakable, voice)
        parts = (
            spoken_parts(speakable, first_chars=FIRST_PART_CHARS, part_chars=PART_CHARS)
            if len(speakable) > LONG_ANSWER_CHARS
            else [speakable]
        )
        pending = asyncio.ensure_future(self._speak(parts[0], voice))
        try:
            for following in [*parts[1:], None]:
                audio = await pending
                if following is not None:
                    pending = asyncio.ensure_future(self._speak(following, voice))
                yield audio
        finally:
            pending.cancel()  # the caller stopped listening: the next part is not needed

    def _speakable(self, text: str) -> str:
        speakable = clean_for_speech(text, self._max_chars)
        if not speakable:
            raise SpeechError(t("There is nothing to read aloud in that message."))
        return speakable

    async def _speak(self, speakable: str, voice: str | None) -> SpeechAudio:
        key = (speakable, voice)
        if (cached := self._cache.get(key)) is not None:
            return cached
        for position, engine in enumerate(self._engines):
            try:
                audio = await engine.synthesize(speakable, voice=voice)
            except SynthesisFailed as exc:
                log.warning("speech engine %s failed, trying the next: %s", engine.name, exc)
            except Exception:
                # A bug in one engine should cost quality, not the answer.
                log.exception("speech engine %s crashed, trying the next", engine.name)
            else:
                if position == 0:
                    self._keep(key, audio)
                return audio
        raise SpeechError(t("Speech synthesis is not available right now, try again later."))

    def _keep(self, key: tuple[str, str | None], audio: SpeechAudio) -> None:
        if len(audio.data) <= self._cache.maxsize:  # LRUCache refuses an item bigger than the budget
            self._cache[key] = audio  # evicts the least recently used beyond the budget


def synthesizer_for(settings: Settings) -> Synthesizer:
    """The engines the operator chose (TTS_ENGINES), in their order."""
    engines: dict[str, Callable[[], SpeechEngine]] = {
        "edge": lambda: EdgeTTSEngine(voice=settings.tts_voice),
        "espeak": EspeakEngine,
    }
    return Synthesizer(
        [engines[name]() for name in settings.tts_engines],
        max_chars=settings.tts_max_chars,
        voices=VoicePicker(settings.tts_voice),
    )
