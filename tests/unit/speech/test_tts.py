"""Speech synthesis: text cleaning, edge-tts against a local double, falling back to espeak-ng."""

from __future__ import annotations

import asyncio
import time

import edge_tts.communicate
import pytest

from speech_support.clips import require_espeak
from speech_support.edge_double import EdgeDouble
from trainer_bot.speech.media import duration_of
from trainer_bot.speech.tts import (
    FIRST_PART_CHARS,
    EdgeTTSEngine,
    EspeakEngine,
    SpeechAudio,
    SpeechError,
    SynthesisFailed,
    Synthesizer,
    clean_for_speech,
)
from trainer_bot.speech.voices import VoicePicker, language_of


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Hi <@123> and <@!456>, see <#789>!", "Hi and, see!"),
        ("<@&42> <:pepe:1234> <a:dance:99> hello", "hello."),
        ("Run </train:123> before <t:1700000000:R>", "Run before."),
        (
            "**Bold**, *italic*, __under__, ~~strike~~ and ||spoiler||",
            "Bold, italic, under, strike and spoiler.",
        ),
        ("keep snake_case words", "keep snake_case words."),
        ("See https://example.com/a?b=1 and <https://x.y/z> or www.test.org.", "See and or."),
        ("Read [the docs](https://example.com/docs) first", "Read the docs first."),
        ("Before\n```python\nprint('x')\n```\nafter `inline()` end", "Before. after end."),
        ("Unclosed ```code block until the end", "Unclosed."),
        (
            "# Title\n- first item\n- second item\n> a quote\n-# small print",
            "Title. first item. second item. a quote. small print.",
        ),
        ("  lots   of\t\tspace  ", "lots of space."),
        ("Привет, <@1>! Как дела?", "Привет! Как дела?"),
        ("Pi is 3.14 today", "Pi is 3.14 today."),
        ("<@1> https://a.b `x` ```y```", ""),
        ("*** ~~ || __", ""),
    ],
)
def test_clean_for_speech(text: str, spoken: str) -> None:
    assert clean_for_speech(text, 600) == spoken


@pytest.mark.parametrize(
    ("text", "limit", "spoken"),
    [
        ("First sentence here. Second one is much longer and keeps going.", 40, "First sentence here."),
        ("One two three four five six seven eight nine ten", 20, "One two three four"),
        ("Short. Then a long sentence that will not fit at all", 30, "Short. Then a long sentence"),
        ("Supercalifragilistic", 5, "Super"),
        ("Exactly ten", 11, "Exactly ten"),
        ("Trailing comma, then more words", 15, "Trailing comma"),
    ],
)
def test_clean_for_speech_caps_at_a_boundary(text: str, limit: int, spoken: str) -> None:
    result = clean_for_speech(text, limit)
    assert result == spoken
    assert len(result) <= limit


def test_language_of_follows_the_script() -> None:
    assert language_of("Привет, как дела?") == "ru"
    assert language_of("Hello there") == "en"
    assert language_of("Запусти train сейчас") == "ru"
    assert language_of("12345") == "en"


async def test_edge_tts_speaks_through_the_double(monkeypatch: pytest.MonkeyPatch) -> None:
    async with EdgeDouble() as double:
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", double.url)
        engine = EdgeTTSEngine()
        default = await engine.synthesize("Привет всем")
        chosen = await engine.synthesize("Hello", voice="en-US-GuyNeural")
    for audio in (default, chosen):
        assert (audio.engine, audio.content_type, audio.extension) == ("edge-tts", "audio/mpeg", "mp3")
        assert audio.data == double.audio
        assert audio.duration == pytest.approx(1.0, abs=0.1)
    assert "ru-RU, SvetlanaNeural" in double.ssml[0] and "Привет всем" in double.ssml[0]
    assert "en-US, GuyNeural" in double.ssml[1]


async def test_falls_back_to_espeak_when_edge_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    require_espeak()
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", "ws://127.0.0.1:9/edge/v1?TrustedClientToken=x")
    synthesizer = Synthesizer([EdgeTTSEngine(), EspeakEngine()])
    audio = await synthesizer.synthesize("Hello <@123>, the **model** is trained.")
    _assert_espeak_ogg(audio)


async def test_falls_back_to_espeak_when_edge_never_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    require_espeak()
    async with EdgeDouble("silent") as double:
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", double.url)
        synthesizer = Synthesizer([EdgeTTSEngine(connect_timeout=1, receive_timeout=1), EspeakEngine()])
        started = time.perf_counter()
        audio = await synthesizer.synthesize("Модель обучена, точность девяносто процентов.")
        assert time.perf_counter() - started < 5
        assert len(double.ssml) == 1  # edge really was asked first
    _assert_espeak_ogg(audio)


async def test_an_invalid_voice_falls_back_to_espeak(monkeypatch: pytest.MonkeyPatch) -> None:
    require_espeak()
    async with EdgeDouble() as double:
        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", double.url)
        audio = await Synthesizer([EdgeTTSEngine(), EspeakEngine()]).synthesize("Привет", voice="ru-nonsense")
    assert audio.engine == "espeak-ng" and double.ssml == []


async def test_every_engine_failing_is_a_speech_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", "ws://127.0.0.1:9/edge/v1?TrustedClientToken=x")
    synthesizer = Synthesizer([EdgeTTSEngine(), EspeakEngine(executable="/nonexistent/espeak-ng")])
    with pytest.raises(SpeechError, match="not available"):
        await synthesizer.synthesize("Hello")


class RecordingEngine:
    name = "recording"

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.texts: list[str] = []
        self.voices: list[str | None] = []

    async def synthesize(self, text: str, *, voice: str | None = None) -> SpeechAudio:
        self.texts.append(text)
        self.voices.append(voice)
        if self.failure is not None:
            raise self.failure
        return SpeechAudio(b"audio", "audio/ogg", "ogg", 1.0, self.name)


async def test_nothing_speakable_is_refused_without_calling_engines() -> None:
    engine = RecordingEngine()
    with pytest.raises(SpeechError, match="nothing to read aloud"):
        await Synthesizer([engine]).synthesize("<@123> https://example.com ```code```")
    assert engine.texts == []


async def test_engines_get_cleaned_capped_text_and_a_crash_falls_through() -> None:
    broken, working = RecordingEngine(RuntimeError("bug")), RecordingEngine()
    quiet = RecordingEngine(SynthesisFailed("offline"))
    audio = await Synthesizer([quiet, broken, working], max_chars=20).synthesize(
        "**Hello** there, my dear friends"
    )
    assert audio.engine == "recording"
    assert working.texts == ["Hello there, my dear"]
    assert broken.texts == quiet.texts == working.texts


async def test_what_the_preferred_voice_said_is_reused_within_the_cache_budget() -> None:
    preferred = RecordingEngine()
    synthesizer = Synthesizer([preferred], cache_bytes=10)  # room for two 5-byte answers
    first = await synthesizer.synthesize("The library opens at 9 am.")
    again = await synthesizer.synthesize("**The library** opens at 9 am.")  # the same words, spoken
    assert again is first and len(preferred.texts) == 1
    await synthesizer.synthesize("The library opens at 9 am.", voice="en-GB-SoniaNeural")  # another voice
    await synthesizer.synthesize("Something else.")  # over the budget: the oldest goes
    await synthesizer.synthesize("The library opens at 9 am.")
    assert len(preferred.texts) == 4


async def test_a_fallback_voice_is_not_kept_so_the_preferred_one_is_tried_again() -> None:
    preferred, fallback = RecordingEngine(SynthesisFailed("offline")), RecordingEngine()
    synthesizer = Synthesizer([preferred, fallback])
    await synthesizer.synthesize("Hello there.")
    preferred.failure = None
    await synthesizer.synthesize("Hello there.")
    assert len(preferred.texts) == 2 and len(fallback.texts) == 1


def test_synthesizer_needs_an_engine() -> None:
    with pytest.raises(ValueError, match="at least one engine"):
        Synthesizer([])


def _assert_espeak_ogg(audio: SpeechAudio) -> None:
    assert (audio.engine, audio.content_type, audio.extension) == ("espeak-ng", "audio/ogg", "ogg")
    assert audio.data.startswith(b"OggS") and b"OpusHead" in audio.data[:100]
    decoded = duration_of(audio.data)
    assert decoded > 0.5
    assert audio.duration == pytest.approx(decoded)


async def test_each_text_is_read_by_a_voice_of_its_language() -> None:
    engine = RecordingEngine()
    synthesizer = Synthesizer([engine], voices=VoicePicker("ru-RU-DmitryNeural"))
    await synthesizer.synthesize("Мы открываемся в девять.", voice="ru-RU-SvetlanaNeural")  # the guild's
    await synthesizer.synthesize("We open at nine.", voice="ru-RU-SvetlanaNeural")  # not for English text
    await synthesizer.synthesize("Мы закрываемся в шесть.")  # the operator's TTS_VOICE
    await synthesizer.synthesize("We close at six.", voice="en-GB-SoniaNeural")
    assert engine.voices == [
        "ru-RU-SvetlanaNeural",
        "en-US-AriaNeural",
        "ru-RU-DmitryNeural",
        "en-GB-SoniaNeural",
    ]


async def test_a_long_answer_is_spoken_in_parts_and_a_short_one_whole() -> None:
    engine = RecordingEngine()
    synthesizer = Synthesizer([engine])
    long_answer = " ".join(f"Sentence number {n} says a little more about opening hours." for n in range(8))
    parts = [audio async for audio in synthesizer.synthesize_parts(long_answer)]
    assert len(parts) == len(engine.texts) > 1
    assert len(engine.texts[0]) <= FIRST_PART_CHARS and all(text.endswith(".") for text in engine.texts)
    assert " ".join(engine.texts) == long_answer
    assert set(engine.voices) == {"en-US-AriaNeural"}

    engine.texts.clear()
    assert len([audio async for audio in synthesizer.synthesize_parts("We open at nine.")]) == 1
    assert engine.texts == ["We open at nine."]


async def test_parts_nobody_waits_for_are_not_synthesised() -> None:
    engine = RecordingEngine()
    long_answer = " ".join(f"Sentence number {n} says a little more about opening hours." for n in range(8))
    parts = Synthesizer([engine]).synthesize_parts(long_answer)
    await anext(parts)
    await parts.aclose()
    await asyncio.sleep(0.01)
    assert len(engine.texts) <= 2  # the first part, and at most the one already under way
