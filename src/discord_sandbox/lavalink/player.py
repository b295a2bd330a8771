"""One guild's player on the fake node: voice connection, the playing track, its clock and its events.

A voice state makes the player connect to Discord's voice server (`VoiceLink`) with exactly what the bot
forwarded; a refused or dropped connection is reported as WebSocketClosedEvent. Like lavaplayer, a track
starts (TrackStartEvent) as soon as it is played, then streams its URL again in the background; audio
only advances while the player is unpaused AND connected, goes out as one 20 ms frame after another, and
the track ends `finished` after its real length, scaled by `time_scale` (wall seconds per audio second).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from discord_sandbox.lavalink.audio import UnsupportedAudio, probe
from discord_sandbox.lavalink.quirks import Quirks
from discord_sandbox.lavalink.tracks import TrackInfo, track_json
from discord_sandbox.lavalink.voice_link import VoiceLink

__all__ = ["FakePlayer", "LoadFailure", "PlayRecord"]

_LOGGER = logging.getLogger("discord_sandbox.lavalink")

Emit = Callable[[dict[str, Any]], None]
Fetch = Callable[[str], Awaitable[bytes]]


class LoadFailure(Exception):
    """A URL could not be streamed; carries what Lavalink reports as the exception object."""

    def __init__(self, message: str, severity: str, cause: str) -> None:
        super().__init__(message)
        self.message, self.severity, self.cause = message, severity, cause

    def as_json(self) -> dict[str, str]:
        return {
            "message": self.message,
            "severity": self.severity,
            "cause": self.cause,
            "causeStackTrace": "",
        }


@dataclass
class PlayRecord:
    """One play of one track, for tests. Times are `time.monotonic()` seconds."""

    guild_id: int
    session_id: str
    uri: str
    user_data: dict[str, Any]
    length_ms: int
    start_position_ms: int
    started_at: float
    channel_id: str | None
    ended_at: float | None = None
    reason: str | None = None  # a TrackEndEvent reason, or "crashed" when the node went down mid-track
    events: list[str] = field(default_factory=list)
    frames: int = 0  # 20 ms audio frames sent to the voice server


FRAME_MS = 20


class FakePlayer:
    def __init__(
        self,
        guild_id: int,
        session_id: str,
        user_id: int,
        *,
        emit: Emit,
        fetch: Fetch,
        time_scale: float,
        quirks: Quirks,
        swallow_end: Callable[[], bool] = lambda: False,
    ) -> None:
        self.guild_id = guild_id
        self.session_id = session_id
        self.user_id = user_id
        self._emit, self._fetch, self._scale, self._quirks = emit, fetch, time_scale, quirks
        self._swallow_end = swallow_end
        self.voice: dict[str, Any] | None = None
        self.voice_link: VoiceLink | None = None
        self.voice_connected = False  # the link finished its handshake and is still open
        self.volume = 100
        self.paused = False
        self.filters: dict[str, Any] = {}
        self.track: TrackInfo | None = None
        self.encoded: str | None = None
        self.user_data: dict[str, Any] = {}
        self.record: PlayRecord | None = None
        self._length_ms: int | None = None  # known once the stream was fetched and measured
        self._end_time_ms: int | None = None
        self._position_ms = 0
        self._position_at = time.monotonic()
        self._timer: asyncio.TimerHandle | None = None
        self._stream: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._next_frame = 0  # index of the next 20 ms frame of the track to send
        self._closing: set[asyncio.Task[None]] = set()

    # --- clock -----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return (
            self.track is not None
            and self._length_ms is not None
            and not self.paused
            and self.voice_connected
        )

    @property
    def position_ms(self) -> int:
        if not self.running:
            return self._position_ms
        elapsed = (time.monotonic() - self._position_at) / self._scale * 1000
        return min(int(self._position_ms + elapsed), self._stop_at_ms())

    def _stop_at_ms(self) -> int:
        length = self._length_ms if self._length_ms is not None else 0
        return length if self._end_time_ms is None else min(length, self._end_time_ms)

    def _settle(self) -> None:
        """Freezes the position before any change to what makes the clock run."""
        self._position_ms, self._position_at = self.position_ms, time.monotonic()

    def _reschedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self.running:
            self._stop_pump()
            return
        if not self._quirks.never_ends:
            remaining_s = max(0, self._stop_at_ms() - self._position_ms) / 1000 * self._scale
            self._timer = asyncio.get_running_loop().call_later(remaining_s, self._end, "finished")
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._send_frames())

    # --- commands from the REST API ---------------------------------------------------------------------

    def set_voice(self, voice: dict[str, Any]) -> None:
        """Connect to the voice server this state names (again, unless that connection is alive)."""
        link = self.voice_link
        if voice == self.voice and link is not None and (link.connected or not link.settled.is_set()):
            return
        self._voice_changed(False)
        self.voice = voice
        self.voice_link = VoiceLink(
            self.guild_id,
            self.user_id,
            voice,
            on_connected=lambda: self._voice_changed(True),
            on_closed=self._voice_lost,
        )
        if link is not None:
            self._close_link(link)

    async def voice_settled(self, hold: float) -> bool:
        """Whether a voice connection is up, waiting up to `hold` s for one being made (as nodes hold a play)."""
        link = self.voice_link
        if link is None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(link.settled.wait(), hold)
        return self.voice_connected

    def set_paused(self, paused: bool) -> None:
        self._settle()
        self.paused = paused
        self._reschedule()

    def seek(self, position_ms: int) -> None:
        self._position_ms, self._position_at = max(0, position_ms), time.monotonic()
        self._reschedule()

    def set_end_time(self, end_time_ms: int | None) -> None:
        self._settle()
        self._end_time_ms = end_time_ms
        self._reschedule()

    def play(self, info: TrackInfo, encoded: str, user_data: dict[str, Any], position_ms: int) -> None:
        if self.track is not None:
            self._end("replaced")
        self.track, self.encoded, self.user_data = info, encoded, user_data
        self._length_ms, self._position_ms, self._position_at = None, max(0, position_ms), time.monotonic()
        self._next_frame = self._position_ms // FRAME_MS
        self.record = PlayRecord(
            guild_id=self.guild_id,
            session_id=self.session_id,
            uri=info.uri,
            user_data=user_data,
            length_ms=info.length_ms,
            start_position_ms=position_ms,
            started_at=time.monotonic(),
            channel_id=None if self.voice is None else self.voice.get("channelId"),
        )
        self._event("TrackStartEvent", track=self._track_json())
        self._stream = asyncio.get_running_loop().create_task(self._open_stream(info.uri))

    def stop(self) -> None:
        if self.track is not None:
            self._end("stopped")

    def close_voice(self, code: int, reason: str, *, by_remote: bool = True) -> None:
        """Discord closed the voice connection: playback stalls until a new voice state comes."""
        link, self.voice_link = self.voice_link, None
        if link is not None:
            self._close_link(link)
        self._voice_lost(code, reason, by_remote=by_remote)

    def abandon(self, reason: str) -> None:
        """The session or the process is gone: no event can be sent any more, the play just stops."""
        if self.record is not None and self.record.ended_at is None:
            self.record.ended_at, self.record.reason = time.monotonic(), reason
        self._cancel()
        link, self.voice_link = self.voice_link, None
        if link is not None:
            self._close_link(link)

    # --- internals --------------------------------------------------------------------------------------

    def _voice_changed(self, connected: bool) -> None:
        if connected == self.voice_connected:
            return
        self._settle()
        self.voice_connected = connected
        self._reschedule()

    def _voice_lost(self, code: int, reason: str, *, by_remote: bool = True) -> None:
        self._voice_changed(False)
        self._event("WebSocketClosedEvent", code=code, reason=reason, byRemote=by_remote)

    def _close_link(self, link: VoiceLink) -> None:
        task = asyncio.get_running_loop().create_task(link.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _send_frames(self) -> None:
        """Audio goes out frame by frame while the clock runs, as a connected sender pulls it."""
        step = max(0.002, FRAME_MS / 1000 * self._scale)
        while self.running:
            self._catch_up(self.position_ms)
            await asyncio.sleep(step)

    def _catch_up(self, position_ms: int) -> None:
        """Send every frame that has begun by `position_ms` (frame k covers k*20 to k*20+20 ms)."""
        link = self.voice_link
        due = min(position_ms // FRAME_MS + 1, self._stop_at_ms() // FRAME_MS)
        while self._next_frame < due and link is not None and link.send_frame():
            self._next_frame += 1
            if self.record is not None:
                self.record.frames += 1

    def _stop_pump(self) -> None:
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        self._pump = None

    async def _open_stream(self, uri: str) -> None:
        track = self.track
        try:
            info = probe(await self._fetch(uri))
        except LoadFailure as failure:
            self._fail(track, failure)
            return
        except UnsupportedAudio as exc:
            self._fail(track, LoadFailure(str(exc), "common", f"java.lang.IllegalStateException: {exc}"))
            return
        if self.track is not track:
            return
        self._settle()
        self._length_ms = info.length_ms
        if self.record is not None:
            self.record.length_ms = info.length_ms
        self._reschedule()

    def _fail(self, track: TrackInfo | None, failure: LoadFailure) -> None:
        if self.track is not track or track is None:
            return
        _LOGGER.info("fake lavalink: guild %s failed to stream %s: %s", self.guild_id, track.uri, failure)
        self._event("TrackExceptionEvent", track=self._track_json(), exception=failure.as_json())
        self._end("loadFailed")

    def _end(self, reason: str) -> None:
        if self.track is None:
            return
        self._settle()
        if reason == "finished":
            self._catch_up(self._stop_at_ms())
        payload = self._track_json()
        if self.record is not None:
            self.record.ended_at, self.record.reason = time.monotonic(), reason
        self._cancel()
        self.track, self.encoded, self.user_data, self._length_ms, self._end_time_ms = (
            None,
            None,
            {},
            None,
            None,
        )
        if reason == "finished" and self._swallow_end():
            return  # the node "forgot" this end, as some do with short files
        self._event("TrackEndEvent", track=payload, reason=reason)

    def _cancel(self) -> None:
        self._stop_pump()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._stream is not None and self._stream is not asyncio.current_task():
            self._stream.cancel()
        self._stream = None

    def _event(self, kind: str, **fields: Any) -> None:
        if self.record is not None and kind != "WebSocketClosedEvent":
            self.record.events.append(kind)
        self._emit({"op": "event", "type": kind, "guildId": str(self.guild_id), **fields})

    def _track_json(self) -> dict[str, Any] | None:
        if self.track is None or self.encoded is None:
            return None
        return track_json(self.track, self.encoded, self.user_data)

    # --- views ------------------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {
            "time": int(time.time() * 1000),
            "position": self.position_ms,
            "connected": self.voice_connected,
            "ping": 12 if self.voice_connected else -1,
        }

    def as_json(self) -> dict[str, Any]:
        voice = self.voice or {}
        return {
            "guildId": str(self.guild_id),
            "track": self._track_json(),
            "volume": self.volume,
            "paused": self.paused,
            "state": self.state(),
            "voice": {
                "token": voice.get("token", ""),
                "endpoint": voice.get("endpoint", ""),
                "sessionId": voice.get("sessionId", ""),
                "channelId": voice.get("channelId"),
            },
            "filters": self.filters,
        }

    async def aclose(self) -> None:
        stream = self._stream
        self._cancel()
        if stream is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await stream
        link, self.voice_link = self.voice_link, None
        if link is not None:
            await link.close()
        await asyncio.gather(*self._closing, return_exceptions=True)
