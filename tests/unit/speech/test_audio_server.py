"""AudioServer: unguessable names, exact types and lengths, HEAD and Range, expiry, and nothing else served."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from trainer_bot.errors import UserError
from trainer_bot.speech.audio_server import AudioServer, AudioTooLarge

AUDIO = bytes(range(256)) * 40  # 10240 bytes
URL_SHAPE = re.compile(r"http://127\.0\.0\.1:\d+/audio/(?P<token>[A-Za-z0-9_-]{32})\.mp3")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def server(clock: Clock) -> AsyncIterator[AudioServer]:
    audio = AudioServer("127.0.0.1", 0, ttl=60.0, max_items=4, max_bytes=64 * 1024, clock=clock)
    await audio.start()
    yield audio
    await audio.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def raw_get(server: AudioServer, target: str, method: str = "GET") -> int:
    """Sends the request target byte for byte (no client-side normalisation) and returns the status."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


async def test_publish_gives_unguessable_urls(server: AudioServer) -> None:
    urls = [server.publish(b"x", "audio/mpeg", "mp3") for _ in range(4)]
    tokens = [URL_SHAPE.fullmatch(url)["token"] for url in urls]  # type: ignore[index]
    assert len(set(tokens)) == 4  # 24 random bytes each


async def test_public_url_is_what_lavalink_is_given() -> None:
    audio = AudioServer("127.0.0.1", 0, public_url="http://bot:8080/")
    assert audio.publish(b"x", "audio/ogg", "ogg").startswith("http://bot:8080/audio/")


async def test_serves_exact_bytes_type_and_length_every_time(
    server: AudioServer, http: aiohttp.ClientSession
) -> None:
    url = server.publish(AUDIO, "audio/mpeg", "mp3")
    for _ in range(3):  # lavaplayer probes, then streams, then maybe again after a node restart
        async with http.get(url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "audio/mpeg"
            assert response.headers["Content-Length"] == str(len(AUDIO))
            assert response.headers["Accept-Ranges"] == "bytes"
            assert await response.read() == AUDIO


async def test_head_has_the_headers_and_no_body(server: AudioServer, http: aiohttp.ClientSession) -> None:
    url = server.publish(AUDIO, "audio/ogg", "ogg")
    async with http.head(url) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(AUDIO))
        assert response.headers["Content-Type"] == "audio/ogg"
        assert await response.read() == b""


@pytest.mark.parametrize(
    ("header", "status", "content_range", "body"),
    [
        ("bytes=0-9", 206, "bytes 0-9/10240", AUDIO[:10]),
        ("bytes=10240-", 416, "bytes */10240", b""),
        ("bytes=10000-", 206, "bytes 10000-10239/10240", AUDIO[10000:]),
        ("bytes=-16", 206, "bytes 10224-10239/10240", AUDIO[-16:]),
        ("bytes=100-999999", 206, "bytes 100-10239/10240", AUDIO[100:]),
        ("bytes=0-1,5-6", 200, None, AUDIO),  # several ranges: the whole item is a valid answer
        ("bytes=9-2", 200, None, AUDIO),  # invalid: ignored
        ("bytes=" + "9" * 5000 + "-", 416, "bytes */10240", b""),  # past any item, and past int()'s limit
        ("bytes=0-" + "9" * 5000, 206, "bytes 0-10239/10240", AUDIO),
        ("bytes=-" + "9" * 5000, 206, "bytes 0-10239/10240", AUDIO),
    ],
)
async def test_range_requests(
    server: AudioServer,
    http: aiohttp.ClientSession,
    header: str,
    status: int,
    content_range: str | None,
    body: bytes,
) -> None:
    url = server.publish(AUDIO, "audio/mpeg", "mp3")
    async with http.get(url, headers={"Range": header}) as response:
        assert response.status == status
        assert response.headers.get("Content-Range") == content_range
        assert await response.read() == body


async def test_items_expire(server: AudioServer, http: aiohttp.ClientSession, clock: Clock) -> None:
    url = server.publish(AUDIO, "audio/mpeg", "mp3")
    clock.now += 59.0
    async with http.get(url) as response:
        assert response.status == 200
    clock.now += 2.0
    async with http.get(url) as response:
        assert response.status == 404
    assert len(server) == 0


async def test_bounded_memory(
    server: AudioServer, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    urls = [server.publish(b"a", "audio/mpeg", "mp3") for _ in range(4)]
    with caplog.at_level(logging.WARNING, "trainer_bot.audio_server"):
        server.publish(b"b", "audio/mpeg", "mp3")  # max_items=4: the oldest goes, with a warning
    assert len(server) == 4 and "dropped" in caplog.text
    async with http.get(urls[0]) as response:
        assert response.status == 404
    async with http.get(urls[1]) as response:
        assert response.status == 200
    with pytest.raises(AudioTooLarge) as too_large:
        server.publish(bytes(64 * 1024 + 1), "audio/mpeg", "mp3")
    assert isinstance(too_large.value, UserError) and "too long" in str(too_large.value)


@pytest.mark.parametrize(
    ("extension", "content_type"),
    [
        ("../x", "audio/mpeg"),
        ("", "audio/mpeg"),
        ("MP3", "audio/mpeg"),
        ("mp3", "audio/mpeg\r\nX-Evil: 1"),
        ("mp3", ""),
    ],
)
def test_publish_refuses_odd_names(extension: str, content_type: str) -> None:
    with pytest.raises(ValueError):
        AudioServer().publish(b"x", content_type, extension)


async def test_nothing_else_is_served(server: AudioServer) -> None:
    url = server.publish(AUDIO, "audio/mpeg", "mp3")
    path = url.removeprefix(server.url)
    token = path.removeprefix("/audio/").removesuffix(".mp3")
    assert await raw_get(server, path) == 200
    for target in [
        "/",
        "/audio",
        "/audio/",
        f"/audio/{token}",
        f"/audio/{token}.ogg",
        f"/audio/{token}.mp3/",
        f"/AUDIO/{token}.mp3",
        f"//audio/{token}.mp3",
        f"/audio/./{token}.mp3",
        f"/x/../audio/{token}.mp3",
        f"/audio/%2e%2e/audio/{token}.mp3",
        f"/audio/{token[:-1]}%{ord(token[-1]):02X}.mp3",
        "/audio/../../etc/passwd",
        "/audio/..%2f..%2fetc%2fpasswd",
        "/audio/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/etc/passwd",
        f"/audio/{'A' * 32}.mp3",
    ]:
        assert await raw_get(server, target) == 404, target
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        assert await raw_get(server, path, method) == 404, method


async def test_connections_that_send_nothing_are_closed() -> None:
    server = AudioServer("127.0.0.1", 0, idle_timeout=0.3)
    await server.start()
    try:
        host, port = server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed by the server
        assert time.monotonic() - started < 2.0
        writer.close()
    finally:
        await server.stop()
