"""VoiceService end to end: the fake Lavalink node, the real audio server, and a Discord that answers op 4.

Audio is generated MP3 (edge-tts's format) that the node downloads from the audio server and measures;
the node's `time_scale` makes it "play" 20 times faster than real time.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from discord_sandbox.lavalink import FakeLavalinkNode, PlayRecord, probe, silent_mp3
from discord_sandbox.voice_gateway import VoiceGateway
from trainer_bot.errors import UserError
from trainer_bot.speech.audio_server import AudioServer
from trainer_bot.voice.errors import (
    BotElsewhere,
    NotConnected,
    NotInVoice,
    SpeechNotPlayable,
    VoiceConnectFailed,
    VoiceUnavailable,
)
from trainer_bot.voice.lavalink_link import NodeAddress
from trainer_bot.voice.service import VoiceService

PASSWORD = "node-password"
BOT = 100_000_000_000_000_001
ALICE, BOB = 100_000_000_000_000_010, 100_000_000_000_000_011
GUILD = 200_000_000_000_000_001
LOBBY, STAGE = 300_000_000_000_000_001, 300_000_000_000_000_002
SCALE = 0.05  # wall seconds per second of audio


@dataclass(frozen=True)
class Clip:
    data: bytes
    content_type: str
    extension: str
    duration: float


def clip(seconds: float) -> Clip:
    return Clip(silent_mp3(seconds), "audio/mpeg", "mp3", seconds)


class FakeDiscord:
    """Answers op 4 as Discord does, in order, from its own task: the bot's VOICE_STATE_UPDATE, then a
    VOICE_SERVER_UPDATE. Also acts as members and moderators."""

    def __init__(self, voice: VoiceGateway) -> None:
        self.voice = voice  # the voice server the node connects to
        self.service: VoiceService | None = None
        self.calls: list[tuple[float, str, int | None]] = []
        self.answer_joins = True
        self._queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None

    def start(self, service: VoiceService) -> None:
        self.service = service
        self._pump = asyncio.get_running_loop().create_task(self._deliver())

    async def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()

    async def _deliver(self) -> None:
        while True:
            event = await self._queue.get()
            await event()
            self._queue.task_done()

    async def settle(self) -> None:
        await self._queue.join()

    # VoiceGateway
    async def join(self, guild_id: int, channel_id: int) -> None:
        self.calls.append((time.monotonic(), "join", channel_id))
        if self.answer_joins:
            self.bot_state(guild_id, channel_id)
            self.server(guild_id, channel_id)

    async def leave(self, guild_id: int) -> None:
        self.calls.append((time.monotonic(), "leave", None))
        self.bot_state(guild_id, None)

    # Discord's events
    def bot_state(self, guild_id: int, channel_id: int | None) -> None:
        assert self.service is not None
        service = self.service
        self._queue.put_nowait(
            lambda: service.on_voice_state_update(guild_id, BOT, channel_id, "bot-voice-session")
        )

    def server(self, guild_id: int, channel_id: int) -> None:
        assert self.service is not None
        service = self.service
        token = self.voice.grant(guild_id, BOT, "bot-voice-session", channel_id).token
        self._queue.put_nowait(lambda: service.on_voice_server_update(guild_id, token, self.voice.endpoint))

    async def member(self, user_id: int, channel_id: int | None) -> None:
        assert self.service is not None
        service = self.service
        self._queue.put_nowait(
            lambda: service.on_voice_state_update(GUILD, user_id, channel_id, f"s-{user_id}")
        )
        await self.settle()

    def actions(self) -> list[tuple[str, int | None]]:
        return [(action, channel) for _, action, channel in self.calls]


@pytest.fixture
async def node() -> AsyncIterator[FakeLavalinkNode]:
    fake = FakeLavalinkNode(PASSWORD, time_scale=SCALE, player_update_interval=0.05)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def audio() -> AsyncIterator[AudioServer]:
    server = AudioServer("127.0.0.1", 0)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def discord(voice_server: VoiceGateway) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(voice_server)
    yield fake
    await fake.stop()


Factory = Callable[..., Awaitable[VoiceService]]


@pytest.fixture
async def make_service(
    node: FakeLavalinkNode, audio: AudioServer, discord: FakeDiscord
) -> AsyncIterator[Factory]:
    services: list[VoiceService] = []

    async def make(**options: Any) -> VoiceService:
        settings: dict[str, Any] = {
            "idle_timeout": 30.0,
            "join_timeout": 2.0,
            "request_timeout": 5.0,
        } | options
        nodes = [NodeAddress("127.0.0.1", node.port, PASSWORD, "main")]
        service = VoiceService(discord, audio, nodes=nodes, user_id=BOT, **settings)
        discord.start(service)
        await service.start()
        assert await service.wait_ready(5.0)
        services.append(service)
        return service

    yield make
    for service in services:
        await service.close()


def finished(node: FakeLavalinkNode, count: int) -> Callable[[], bool]:
    return lambda: sum(1 for record in node.plays(GUILD) if record.reason == "finished") >= count


def last_play(node: FakeLavalinkNode) -> PlayRecord:
    return node.plays(GUILD)[-1]


async def test_speak_plays_real_audio_through_the_node(
    node: FakeLavalinkNode, audio: AudioServer, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await discord.member(ALICE, LOBBY)
    spoken = clip(1.2)
    await service.speak(GUILD, LOBBY, spoken)
    assert discord.actions() == [("join", LOBBY)]
    assert service.connected_channel(GUILD) == LOBBY and service.humans_in(GUILD) == {ALICE}
    await node.until(lambda: bool(node.plays(GUILD)), what="playback")

    # The player's voice reached the node before the track, in its own PATCH, with the channel id.
    assert [set(body) for _, body in node.patches[:2]] == [{"voice"}, {"track"}]
    player = node.player(GUILD)
    assert player is not None and player.voice is not None
    assert (player.voice["channelId"], player.voice["sessionId"]) == (str(LOBBY), "bot-voice-session")

    await node.until(finished(node, 1), what="the utterance to finish")
    record = last_play(node)
    assert record.uri.startswith(f"{audio.public_url}/audio/") and record.uri.endswith(".mp3")
    assert record.events == ["TrackStartEvent", "TrackEndEvent"]
    # The node fetched valid audio of the right length from the audio server (probe, then stream).
    downloads = node.loader.downloads[record.uri]
    assert downloads == [spoken.data, spoken.data]
    assert probe(downloads[0]).length_ms == record.length_ms == 1200
    assert (record.ended_at or 0) - record.started_at >= 1.2 * SCALE * 0.9


async def test_utterances_play_in_order_one_at_a_time(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    clips = [clip(seconds) for seconds in (2.0, 0.5, 1.0, 0.25)]
    for spoken in clips:
        await service.speak(GUILD, LOBBY, spoken)
    await node.until(finished(node, 4), what="four utterances")
    plays = node.plays(GUILD)
    assert [node.loader.downloads[record.uri][0] for record in plays] == [spoken.data for spoken in clips]
    assert [record.length_ms for record in plays] == [1992, 504, 1008, 240]  # whole 24 ms frames
    for earlier, later in itertools.pairwise(plays):
        assert earlier.ended_at is not None and later.started_at >= earlier.ended_at
    assert discord.actions() == [("join", LOBBY)]


async def test_leave_stops_and_clears_the_queue(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    for _ in range(3):
        await service.speak(GUILD, LOBBY, clip(20.0))
    await node.until(lambda: bool(node.plays(GUILD)), what="the first utterance")
    assert service.queued(GUILD) == 2
    await service.leave(GUILD)
    assert discord.actions() == [("join", LOBBY), ("leave", None)]
    assert service.connected_channel(GUILD) is None and service.queued(GUILD) == 0
    await node.until(lambda: node.player(GUILD) is None, what="the player to be destroyed")
    await asyncio.sleep(0.2)
    assert [record.reason for record in node.plays(GUILD)] == ["stopped"]
    with pytest.raises(NotConnected):
        await service.leave(GUILD)


async def test_idle_timeout_leaves_after_the_last_utterance(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service(idle_timeout=0.3)
    await service.speak(GUILD, LOBBY, clip(8.0))  # 0.4 s of playback: longer than the idle timeout
    await node.until(lambda: ("leave", None) in discord.actions(), what="the idle leave")
    leave_at = discord.calls[-1][0]
    ended_at = last_play(node).ended_at
    assert last_play(node).reason == "finished" and ended_at is not None
    assert leave_at - ended_at >= 0.25
    assert service.connected_channel(GUILD) is None


async def test_leaves_when_the_last_human_goes(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await discord.member(ALICE, LOBBY)
    await discord.member(BOB, LOBBY)
    await service.speak(GUILD, LOBBY, clip(0.5))
    await discord.member(ALICE, None)
    assert service.connected_channel(GUILD) == LOBBY and service.humans_in(GUILD) == {BOB}
    await discord.member(BOB, STAGE)  # moving elsewhere counts as leaving
    await node.until(lambda: ("leave", None) in discord.actions(), what="the bot to leave")
    assert service.connected_channel(GUILD) is None


async def test_other_bots_are_not_listeners(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await discord.member(ALICE, LOBBY)
    assert service.humans_in(GUILD) == frozenset()  # not in voice yet
    await service.join(GUILD, LOBBY)
    service.note_member_voice(GUILD, BOB, LOBBY, is_bot=True)
    assert service.humans_in(GUILD) == {ALICE}
    await discord.member(ALICE, None)
    await node.until(lambda: ("leave", None) in discord.actions(), what="the bot to leave its fellow bot")


async def test_moved_by_someone_drops_the_queue_and_restarts_the_idle_timer(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service(idle_timeout=0.6)
    await service.speak(GUILD, LOBBY, clip(20.0))
    await service.speak(GUILD, LOBBY, clip(20.0))
    await node.until(lambda: bool(node.plays(GUILD)), what="playback")
    moved_at = time.monotonic()
    discord.bot_state(GUILD, STAGE)  # a moderator drags the bot
    discord.server(GUILD, STAGE)
    await node.until(lambda: last_play(node).reason == "stopped", what="the old utterance to stop")
    await node.until(
        lambda: (
            (player := node.player(GUILD)) is not None
            and player.voice is not None
            and player.voice["channelId"] == str(STAGE)
        ),
        what="the node to learn the new channel",
    )
    assert service.connected_channel(GUILD) == STAGE and service.queued(GUILD) == 0
    await node.until(lambda: ("leave", None) in discord.actions(), what="the idle leave in the new channel")
    assert discord.calls[-1][0] - moved_at >= 0.55
    assert len(node.plays(GUILD)) == 1, "nothing queued for the old channel played in the new one"


async def test_disconnected_by_someone_then_asked_again(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await service.speak(GUILD, LOBBY, clip(20.0))
    await service.speak(GUILD, LOBBY, clip(20.0))
    await node.until(lambda: bool(node.plays(GUILD)), what="playback")
    discord.bot_state(GUILD, None)
    await node.until(lambda: node.player(GUILD) is None, what="the player to go")
    assert service.connected_channel(GUILD) is None and service.queued(GUILD) == 0
    await service.speak(GUILD, STAGE, clip(0.5))
    await node.until(finished(node, 1), what="the new utterance")
    assert last_play(node).channel_id == str(STAGE)
    assert discord.actions() == [("join", LOBBY), ("join", STAGE)]


async def test_busy_elsewhere_refuses_idle_elsewhere_moves(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await service.speak(GUILD, LOBBY, clip(6.0))
    with pytest.raises(BotElsewhere) as refused:
        await service.speak(GUILD, STAGE, clip(0.5))
    assert f"<#{LOBBY}>" in str(refused.value)
    assert service.speaking(GUILD)
    await node.until(lambda: not service.speaking(GUILD), what="the first utterance to end")
    await service.speak(GUILD, STAGE, clip(0.5))
    await node.until(finished(node, 2), what="the utterance in the new channel")
    assert discord.actions() == [("join", LOBBY), ("leave", None), ("join", STAGE)]
    assert last_play(node).channel_id == str(STAGE) and service.connected_channel(GUILD) == STAGE


async def test_node_restart_mid_utterance(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    service = await make_service()
    await service.speak(GUILD, LOBBY, clip(9.6))  # 0.48 s of playback
    await service.speak(GUILD, LOBBY, clip(0.96))
    await node.until(lambda: bool(node.plays(GUILD)), what="playback")
    await asyncio.sleep(0.1)
    with caplog.at_level(logging.WARNING, "trainer_bot.voice"):
        restart = asyncio.get_running_loop().create_task(node.restart(downtime=0.4))
        await node.until(lambda: not service.available, what="the service to notice")
        with pytest.raises(VoiceUnavailable) as unavailable:
            await service.speak(GUILD, LOBBY, clip(1.0))
        assert isinstance(unavailable.value, UserError)
        await restart
    assert "Lavalink node main disconnected" in caplog.text
    await node.until(lambda: service.available, timeout=5, what="Lavalink.py to reconnect")
    # Lavalink.py replayed the interrupted utterance from where it was, then went on with the queue.
    await node.until(finished(node, 2), timeout=5, what="the rest of the queue")
    resumed, queued = node.plays(GUILD)[1:3]
    assert resumed.length_ms == 9600 and 0 < resumed.start_position_ms < 9600
    assert queued.length_ms == 960 and queued.start_position_ms == 0
    await service.speak(GUILD, LOBBY, clip(0.5))
    await node.until(finished(node, 3), what="speech after the restart")
    assert discord.actions() == [("join", LOBBY)]


async def test_leaving_while_the_node_is_down_leaves_nothing_behind(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await service.speak(GUILD, LOBBY, clip(20.0))
    await node.until(lambda: bool(node.plays(GUILD)), what="playback")
    restart = asyncio.get_running_loop().create_task(node.restart(downtime=0.3))
    await node.until(lambda: not service.available, what="the node to go down")
    await service.leave(GUILD)
    await restart
    await node.until(lambda: service.available, timeout=5, what="Lavalink.py to reconnect")
    await asyncio.sleep(0.2)
    assert node.player(GUILD) is None, "the left channel's player was not replayed onto the new session"
    assert len(node.plays(GUILD)) == 1


async def test_load_failures_are_user_errors(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    service = await make_service()
    node.fail_next_load()
    with caplog.at_level(logging.WARNING, "trainer_bot.voice"), pytest.raises(SpeechNotPlayable) as failed:
        await service.speak(GUILD, LOBBY, clip(0.5))
    assert isinstance(failed.value, UserError) and str(failed.value) == "I couldn't play that reply in voice."
    assert "could not load speech" in caplog.text
    await service.speak(GUILD, LOBBY, clip(0.5))
    await node.until(finished(node, 1), what="the next utterance")


async def test_unreachable_audio_url_is_reported(
    node: FakeLavalinkNode, discord: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = AudioServer("127.0.0.1", 0, public_url="http://127.0.0.1:9")  # discard port: nothing listens
    nodes = [NodeAddress("127.0.0.1", node.port, PASSWORD, "main")]
    service = VoiceService(discord, nowhere, nodes=nodes, user_id=BOT)
    discord.start(service)
    await service.start()
    try:
        assert await service.wait_ready(5.0)
        with caplog.at_level(logging.WARNING, "trainer_bot.voice"), pytest.raises(SpeechNotPlayable):
            await service.speak(GUILD, LOBBY, clip(0.5))
        assert "AUDIO_PUBLIC_URL" in caplog.text and "Connecting to the URL failed" in caplog.text
    finally:
        await service.close()


async def test_no_node_means_voice_unavailable(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await node.stop()
    await node.until(lambda: not service.available, what="the node to go")
    with pytest.raises(VoiceUnavailable):
        await service.join(GUILD, LOBBY)
    with pytest.raises(VoiceUnavailable):
        await service.speak(GUILD, LOBBY, clip(0.5))
    assert discord.actions() == []


async def test_member_facing_refusals(discord: FakeDiscord, make_service: Factory) -> None:
    service = await make_service()
    with pytest.raises(NotInVoice, match="Join a voice channel"):
        await service.speak(GUILD, None, clip(0.5))
    with pytest.raises(NotInVoice):
        await service.join(GUILD, None)
    with pytest.raises(NotConnected):
        await service.leave(GUILD)


async def test_join_timeout(node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory) -> None:
    service = await make_service(join_timeout=0.3)
    discord.answer_joins = False
    with pytest.raises(VoiceConnectFailed):
        await service.join(GUILD, LOBBY)
    assert discord.actions() == [("join", LOBBY), ("leave", None)]
    assert node.player(GUILD) is None and service.connected_channel(GUILD) is None
    discord.answer_joins = True
    await service.join(GUILD, LOBBY)
    assert service.connected_channel(GUILD) == LOBBY


async def test_never_rejoins_after_a_restart(discord: FakeDiscord, make_service: Factory) -> None:
    service = await make_service()
    discord.bot_state(GUILD, LOBBY)  # Discord still has the bot in a channel from its previous life
    await discord.settle()
    await asyncio.sleep(0.05)
    assert discord.actions() == [("leave", None)]
    assert service.connected_channel(GUILD) is None


async def test_expired_voice_session_leaves_and_recovers(
    node: FakeLavalinkNode, discord: FakeDiscord, make_service: Factory
) -> None:
    service = await make_service()
    await service.join(GUILD, LOBBY)
    node.close_voice(GUILD, 4006)
    await node.until(lambda: ("leave", None) in discord.actions(), what="the bot to drop the dead session")
    await service.speak(GUILD, LOBBY, clip(0.5))
    await node.until(finished(node, 1), what="speech on a fresh session")
    assert discord.actions() == [("join", LOBBY), ("leave", None), ("join", LOBBY)]


def test_voice_refusals_read_in_russian() -> None:
    from trainer_bot.i18n import Translations
    from trainer_bot.voice.errors import NotInVoice

    russian = Translations.load().get("ru")
    assert (
        russian.render(NotInVoice().message) == "Сначала зайдите в голосовой канал, затем попробуйте снова."
    )
