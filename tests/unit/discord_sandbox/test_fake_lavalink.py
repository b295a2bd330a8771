"""The fake Lavalink node, driven by a real Lavalink.py client: if Lavalink.py can't tell, it's faithful.

Audio is real: generated MP3/Ogg/WAV (checked against FFmpeg when they were written) served by a local
aiohttp server, downloaded and measured by the node.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import lavalink
import pytest
from aiohttp import web

from discord_sandbox.lavalink import (
    FakeLavalinkNode,
    UnsupportedAudio,
    ogg_opus_silence,
    probe,
    silent_mp3,
    sine_wav,
)
from discord_sandbox.lavalink.quirks import Quirks
from discord_sandbox.lavalink.tracks import TrackInfo, decode_track, encode_track
from discord_sandbox.voice_gateway import VoiceGateway

PASSWORD = "s3cret"
BOT = 100_000_000_000_000_001
GUILD = 200_000_000_000_000_002
CHANNEL = 300_000_000_000_000_003
SCALE = 0.1  # wall seconds per second of audio


class AudioHost:
    """Serves audio files over HTTP on 127.0.0.1, the way the bot's audio server would."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{name}", self._serve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    def add(self, name: str, data: bytes, content_type: str = "audio/mpeg") -> str:
        self.files[name] = (data, content_type)
        return f"{self.base}/{name}"

    async def _serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "broken":
            return web.Response(status=500)
        if name not in self.files:
            return web.Response(status=404)
        data, content_type = self.files[name]
        return web.Response(body=data, content_type=content_type)


class Events:
    """Every Lavalink.py event, with the time it was dispatched."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, Any]] = []

    async def record(self, event: Any) -> None:
        self.seen.append((time.monotonic(), event))

    def of(self, kind: type) -> list[Any]:
        return [event for _, event in self.seen if isinstance(event, kind)]

    def times(self, kind: type) -> list[float]:
        return [at for at, event in self.seen if isinstance(event, kind)]


@pytest.fixture
async def host() -> AsyncIterator[AudioHost]:
    audio_host = AudioHost()
    await audio_host.start()
    yield audio_host
    await audio_host.stop()


@pytest.fixture
def voice(voice_server: VoiceGateway) -> VoiceGateway:
    """Discord's voice server, which the node's players connect to."""
    return voice_server


@pytest.fixture
async def node() -> AsyncIterator[FakeLavalinkNode]:
    fake = FakeLavalinkNode(PASSWORD, time_scale=SCALE, player_update_interval=0.05)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def connect(node: FakeLavalinkNode) -> AsyncIterator[Callable[..., Any]]:
    clients: list[Any] = []

    async def make(session_id: str | None = None) -> tuple[Any, Any, Events]:
        client = lavalink.Client(BOT)
        events = Events()
        client.add_event_hook(events.record)
        lavalink_node = client.add_node(
            "127.0.0.1", node.port, PASSWORD, "local", name="fake", session_id=session_id
        )
        clients.append(client)
        await node.until(lambda: bool(events.of(lavalink.NodeReadyEvent)), what="ready")
        return client, lavalink_node, events

    yield make
    for client in clients:
        await client.close()


async def voice_connect(client: Any, voice: VoiceGateway, channel: int = CHANNEL) -> Any:
    """Creates the player first, then forwards Discord's two voice events as raw dicts with string ids."""
    grant = voice.grant(GUILD, BOT, "vs-1", channel)
    player = client.player_manager.create(GUILD)
    await client.voice_update_handler(
        {
            "t": "VOICE_STATE_UPDATE",
            "d": {
                "guild_id": str(GUILD),
                "user_id": str(BOT),
                "channel_id": str(channel),
                "session_id": "vs-1",
            },
        }
    )
    await client.voice_update_handler(
        {
            "t": "VOICE_SERVER_UPDATE",
            "d": {"guild_id": str(GUILD), "token": grant.token, "endpoint": voice.endpoint},
        }
    )
    return player


# --- audio ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "container", "length_ms"),
    [
        (silent_mp3(1.5), "mp3", 1488),  # 62 frames of 576 samples at 24 kHz
        (sine_wav(1.25), "wav", 1249),
        (ogg_opus_silence(2.02), "ogg", 2020),
    ],
)
def test_probe_measures_real_audio(data: bytes, container: str, length_ms: int) -> None:
    info = probe(data)
    assert (info.container, info.length_ms) == (container, length_ms)


def test_probe_reads_tags_and_xing_headers() -> None:
    id3 = b"ID3\x04\x00\x00" + bytes((0, 0, 0, 20)) + bytes(20)
    v1 = b"TAG" + bytes(125)
    assert probe(id3 + silent_mp3(1.0) + v1).length_ms == probe(silent_mp3(1.0)).length_ms
    # A LAME "Info" frame declaring 100 frames wins over counting (decoders trust it).
    info_frame = bytearray(silent_mp3(0.024))
    info_frame[4 + 9 : 4 + 9 + 12] = b"Info" + struct.pack(">II", 1, 100)
    assert probe(bytes(info_frame) + silent_mp3(0.5)).length_ms == 100 * 576 * 1000 // 24000


@pytest.mark.parametrize("data", [b"", b"<html>not audio</html>", b"ID3", bytes(1000)])
def test_probe_refuses_what_is_not_audio(data: bytes) -> None:
    with pytest.raises(UnsupportedAudio, match="Unknown file format"):
        probe(data)


def test_probe_checks_ogg_pages() -> None:
    damaged = bytearray(ogg_opus_silence(1.0))
    damaged[-2] ^= 0xFF
    with pytest.raises(UnsupportedAudio, match="checksum"):
        probe(bytes(damaged))


def test_tracks_are_lavaplayer_blobs_that_lavalink_py_decodes() -> None:
    info = TrackInfo(uri="http://127.0.0.1:1/audio/x.mp3", length_ms=1234, probe="mp3", title="Привет 🎵\0!")
    encoded = encode_track(info)
    assert decode_track(encoded) == info
    decoded = lavalink.decode_track(encoded)
    assert (decoded.title, decoded.duration, decoded.uri, decoded.source_name) == (
        info.title,
        1234,
        info.uri,
        "http",
    )
    assert decoded.extra["source_specific"] == {"probe_info": "mp3"}
    with pytest.raises(ValueError, match="Failed to decode"):
        decode_track("bm90IGEgdHJhY2s=")


# --- protocol ------------------------------------------------------------------------------------------


async def test_everything_needs_the_password(node: FakeLavalinkNode) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{node.url}/version") as response:
            assert response.status == 401
            body = await response.json()
            assert {"timestamp", "status", "error", "message", "path"} <= body.keys()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{node.url}/v4/websocket", headers={"User-Id": str(BOT)})
        assert refused.value.status == 401
        async with http.get(f"{node.url}/version", headers={"Authorization": PASSWORD}) as response:
            assert await response.text() == "4.0.8"


async def test_lavalink_py_gives_up_on_a_wrong_password(node: FakeLavalinkNode) -> None:
    client = lavalink.Client(BOT)
    lavalink_node = client.add_node("127.0.0.1", node.port, "wrong", "local")
    await asyncio.sleep(0.2)
    assert not lavalink_node.available and node.connections == 0
    await client.close()


async def test_handshake_ready_stats_and_info(node: FakeLavalinkNode, connect: Callable[..., Any]) -> None:
    _client, lavalink_node, events = await connect()
    ready = events.of(lavalink.NodeReadyEvent)[0]
    assert ready.resumed is False and ready.session_id in node.sessions
    session = node.sessions[ready.session_id]
    assert session.user_id == BOT and session.client_name.startswith("Lavalink.py/")
    await node.until(lambda: not lavalink_node.stats.is_fake, what="a stats frame Lavalink.py accepts")
    assert lavalink_node.stats.cpu_cores >= 1
    assert (await lavalink_node.get_info())["sourceManagers"] == ["http"]
    assert await lavalink_node.get_version() == "4.0.8"
    assert (await lavalink_node.get_stats())["players"] == 0
    blob = encode_track(TrackInfo(uri="http://127.0.0.1:1/a.mp3", length_ms=5, probe="mp3"))
    assert (await lavalink_node.decode_track(blob)).duration == 5
    assert [track.uri for track in await lavalink_node.decode_tracks([blob, blob])] == [
        "http://127.0.0.1:1/a.mp3"
    ] * 2
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": PASSWORD, "User-Id": str(BOT), "Client-Name": "raw/1"}
        async with http.ws_connect(f"{node.url}/v4/websocket", headers=headers) as ws:
            assert ws._response.headers["Session-Resumed"] == "false"
            first = await ws.receive_json(timeout=2)
            assert first["op"] == "ready" and first["resumed"] is False


async def test_request_errors_carry_the_spring_error_body(
    node: FakeLavalinkNode, connect: Callable[..., Any]
) -> None:
    _client, lavalink_node, _events = await connect()
    with pytest.raises(lavalink.RequestError) as missing:
        await lavalink_node.request("GET", "sessions/nope/players/1")
    assert (missing.value.status, missing.value.error, missing.value.message) == (
        404,
        "Not Found",
        "Session not found",
    )
    with pytest.raises(lavalink.RequestError) as bad:
        await lavalink_node.update_player(guild_id=GUILD, encoded_track="bm90IGEgdHJhY2s=")
    assert bad.value.status == 400 and "decode" in bad.value.message


async def test_play_a_track_end_to_end(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, _lavalink_node, events = await connect()
    audio = silent_mp3(2.0)
    url = host.add("speech.mp3", audio)
    player = await voice_connect(client, voice)
    result = await client.get_tracks(url)
    assert result.load_type == lavalink.LoadType.TRACK
    track = result.tracks[0]
    assert (track.duration, track.uri, track.source_name, track.title) == (1992, url, "http", "Unknown title")

    started = time.monotonic()
    player.add(track)
    await player.play()
    await node.until(lambda: bool(events.of(lavalink.TrackEndEvent)), timeout=5, what="the end of the track")
    elapsed = time.monotonic() - started
    assert 1.992 * SCALE * 0.9 <= elapsed < 1.992 * SCALE + 1.0
    assert events.of(lavalink.TrackStartEvent)[0].track.uri == url
    assert events.of(lavalink.TrackEndEvent)[0].reason == lavalink.EndReason.FINISHED
    assert events.of(lavalink.PlayerUpdateEvent), "playerUpdate frames while playing"

    # Lavalink.py sends voice and track in separate PATCHes; the node kept the voice state.
    assert [set(body) for _, body in node.patches[:2]] == [{"voice"}, {"track"}]
    fake_player = node.player(GUILD)
    assert fake_player is not None and fake_player.voice == {
        "token": voice.grants[GUILD].token,
        "endpoint": voice.endpoint,
        "sessionId": "vs-1",
        "channelId": str(CHANNEL),
    }
    # The node connected with that voice state and the channel heard the whole track, frame by frame.
    assert voice.frames(GUILD) == 1992 // 20
    # Downloaded twice (probe, then stream), byte for byte.
    assert node.loader.downloads[url] == [audio, audio]
    record = node.plays(GUILD)[0]
    assert (record.reason, record.length_ms, record.events) == (
        "finished",
        1992,
        ["TrackStartEvent", "TrackEndEvent"],
    )
    await node.until(lambda: bool(events.of(lavalink.QueueEndEvent)), what="queue end")


async def test_replace_stop_and_destroy(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, lavalink_node, events = await connect()
    player = await voice_connect(client, voice)
    first = (await client.get_tracks(host.add("a.wav", sine_wav(30.0), "audio/wav"))).tracks[0]
    second = (await client.get_tracks(host.add("b.ogg", ogg_opus_silence(30.0), "audio/ogg"))).tracks[0]
    await player.play(first)
    await player.play(second)
    await player.stop()
    await player.stop()  # a stop on an idle player answers 200 too
    await node.until(lambda: len(events.of(lavalink.TrackEndEvent)) == 2, what="two track ends")
    reasons = [str(event.reason) for event in events.of(lavalink.TrackEndEvent)]
    assert reasons == ["replaced", "stopped"]
    assert [record.reason for record in node.plays(GUILD)] == ["replaced", "stopped"]
    assert await lavalink_node.destroy_player(GUILD) is True
    assert node.player(GUILD) is None


async def test_load_results_follow_lavaplayer(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any]
) -> None:
    client, _lavalink_node, _events = await connect()
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()

    unreachable = await client.get_tracks(f"http://127.0.0.1:{port}/x.mp3")
    assert unreachable.load_type == lavalink.LoadType.ERROR
    assert (unreachable.error.message, unreachable.error.severity) == (
        "Connecting to the URL failed.",
        lavalink.Severity.SUSPICIOUS,
    )
    assert (await client.get_tracks(f"{host.base}/missing.mp3")).load_type == lavalink.LoadType.EMPTY
    broken = await client.get_tracks(f"{host.base}/broken")
    assert (broken.error.message, broken.error.severity) == (
        "That URL is not playable.",
        lavalink.Severity.COMMON,
    )
    not_audio = await client.get_tracks(host.add("page.html", b"<html>hi</html>", "text/html"))
    assert (not_audio.error.message, not_audio.error.severity) == (
        "Unknown file format.",
        lavalink.Severity.COMMON,
    )
    assert (await client.get_tracks("ytsearch:never gonna")).load_type == lavalink.LoadType.EMPTY

    good = host.add("ok.mp3", silent_mp3(0.5))
    node.fail_next_load()
    injected = await client.get_tracks(good)
    assert (
        injected.load_type == lavalink.LoadType.ERROR and injected.error.severity == lavalink.Severity.FAULT
    )
    assert (await client.get_tracks(good)).load_type == lavalink.LoadType.TRACK


async def test_a_closed_voice_connection_stalls_playback(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, _lavalink_node, events = await connect()
    player = await voice_connect(client, voice)
    track = (await client.get_tracks(host.add("a.mp3", silent_mp3(1.0)))).tracks[0]
    await player.play(track)
    await asyncio.sleep(0.02)
    node.close_voice(GUILD)
    await node.until(lambda: bool(events.of(lavalink.WebSocketClosedEvent)), what="WebSocketClosedEvent")
    closed = events.of(lavalink.WebSocketClosedEvent)[0]
    assert (closed.code, closed.by_remote) == (4006, True)
    await asyncio.sleep(1.0 * SCALE * 2)
    assert not events.of(lavalink.TrackEndEvent), "no audio goes out without a voice connection"
    # Discord hands out a new voice server; Lavalink.py PATCHes it and playback goes on.
    grant = voice.grant(GUILD, BOT, "vs-1", CHANNEL)
    await client.voice_update_handler(
        {
            "t": "VOICE_SERVER_UPDATE",
            "d": {"guild_id": str(GUILD), "token": grant.token, "endpoint": voice.endpoint},
        }
    )
    await node.until(lambda: bool(events.of(lavalink.TrackEndEvent)), what="the track to finish")
    assert events.of(lavalink.TrackEndEvent)[0].reason == lavalink.EndReason.FINISHED


async def test_lavalink_py_reconnects_after_a_crash_and_resumes_the_track(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, lavalink_node, events = await connect()
    player = await voice_connect(client, voice)
    url = host.add("long.mp3", silent_mp3(4.0))
    player.add((await client.get_tracks(url)).tracks[0])
    await player.play()
    await node.until(lambda: bool(events.of(lavalink.PlayerUpdateEvent)), what="a position update")
    await asyncio.sleep(0.15)
    old_session = lavalink_node.session_id

    await node.restart(downtime=0.3)
    await node.until(lambda: bool(events.of(lavalink.NodeDisconnectedEvent)), what="the disconnect")
    assert node.plays(GUILD)[0].reason == "crashed"
    await node.until(lambda: len(events.of(lavalink.NodeReadyEvent)) == 2, timeout=5, what="a new session")
    assert lavalink_node.session_id != old_session and old_session not in node.sessions
    # Its backoff: the first retry fails (node still down), the next one waits 1 s.
    gap = events.times(lavalink.NodeConnectedEvent)[1] - events.times(lavalink.NodeDisconnectedEvent)[0]
    assert gap >= 0.9

    # Lavalink.py re-sent the voice state and the track at its last position; it plays to the end.
    await node.until(
        lambda: len(node.plays(GUILD)) == 2 and node.plays(GUILD)[1].reason == "finished", timeout=5
    )
    resumed = node.plays(GUILD)[1]
    assert resumed.session_id == lavalink_node.session_id and resumed.uri == url
    assert 0 < resumed.start_position_ms < 3984
    fake_player = node.player(GUILD)
    assert fake_player is not None and fake_player.voice is not None
    assert fake_player.voice["channelId"] == str(CHANNEL)
    await node.until(lambda: bool(events.of(lavalink.QueueEndEvent)), what="Lavalink.py to see the end")
    assert events.of(lavalink.TrackEndEvent)[-1].reason == lavalink.EndReason.FINISHED


async def test_a_resumable_session_outlives_its_websocket(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, lavalink_node, _events = await connect()
    await lavalink_node.update_session(resuming=True, timeout=30)
    player = await voice_connect(client, voice)
    await player.play((await client.get_tracks(host.add("a.mp3", silent_mp3(1.0)))).tracks[0])
    session_id = lavalink_node.session_id
    await client.close()  # the bot restarts; the track ends while nobody listens
    await node.until(lambda: node.plays(GUILD)[0].reason == "finished", what="the track to end")
    assert session_id in node.sessions

    _client2, lavalink_node2, events2 = await connect(session_id=session_id)
    ready = events2.of(lavalink.NodeReadyEvent)[0]
    assert (ready.resumed, lavalink_node2.session_id) == (True, session_id)
    # What happened while away is delivered on resume.
    await node.until(lambda: bool(events2.of(lavalink.IncomingWebSocketMessage)), what="replayed events")
    replayed = [e.data.get("type") for e in events2.of(lavalink.IncomingWebSocketMessage)]
    assert "TrackEndEvent" in replayed


async def test_a_plain_session_dies_with_its_websocket(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, _lavalink_node, _events = await connect()
    player = await voice_connect(client, voice)
    await player.play((await client.get_tracks(host.add("a.mp3", silent_mp3(30.0)))).tracks[0])
    await client.close()
    await node.until(lambda: not node.sessions, what="the session to go")
    assert node.plays(GUILD)[0].reason == "cleanup"


async def test_long_audio_is_downloaded_and_measured_whole(
    host: AudioHost, connect: Callable[..., Any]
) -> None:
    client, _lavalink_node, _events = await connect()
    audio = silent_mp3(180.0)  # ~1 MB: arrives in many chunks
    track = (await client.get_tracks(host.add("long.mp3", audio))).tracks[0]
    assert track.duration == probe(audio).length_ms == 180_000


# --- voice and quirks of real servers ------------------------------------------------------------------


async def test_a_play_without_a_voice_connection_starts_nothing(
    node: FakeLavalinkNode, host: AudioHost, connect: Callable[..., Any], voice: VoiceGateway
) -> None:
    client, _lavalink_node, events = await connect()
    voice.refuse_next(GUILD, 4004)
    player = await voice_connect(client, voice)
    await node.until(lambda: bool(events.of(lavalink.WebSocketClosedEvent)), what="the refused connection")
    assert events.of(lavalink.WebSocketClosedEvent)[0].code == 4004
    await player.play((await client.get_tracks(host.add("a.mp3", silent_mp3(0.5)))).tracks[0])
    await asyncio.sleep(0.5 * SCALE * 3)
    assert node.refused_plays == [GUILD] and node.plays(GUILD) == []
    assert not events.of(lavalink.TrackStartEvent) and not events.of(lavalink.TrackEndEvent)
    assert voice.frames(GUILD) == 0


@pytest.fixture
async def nodelink() -> AsyncIterator[FakeLavalinkNode]:
    fake = FakeLavalinkNode(PASSWORD, time_scale=SCALE, quirks=Quirks.nodelink())
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_nodelink_like_node(nodelink: FakeLavalinkNode, host: AudioHost, voice: VoiceGateway) -> None:
    client = lavalink.Client(BOT)
    events = Events()
    client.add_event_hook(events.record)
    lavalink_node = client.add_node("127.0.0.1", nodelink.port, PASSWORD, "local")
    try:
        await nodelink.until(lambda: bool(events.of(lavalink.NodeReadyEvent)), what="ready")
        track = (await client.get_tracks(host.add("a.mp3", silent_mp3(1.0)))).tracks[0]
        assert (track.duration, track.title, track.author) == (-1, "unknown", "unknown")  # HEAD only
        player = await voice_connect(client, voice)
        with pytest.raises(lavalink.ClientError):  # 400 without `error`: not even a RequestError
            await lavalink_node.update_player(guild_id=GUILD, encoded_track=None)
        await player.play(track)
        await nodelink.until(lambda: bool(events.of(lavalink.TrackEndEvent)), what="the end")
        assert nodelink.plays(GUILD)[0].length_ms == 1008 and voice.frames(GUILD) == 1008 // 20
        assert not events.of(lavalink.PlayerUpdateEvent)  # no periodic updates
        with pytest.raises(lavalink.ClientError):
            await lavalink_node.request("DELETE", f"sessions/{lavalink_node.session_id}/players/1")
    finally:
        await client.close()


async def test_a_node_that_never_ends_tracks(host: AudioHost, voice: VoiceGateway) -> None:
    stuck = FakeLavalinkNode(PASSWORD, time_scale=SCALE, quirks=Quirks(never_ends=True))
    await stuck.start()
    client = lavalink.Client(BOT)
    events = Events()
    client.add_event_hook(events.record)
    client.add_node("127.0.0.1", stuck.port, PASSWORD, "local")
    try:
        await stuck.until(lambda: bool(events.of(lavalink.NodeReadyEvent)), what="ready")
        player = await voice_connect(client, voice)
        await player.play((await client.get_tracks(host.add("a.mp3", silent_mp3(0.5)))).tracks[0])
        await stuck.until(lambda: voice.frames(GUILD) == 504 // 20, what="the whole utterance")
        await asyncio.sleep(0.5 * SCALE * 3)
        assert events.of(lavalink.TrackStartEvent) and not events.of(lavalink.TrackEndEvent)
    finally:
        await client.close()
        await stuck.stop()
