"""Probes of the audio server Lavalink fetches speech from: nothing but the published item, never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from trainer_bot.speech.audio_server import AudioServer

SECRET = b"ID3" + b"secret speech" * 100
PROBES = [
    "/",
    "/audio/",
    "/audio",
    "/audio/..%2f..%2fetc%2fpasswd.mp3",
    "/audio/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//audio//x.mp3",
    "/audio/" + "A" * 32 + ".mp3",
    "/audio/" + "A" * 5000 + ".mp3",
    "/audio/%00.mp3",
    "/audio/x.mp3?token=1",
    "/static/../app.py",
    "/audio/" + "a" * 31 + ".mp3",
    "/audio/" + "a" * 33 + ".mp3",
    "/.git/config",
    "/etc/passwd",
    "/audio/%41%41.mp3",
    "/audio/\u0430.mp3",
    "/AUDIO/x.mp3",
    "/audio/x.MP3",
]


@pytest.fixture
async def server() -> AsyncIterator[AudioServer]:
    audio = AudioServer("127.0.0.1", 0)
    await audio.start()
    yield audio
    await audio.stop()


async def raw_request(server: AudioServer, request: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()


async def test_probes_find_nothing_and_never_break_it(server: AudioServer) -> None:
    url = server.publish(SECRET, "audio/mpeg", "mp3")
    target = url.removeprefix(server.url)
    requests = [f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode() for path in PROBES]
    requests += [
        f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        for method in ("POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH")
    ]
    requests += [
        f"GET {target} HTTP/1.1\r\nHost: x\r\nRange: {value}\r\nConnection: close\r\n\r\n".encode()
        for value in (
            "bytes=" + "9" * 5000 + "-",
            "bytes=-0",
            "bytes=abc",
            "bytes=0-0,0-0," * 100,
            "items=0-1",
        )
    ]
    requests.append(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 100_000 + b"\r\n\r\n")
    requests.append(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(200))  # TLS to a plain port
    for request in requests:
        answer = await raw_request(server, request)
        status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1 ") else b""
        assert not status.startswith(b"5"), (request[:80], answer[:200])
        if not request.startswith(f"GET {target} ".encode()):
            assert b"secret speech" not in answer, request[:80]
    assert (
        await raw_request(server, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    ).endswith(SECRET)
