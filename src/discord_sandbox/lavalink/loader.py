"""`/v4/loadtracks` for the http source, answered the way lavaplayer answers it.

It really downloads the URL and measures the audio. lavaplayer's outcomes: a connection failure is an
error "Connecting to the URL failed." (suspicious), 404 is `empty` (no source matched), another status
is "That URL is not playable." (common), bytes no probe recognises are "Unknown file format." (common).
Identifiers that are not http(s) URLs are `empty`: every other source is disabled on our node.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

import aiohttp

from discord_sandbox.lavalink.audio import UnsupportedAudio, probe
from discord_sandbox.lavalink.player import LoadFailure
from discord_sandbox.lavalink.tracks import TrackInfo, encode_track, track_json

__all__ = ["NotFound", "TrackLoader"]

_LOGGER = logging.getLogger("discord_sandbox.lavalink")
_MAX_DOWNLOAD = 50 * 1024 * 1024


class NotFound(Exception):
    """The URL answered 404."""


class TrackLoader:
    def __init__(self, *, fetch_timeout: float = 10.0, head_only: bool = False) -> None:
        self._head_only = head_only
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout)
        self._session: aiohttp.ClientSession | None = None
        self._injected: list[LoadFailure] = []
        self.downloads: defaultdict[str, list[bytes]] = defaultdict(list)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def fail_next(self, failure: LoadFailure) -> None:
        self._injected.append(failure)

    async def fetch(self, url: str) -> bytes:
        """Downloads the whole URL (and records it); LoadFailure or NotFound as lavaplayer sees them."""
        assert self._session is not None, "the node is not started"
        try:
            async with self._session.get(url, allow_redirects=True) as response:
                if response.status == 404:
                    raise NotFound(url)
                if response.status not in (200, 206):
                    raise LoadFailure(
                        "That URL is not playable.",
                        "common",
                        f"java.lang.IllegalStateException: Status code {response.status}",
                    )
                data = await _read_all(response)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise LoadFailure(
                "Connecting to the URL failed.", "suspicious", f"java.net.ConnectException: {exc}"
            ) from exc
        self.downloads[url].append(data)
        return data

    async def stream(self, url: str) -> bytes:
        """What the player does when it starts a track: fetch again; any failure breaks playback."""
        try:
            return await self.fetch(url)
        except NotFound as exc:
            raise LoadFailure(
                "Something broke when playing the track.",
                "fault",
                "java.lang.RuntimeException: Not success status code: 404",
            ) from exc

    async def load(self, identifier: str) -> dict[str, Any]:
        if self._injected:
            return _error(self._injected.pop(0))
        if not identifier.startswith(("http://", "https://")):
            return {"loadType": "empty", "data": {}}
        if self._head_only:
            return await self._load_by_head(identifier)
        try:
            data = await self.fetch(identifier)
            info = probe(data)
        except NotFound:
            return {"loadType": "empty", "data": {}}
        except LoadFailure as failure:
            return _error(failure)
        except UnsupportedAudio as exc:
            return _error(LoadFailure(str(exc), "common", f"java.lang.IllegalStateException: {exc}"))
        track = TrackInfo(uri=identifier, length_ms=info.length_ms, probe=info.container)
        _LOGGER.debug("fake lavalink: loaded %s (%s, %d ms)", identifier, info.container, info.length_ms)
        return {"loadType": "track", "data": track_json(track, encode_track(track))}

    async def _load_by_head(self, url: str) -> dict[str, Any]:
        """What some servers do: a HEAD request, and a track of unknown length, title and author."""
        assert self._session is not None, "the node is not started"
        try:
            async with self._session.head(url, allow_redirects=True) as response:
                status, content_type = response.status, response.content_type
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return _error(LoadFailure("Connecting to the URL failed.", "suspicious", f"{exc}"))
        if status == 404:
            return {"loadType": "empty", "data": {}}
        if status not in (200, 206) or not content_type.startswith("audio/"):
            return _error(LoadFailure("The URL is not a playable stream.", "common", f"status {status}"))
        track = TrackInfo(uri=url, length_ms=-1, probe="unknown", title="unknown", author="unknown")
        return {"loadType": "track", "data": track_json(track, encode_track(track))}


async def _read_all(response: aiohttp.ClientResponse) -> bytes:
    # content.read(n) returns what has arrived so far, not n bytes: read to the end, within a bound.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > _MAX_DOWNLOAD:
            raise LoadFailure(
                "The file is too large.", "common", "java.io.IOException: download limit reached"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _error(failure: LoadFailure) -> dict[str, Any]:
    return {"loadType": "error", "data": failure.as_json()}
