"""Speaking in voice channels through Lavalink nodes (Lavalink.py), with no Discord library here.

The composition root wires Discord to it: `VoiceGateway` sends gateway op 4 (join/leave) and posts
notices, and every VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE goes to `on_voice_state_update` /
`on_voice_server_update` (member states too: they tell who is still listening).

Rules, per guild: one player and one queue of utterances, played one at a time in order, each within
its deadlines (`playback`), so a node that never answers costs an utterance, never the queue. After
`max_failures` utterances in a row are abandoned, the bot leaves the channel, says so where the last
answer was written, and speaks no answers there for `rest_after_giving_up` seconds unless /join asks. The bot leaves after `idle_timeout` seconds without speech (counted from the
last utterance heard or abandoned, whatever the player believes) and as soon as the last human leaves.
Asked to speak in another channel of the guild it moves there when idle and refuses (BotElsewhere)
while it is still talking. When someone moves it, the queue is dropped and the idle timer starts over;
when someone disconnects it, everything is dropped. Nothing is persisted, so a restarted bot never
rejoins old channels. While no node is up, `speak`/`join` raise VoiceUnavailable so the caller answers
in text. Callers only ever see UserError subclasses; every silence has a log line (`trainer_bot.voice`).

The voice connection, when the node reports Discord closed it (WebSocketClosedEvent):

    connected --4006 session no longer valid--> dropped: the next answer joins afresh
    connected --4014 disconnected (kicked, channel gone)--> gone: the channel is forgotten, queue dropped
              (ignored right after a move, which also closes the old connection)
    connected --4015 voice server crashed--> reconnecting: op 4 again, queue kept
    connected --1006 or any other code--> reconnecting once; a second close within
              `retry_window` seconds --> gone, and the channel is told

Beside this module: `playback` plays one utterance within its deadlines, `lavalink_link` holds the
nodes and their players, `lavalink_events` turns the nodes' events into calls here, `members` tracks
who is listening, `errors` says why a request was refused.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

import lavalink

from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, t
from trainer_bot.speech.audio_server import AudioServer
from trainer_bot.voice.errors import (
    BotElsewhere,
    NotConnected,
    NotInVoice,
    SpeechNotPlayable,
    VoiceConnectFailed,
    VoiceOff,
    VoiceResting,
    VoiceUnavailable,
)
from trainer_bot.voice.lavalink_events import LavalinkEvents
from trainer_bot.voice.lavalink_link import TRANSPORT_ERRORS, LavalinkLink, NodeAddress
from trainer_bot.voice.members import VoiceMembers
from trainer_bot.voice.playback import HEARD, Playback, Playing, Utterance
from trainer_bot.voice.ports import Notices, PlayableAudio, VoiceGateway

_LOGGER = logging.getLogger("trainer_bot.voice")
_P = ParamSpec("_P")
_R = TypeVar("_R")
SESSION_INVALID, DISCONNECTED, SERVER_CRASHED = 4006, 4014, 4015
GAVE_UP = t(
    "🔇 I stopped speaking in voice: my last answers there could not be played. "
    "I'll keep answering here; use /join to try voice again."
)
CONNECTION_LOST = t(
    "🔇 I lost my voice connection and could not get it back. I'll keep answering here; "
    "use /join to try again."
)


def _member_facing(func: Callable[_P, Awaitable[_R]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
    """Callers get UserErrors only: anything else is logged with its traceback and becomes VoiceUnavailable."""

    @functools.wraps(func)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return await func(*args, **kwargs)
        except UserError:
            raise
        except Exception as exc:
            _LOGGER.exception("voice: %s failed unexpectedly", func.__name__)
            raise VoiceUnavailable() from exc

    return wrapper


@dataclass
class _Guild:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    target: int | None = None  # the channel we joined (or are joining); None when not in voice
    session_id: str | None = None  # the bot's voice session, from its last VOICE_STATE_UPDATE
    server: tuple[str, str] | None = None  # (token, endpoint) from the last VOICE_SERVER_UPDATE
    ready: asyncio.Future[None] | None = None  # done once Lavalink has our voice state for `target`
    state_seen: bool = False
    server_seen: bool = False
    queue: collections.deque[Utterance] = field(default_factory=collections.deque)
    speaker: asyncio.Task[None] | None = None  # plays the queue; None when nothing is to be said
    playing: Playing | None = None
    failures: int = 0  # utterances abandoned in a row
    idle: asyncio.Task[None] | None = None
    moved_at: float = -1e9  # time.monotonic() of the last move by someone else
    reconnected_at: float | None = None  # when a close other than 4006/4014 was last answered
    last_text_channel: int | None = None
    resting_until: float = -1e9  # after giving up, answers are not spoken until then (or until /join)


class VoiceService:
    def __init__(
        self,
        gateway: VoiceGateway,
        audio: AudioServer,
        *,
        nodes: Sequence[NodeAddress],
        user_id: int,
        notices: Notices | None = None,
        idle_timeout: float = 300.0,
        join_timeout: float = 10.0,
        request_timeout: float = 10.0,
        start_timeout: float = 5.0,
        end_margin: float = 5.0,
        max_failures: int = 3,
        retry_window: float = 60.0,
        rest_after_giving_up: float = 300.0,
    ) -> None:
        self._gateway, self._audio, self._notices = gateway, audio, notices
        self._user_id = user_id
        self._idle_timeout, self._join_timeout = idle_timeout, join_timeout
        self._max_failures, self._retry_window = max_failures, retry_window
        self._rest_after_giving_up = rest_after_giving_up
        self.enabled = bool(nodes)  # no node configured: voice is off and every request says so
        self._link = LavalinkLink(nodes, user_id=user_id, request_timeout=request_timeout)
        self._playback = Playback(start_timeout=start_timeout, end_margin=end_margin)
        self._guilds: dict[int, _Guild] = {}
        self._members = VoiceMembers()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Registers the nodes; Lavalink.py connects in the background and keeps reconnecting."""
        if self._link.started or not self.enabled:
            return
        self._link.start()
        LavalinkEvents(self._link, self).subscribe()

    async def close(self) -> None:
        """Leaves every channel (best effort), then closes the node connections."""
        self._closing = True
        in_voice = [
            g for g, state in self._guilds.items() if state.target is not None or self._link.player(g)
        ]
        for guild_id in in_voice:
            try:
                await asyncio.wait_for(self._disconnect(guild_id, "shutting down"), timeout=5.0)
            except Exception:
                _LOGGER.warning(
                    "voice: could not leave guild %s cleanly on shutdown", guild_id, exc_info=True
                )
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._link.close()

    @property
    def available(self) -> bool:
        return self._link.available

    async def wait_ready(self, timeout: float) -> bool:
        """True once a node has said `ready` (for start-up checks and tests)."""
        return await self._link.wait_ready(timeout)

    # --- queries ----------------------------------------------------------------------------------------

    def connected_channel(self, guild_id: int) -> int | None:
        state = self._guilds.get(guild_id)
        if state is None or state.ready is None or not state.ready.done() or state.ready.cancelled():
            return None
        return state.target if state.ready.exception() is None else None

    def humans_in(self, guild_id: int) -> frozenset[int]:
        """The humans known to be in the bot's channel (from the voice states fed to this service)."""
        state = self._guilds.get(guild_id)
        if state is None or state.target is None:
            return frozenset()
        return self._members.humans_in(guild_id, state.target)

    def speaking(self, guild_id: int) -> bool:
        """True from the first utterance queued until the queue is played or abandoned."""
        state = self._guilds.get(guild_id)
        return state is not None and state.speaker is not None

    def queued(self, guild_id: int) -> int:
        """Utterances waiting behind the one playing."""
        state = self._guilds.get(guild_id)
        return 0 if state is None else len(state.queue)

    # --- commands ---------------------------------------------------------------------------------------

    @_member_facing
    async def join(self, guild_id: int, channel_id: int | None) -> None:
        if not self.enabled:
            raise VoiceOff()
        if channel_id is None:
            raise NotInVoice()
        state = self._guild(guild_id)
        state.resting_until = -1e9  # asked for: try again even right after giving up
        async with state.lock:
            await self._join_locked(guild_id, channel_id, state)

    @_member_facing
    async def leave(self, guild_id: int) -> None:
        state = self._guilds.get(guild_id)
        if state is None or (state.target is None and self._link.player(guild_id) is None):
            raise NotConnected()
        async with state.lock:
            await self._disconnect_locked(guild_id, state, "asked to leave")

    @_member_facing
    async def speak(
        self,
        guild_id: int,
        channel_id: int | None,
        audio: PlayableAudio,
        *,
        text_channel_id: int | None = None,
    ) -> None:
        """Queues `audio` in the guild's voice channel `channel_id`, joining it first where needed.

        `text_channel_id`: where the answer was written, so a notice about voice can go there.
        """
        if not self.enabled:
            raise VoiceOff()
        if channel_id is None:
            raise NotInVoice()
        if not self.available:
            raise VoiceUnavailable()  # at once, even where we are already in the channel
        state = self._guild(guild_id)
        if time.monotonic() < state.resting_until:
            raise VoiceResting()
        async with state.lock:
            await self._join_locked(guild_id, channel_id, state)
            player = self._link.player(guild_id)
            if player is None:
                raise VoiceUnavailable()
            url = self._audio.publish(audio.data, audio.content_type, audio.extension)
            track = await self._load(url, player.node, audio)
            state.queue.append(Utterance(track, url, audio.duration, text_channel_id))
            state.last_text_channel = text_channel_id or state.last_text_channel
            self._cancel_idle(state)
            if state.speaker is None:
                state.speaker = self._spawn(self._speak_queue(guild_id, state))
            _LOGGER.info("voice: queued %.1f s of speech in guild %s", audio.duration, guild_id)

    # --- Discord's voice events (never raise: they run inside the Discord library's listeners) ----------

    async def on_voice_state_update(
        self, guild_id: int, user_id: int, channel_id: int | None, session_id: str, *, is_bot: bool = False
    ) -> None:
        try:
            if user_id != self._user_id:
                self.note_member_voice(guild_id, user_id, channel_id, is_bot=is_bot)
                return
            await self._bot_voice_state(guild_id, channel_id, session_id)
        except Exception:
            _LOGGER.exception("voice: failed to handle a voice state update in guild %s", guild_id)

    async def on_voice_server_update(self, guild_id: int, token: str, endpoint: str | None) -> None:
        try:
            state = self._guild(guild_id)
            state.server = (token, endpoint) if endpoint else None
            forwarded = await self._link.forward_server(guild_id, token, endpoint)
            if state.target is not None and endpoint is not None:
                state.server_seen = True
                self._check_ready(state, forwarded)
        except Exception:
            _LOGGER.exception("voice: failed to handle a voice server update in guild %s", guild_id)

    def note_member_voice(
        self, guild_id: int, user_id: int, channel_id: int | None, *, is_bot: bool = False
    ) -> None:
        """Records where a member is; leaves when the last human walks out of the bot's channel."""
        previous = self._members.note(guild_id, user_id, channel_id, is_bot=is_bot)
        state = self._guilds.get(guild_id)
        if state is None or state.target is None or previous != state.target or channel_id == state.target:
            return
        if not self.humans_in(guild_id):
            self._spawn(self._disconnect(guild_id, "no one is left in the channel"))

    # --- the nodes' events (from LavalinkEvents) ---------------------------------------------------------

    def node_lost(self) -> None:
        """No node is left: start every idle timer, so nodes that never return don't keep us in channels."""
        for guild_id, state in self._guilds.items():
            if state.target is not None and state.speaker is None:
                self._arm_idle(guild_id, state)

    def track_started(self, guild_id: int, uri: str | None) -> None:
        playing = self._playing(guild_id, uri)
        if playing is not None:
            playing.start()

    def track_ended(self, guild_id: int, uri: str | None, reason: str) -> None:
        playing = self._playing(guild_id, uri)
        if playing is not None:
            playing.end(reason)

    def voice_closed(self, guild_id: int, code: int, reason: str) -> None:
        """Discord closed the node's voice connection; what happens next depends on why (see the top)."""
        state = self._guilds.get(guild_id)
        if state is None or state.target is None or self._closing:
            return
        if state.playing is not None:
            state.playing.end(f"voice connection closed ({code})")
        if code == SESSION_INVALID:
            self._spawn(self._disconnect(guild_id, "the voice session expired; the next answer joins again"))
        elif code == DISCONNECTED:
            if time.monotonic() - state.moved_at < 5.0:
                return  # the old connection of a move we already follow
            self._spawn(self._disconnect(guild_id, "Discord disconnected me", leave_gateway=False))
        elif code == SERVER_CRASHED or self._may_retry(state):
            state.reconnected_at = time.monotonic()
            self._spawn(self._reconnect(guild_id, state.target, f"voice connection closed with {code}"))
        else:
            self._spawn(self._give_up(guild_id, f"voice connection closed again ({code})", CONNECTION_LOST))

    def _may_retry(self, state: _Guild) -> bool:
        return state.reconnected_at is None or time.monotonic() - state.reconnected_at > self._retry_window

    # --- internals: the queue -----------------------------------------------------------------------------

    async def _speak_queue(self, guild_id: int, state: _Guild) -> None:
        """Plays the guild's queue to its end; every utterance ends heard or abandoned, within its deadlines."""
        try:
            while state.queue and state.target is not None:
                utterance = state.queue.popleft()
                player = self._link.player(guild_id)
                if player is None:
                    outcome = self._playback.abandon(guild_id, "there is no player to play it on")
                else:
                    state.playing = Playing(utterance)
                    try:
                        outcome = await self._playback.play(guild_id, player, state.playing)
                    finally:
                        state.playing = None
                if outcome == HEARD:
                    _LOGGER.info("voice: said %.1f s of speech in guild %s", utterance.duration, guild_id)
                    state.failures = 0
                    continue
                state.failures += 1
                if state.failures >= self._max_failures:
                    self._spawn(
                        self._give_up(guild_id, f"{state.failures} utterances in a row failed", GAVE_UP)
                    )
                    return
        finally:
            if state.speaker is asyncio.current_task():
                state.speaker = None
            self._arm_idle(guild_id, state)

    async def _give_up(self, guild_id: int, why: str, notice: Message) -> None:
        state = self._guilds.get(guild_id)
        if state is None or state.target is None:
            return
        channel = state.last_text_channel
        state.resting_until = time.monotonic() + self._rest_after_giving_up
        await self._disconnect(guild_id, f"giving up: {why}")
        if channel is not None and self._notices is not None:
            await self._notices.post(guild_id, channel, notice)

    def _playing(self, guild_id: int, uri: str | None) -> Playing | None:
        """The utterance an event is about: only the one playing now (events of older tracks are late)."""
        state = self._guilds.get(guild_id)
        playing = state.playing if state is not None else None
        if playing is None or (uri is not None and uri != playing.utterance.url):
            return None
        return playing

    # --- internals: joining and leaving -----------------------------------------------------------------

    async def _join_locked(self, guild_id: int, channel_id: int, state: _Guild) -> None:
        if state.target == channel_id and self.connected_channel(guild_id) == channel_id:
            return
        if state.target is not None and state.target != channel_id:
            if state.speaker is not None:
                raise BotElsewhere(state.target)
            # Idle elsewhere: a clean leave and join (a move would keep Lavalink.py's old channelId).
            await self._disconnect_locked(guild_id, state, f"moving to channel {channel_id}")
        if not self.available:
            raise VoiceUnavailable()
        try:
            # Before op 4: Lavalink.py drops voice events of guilds that have no player yet.
            self._link.create_player(guild_id)
        except lavalink.ClientError as exc:
            raise VoiceUnavailable() from exc
        await self._connect_locked(guild_id, channel_id, state)
        _LOGGER.info("voice: joined channel %s in guild %s", channel_id, guild_id)
        self._arm_idle(guild_id, state)

    async def _connect_locked(self, guild_id: int, channel_id: int, state: _Guild) -> None:
        """op 4 for `channel_id`, then wait until Lavalink has Discord's answer (both voice events)."""
        state.target, state.state_seen, state.server_seen = channel_id, False, False
        state.ready = asyncio.get_running_loop().create_future()
        try:
            await self._gateway.join(guild_id, channel_id)
            await asyncio.wait_for(asyncio.shield(state.ready), self._join_timeout)
        except TimeoutError:
            _LOGGER.warning(
                "voice: Discord did not connect me to %s in guild %s in time", channel_id, guild_id
            )
            await self._disconnect_locked(guild_id, state, "join timed out")
            raise VoiceConnectFailed() from None
        except BaseException:
            await self._disconnect_locked(guild_id, state, "join failed")
            raise

    async def _reconnect(self, guild_id: int, channel_id: int, reason: str) -> None:
        """Ask Discord for a fresh voice connection to the same channel, keeping the queue."""
        state = self._guild(guild_id)
        async with state.lock:
            if state.target != channel_id:
                return
            _LOGGER.info("voice: reconnecting to channel %s in guild %s: %s", channel_id, guild_id, reason)
            try:
                await self._connect_locked(guild_id, channel_id, state)
            except UserError as exc:
                _LOGGER.warning("voice: reconnecting in guild %s failed: %s", guild_id, exc)

    def _check_ready(self, state: _Guild, forwarded: bool) -> None:
        if state.ready is None or state.ready.done():
            return
        if not forwarded:
            state.ready.set_exception(VoiceUnavailable())
        elif state.state_seen and state.server_seen:
            state.ready.set_result(None)

    async def _bot_voice_state(self, guild_id: int, channel_id: int | None, session_id: str) -> None:
        state = self._guild(guild_id)
        state.session_id = session_id
        forwarded = await self._link.forward_state(guild_id, channel_id, session_id)
        if state.target is None:
            if channel_id is not None and not self._closing:
                # Nothing asked for this: a channel left over from before a restart. Don't linger there.
                _LOGGER.info(
                    "voice: found myself in channel %s of guild %s unasked; leaving", channel_id, guild_id
                )
                self._spawn(self._gateway.leave(guild_id))
            return
        if channel_id == state.target:
            state.state_seen = True
            self._check_ready(state, forwarded)
            return
        if state.ready is not None and not state.ready.done():
            if channel_id is not None:
                state.ready.set_exception(VoiceConnectFailed())  # moved elsewhere while joining
            # A None is most likely the echo of the leave that came before this join (moving from
            # another channel); a real disconnect while joining ends in the join timeout.
            return
        if channel_id is None:
            self._spawn(self._disconnect(guild_id, "disconnected by someone", leave_gateway=False))
        else:
            state.target, state.moved_at = channel_id, time.monotonic()
            self._spawn(self._follow_move(guild_id, channel_id))

    async def _follow_move(self, guild_id: int, channel_id: int) -> None:
        state = self._guild(guild_id)
        async with state.lock:
            if state.target != channel_id:
                return  # moved again, or left, meanwhile
            dropped = self._drop_queue(state, "moved")
            _LOGGER.info(
                "voice: moved to channel %s in guild %s by someone; dropped %d utterance(s) meant for the old one",
                channel_id,
                guild_id,
                dropped,
            )
            await self._link.destroy_player(guild_id)
            # A fresh player learns the new channel (Lavalink.py keeps the old channelId on a move).
            self._link.create_player(guild_id)
            if state.session_id is not None:
                await self._link.forward_state(guild_id, channel_id, state.session_id)
            if state.server is not None:
                await self._link.forward_server(guild_id, *state.server)
            self._arm_idle(guild_id, state)

    async def _disconnect(self, guild_id: int, reason: str, *, leave_gateway: bool = True) -> None:
        state = self._guilds.get(guild_id)
        if state is None:
            return
        async with state.lock:
            await self._disconnect_locked(guild_id, state, reason, leave_gateway=leave_gateway)

    async def _disconnect_locked(
        self, guild_id: int, state: _Guild, reason: str, *, leave_gateway: bool = True
    ) -> None:
        channel_id, state.target = state.target, None
        if state.ready is not None and not state.ready.done():
            state.ready.cancel()
        state.ready, state.failures, state.reconnected_at = None, 0, None
        dropped = self._drop_queue(state, "left the channel")
        self._cancel_idle(state)
        await self._link.destroy_player(guild_id)
        if leave_gateway:
            try:
                await self._gateway.leave(guild_id)
            except Exception:
                _LOGGER.warning("voice: could not ask Discord to leave guild %s", guild_id, exc_info=True)
        if channel_id is not None:
            unsaid = f"; {dropped} utterance(s) left unsaid" if dropped else ""
            _LOGGER.info("voice: left channel %s in guild %s: %s%s", channel_id, guild_id, reason, unsaid)

    @staticmethod
    def _drop_queue(state: _Guild, reason: str) -> int:
        """Forget what was to be said and stop waiting for what is being said (its abandonment is logged
        where it was played); how many were still waiting."""
        dropped = len(state.queue)
        state.queue.clear()
        if state.playing is not None:
            state.playing.end(reason)
        return dropped

    # --- internals: loading and idling ----------------------------------------------------------------------

    async def _load(self, url: str, node: Any, audio: PlayableAudio) -> Any:
        try:
            result = await self._link.load(url, node)
        except TRANSPORT_ERRORS as exc:
            _LOGGER.warning("voice: the node could not be asked to load speech: %s", exc)
            raise VoiceUnavailable() from exc
        if result.load_type == lavalink.LoadType.TRACK and result.tracks:
            track = result.tracks[0]
            measured = track.duration / 1000
            # Some nodes only send HEAD and report -1: they have not measured anything.
            if measured > 0 and abs(measured - audio.duration) > 1.0 + 0.1 * audio.duration:
                _LOGGER.warning(
                    "voice: the node measured %.1f s of speech where %.1f s was made; is the audio damaged?",
                    measured,
                    audio.duration,
                )
            return track
        if result.load_type == lavalink.LoadType.ERROR:
            _LOGGER.warning(
                "voice: the node could not load speech (%s); is AUDIO_PUBLIC_URL (%s) reachable from it?",
                result.error,
                self._audio.public_url,
            )
        else:
            _LOGGER.warning("voice: the node found no audio at %s (load type %s)", url, result.load_type)
        raise SpeechNotPlayable()

    def _arm_idle(self, guild_id: int, state: _Guild) -> None:
        self._cancel_idle(state)
        if state.target is not None and not self._closing:
            state.idle = self._spawn(self._leave_when_idle(guild_id, state.target))

    def _cancel_idle(self, state: _Guild) -> None:
        task, state.idle = state.idle, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _leave_when_idle(self, guild_id: int, channel_id: int) -> None:
        await asyncio.sleep(self._idle_timeout)
        state = self._guilds.get(guild_id)
        if state is None or state.target != channel_id:
            return  # a timer of a channel we already left or were moved out of
        if state.speaker is not None:
            return  # still talking: the end of the queue (heard or abandoned) starts a new timer
        await self._disconnect(guild_id, f"idle for {self._idle_timeout:g} s")

    # --- helpers ----------------------------------------------------------------------------------------

    def _guild(self, guild_id: int) -> _Guild:
        return self._guilds.setdefault(guild_id, _Guild())

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._reap)
        return task

    def _reap(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.error("voice: background task failed", exc_info=task.exception())
