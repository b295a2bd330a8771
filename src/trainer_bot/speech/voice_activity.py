"""The speech in a recording, found once for both language detection and recognition.

faster-whisper's `transcribe(vad_filter=True)` runs Silero VAD itself, and detecting the language on
speech only (leading silence or noise skews it) ran the same VAD a second time before it. Here VAD runs
once and Whisper gets the speech-only samples with `vad_filter=False`: the same audio it would have cut
for itself (default `VadOptions`, chunks joined the same way), so transcripts do not change; timestamps are
mapped back to the recording the way faster-whisper maps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainer_bot.speech.media import WHISPER_RATE, Samples


@dataclass(frozen=True)
class Speech:
    samples: Samples
    """The parts of the recording with speech in them, joined; empty when nobody spoke."""
    timeline: Any
    """faster-whisper's `SpeechTimestampsMap` from times in `samples` to times in the recording."""

    @property
    def empty(self) -> bool:
        return self.samples.size == 0

    def recording_time(self, seconds: float, *, is_end: bool = False) -> float:
        """Where a time in `samples` falls in the recording (an end at a cut stays in its own chunk)."""
        return float(self.timeline.get_original_time(seconds, is_end=is_end))


def find_speech(samples: Samples) -> Speech:
    import numpy as np

    # Imported here, like the model: the bot should not load onnxruntime until it transcribes locally.
    from faster_whisper.vad import (  # type: ignore[import-untyped]
        SpeechTimestampsMap,
        VadOptions,
        collect_chunks,
        get_speech_timestamps,
    )

    chunks = get_speech_timestamps(samples, VadOptions())
    pieces, _ = collect_chunks(samples, chunks)
    speech: Samples = np.concatenate(pieces, axis=0)
    return Speech(speech, SpeechTimestampsMap(chunks, WHISPER_RATE))
