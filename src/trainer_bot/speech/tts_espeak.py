"""espeak-ng: robotic but offline, instant and always there (Debian package `espeak-ng`).

Its WAV (streamed to stdout, with a placeholder size in the header) is re-encoded as OGG/Opus, which
Discord and Lavalink play happily and which is far smaller.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from trainer_bot.speech.media import Undecodable, encode_ogg_opus
from trainer_bot.speech.synthesis import SpeechAudio, SynthesisFailed
from trainer_bot.speech.voices import language_of

DEFAULT_VOICES: Mapping[str, str] = {"ru": "ru", "en": "en-us"}


class EspeakEngine:
    name = "espeak-ng"

    def __init__(
        self,
        *,
        voices: Mapping[str, str] = DEFAULT_VOICES,
        executable: str = "espeak-ng",
        speed: int | None = None,
        timeout: float = 15.0,
    ) -> None:
        """`voices` maps the text's language ("ru"/"en", from its script) to an espeak-ng voice."""
        self._voices = dict(voices)
        self._executable = executable
        self._speed = speed
        self._timeout = timeout

    async def synthesize(self, text: str, *, voice: str | None = None) -> SpeechAudio:
        """`voice` names an online voice and is ignored here: the text's script picks espeak's voice."""
        wav = await self._run(self._voices.get(language_of(text), "en-us"), text)
        try:
            data, duration = await asyncio.to_thread(encode_ogg_opus, wav)
        except Undecodable as exc:
            raise SynthesisFailed(f"espeak-ng output does not decode: {exc}") from exc
        if duration <= 0:
            raise SynthesisFailed("espeak-ng produced no audio")
        return SpeechAudio(data, "audio/ogg", "ogg", duration, self.name)

    async def _run(self, espeak_voice: str, text: str) -> bytes:
        # Text goes through stdin (-b 1: UTF-8) so nothing in it can be mistaken for an option.
        command = [self._executable, "-v", espeak_voice, "-b", "1", "--stdin", "--stdout"]
        if self._speed is not None:
            command += ["-s", str(self._speed)]
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise SynthesisFailed(f"cannot run {self._executable}: {exc}") from exc
        try:
            async with asyncio.timeout(self._timeout):
                stdout, stderr = await process.communicate(text.encode())
        except TimeoutError as exc:
            raise SynthesisFailed(f"{self._executable} took longer than {self._timeout:g} s") from exc
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process.returncode != 0 or not stdout:
            message = stderr.decode(errors="replace").strip()
            raise SynthesisFailed(f"{self._executable} exited with {process.returncode}: {message}")
        return stdout
