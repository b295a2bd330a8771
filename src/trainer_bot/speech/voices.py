"""Which voice reads a text: one of the text's own language.

A Russian neural voice reading English (or the other way round) mangles every word, and a guild that
chose a Russian voice still gets answers in English for members who write in English. So the text's
script decides its language, and the voice asked for is used only when it speaks that language;
otherwise the default voice of the text's language reads it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Microsoft's neural voices, by the language of the text they read (edge-tts names).
DEFAULT_VOICES: Mapping[str, str] = {"ru": "ru-RU-SvetlanaNeural", "en": "en-US-AriaNeural"}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


def language_of(text: str) -> str:
    """ "ru" when Cyrillic letters outnumber Latin ones, else "en": cheap, and right for a RU/EN guild."""
    return "ru" if len(_CYRILLIC.findall(text)) > len(_LATIN.findall(text)) else "en"


def voice_language(voice: str) -> str:
    """ "ru-RU-SvetlanaNeural" -> "ru"."""
    return voice.split("-", 1)[0].lower()


class VoicePicker:
    def __init__(self, configured: str | None = None) -> None:
        """`configured`: the operator's voice (TTS_VOICE), the default for its own language."""
        self._defaults = dict(DEFAULT_VOICES)
        if configured:
            self._defaults[voice_language(configured)] = configured

    def for_text(self, text: str, asked: str | None) -> str | None:
        """`asked` (e.g. a guild's choice) when it speaks the text's language, else that language's
        default; None when neither is known (the engine's own default)."""
        language = language_of(text)
        if asked is not None and voice_language(asked) == language:
            return asked
        return self._defaults.get(language, asked)
