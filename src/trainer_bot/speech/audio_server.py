"""Serves generated speech to Lavalink over HTTP, from memory, under unguessable expiring names.

Lavalink resolves tracks on its own host, so the bot hands it a URL instead of a file. The server
answers exactly one shape of path, `/audio/<token>.<ext>`, matched on the raw request target (no
decoding, no normalisation), so nothing else exists to list, traverse or guess; it never touches the
filesystem. Items stay until they expire rather than going on first fetch: lavaplayer fetches once to
probe (`/loadtracks`) and again to stream, and again after a node restart.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from trainer_bot.errors import UserError
from trainer_bot.i18n import t

__all__ = ["AudioServer", "AudioTooLarge"]

_LOGGER = logging.getLogger("trainer_bot.audio_server")
_PATH = re.compile(r"/audio/(?P<token>[A-Za-z0-9_-]{32})\.(?P<ext>[a-z0-9]{1,8})")
_EXTENSION = re.compile(r"[a-z0-9]{1,8}")
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*(;[ -~]*)?")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_MAX_DIGITS = 18


class AudioTooLarge(UserError):
    def __init__(self) -> None:
        super().__init__(t("That reply is too long to speak. Ask for something shorter."))


@dataclass(frozen=True)
class _Item:
    data: bytes
    content_type: str
    extension: str
    expires_at: float


class AudioServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        public_url: str | None = None,
        *,
        ttl: float = 600.0,
        max_items: int = 512,
        max_bytes: int = 64 * 1024 * 1024,
        idle_timeout: float = 15.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`idle_timeout`: a connection that sends no request for this long is closed (aiohttp would
        keep it an hour), so half-open connections cannot pile up."""
        self._host, self._port = host, port
        self._public_url = public_url.rstrip("/") if public_url else None
        self._ttl, self._max_items, self._max_bytes, self._clock = ttl, max_items, max_bytes, clock
        self._idle_timeout = idle_timeout
        self._items: OrderedDict[str, _Item] = OrderedDict()  # oldest first: they also expire first
        self._bytes = 0
        self._runner: web.AppRunner | None = None

    # --- lifecycle --------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{anything:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, keepalive_timeout=self._idle_timeout
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        self._port = int(self._runner.addresses[0][1])
        _LOGGER.info("audio server listening on %s (public URL %s)", self.url, self.public_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._items.clear()
        self._bytes = 0

    @property
    def url(self) -> str:
        """Where this process listens (after `start()` when the port was 0)."""
        return f"http://{self._host}:{self._port}"

    @property
    def public_url(self) -> str:
        """The base Lavalink fetches from: AUDIO_PUBLIC_URL, else the listening address."""
        return self._public_url or self.url

    def __len__(self) -> int:
        return len(self._items)

    # --- publishing -------------------------------------------------------------------------------------

    def publish(self, data: bytes, content_type: str, extension: str) -> str:
        """Keeps `data` for `ttl` seconds and returns the URL that serves it."""
        if not _EXTENSION.fullmatch(extension):
            raise ValueError(f"bad extension {extension!r}")
        if not _CONTENT_TYPE.fullmatch(content_type):
            raise ValueError(f"bad content type {content_type!r}")
        if len(data) > self._max_bytes:
            raise AudioTooLarge()
        self._purge()
        while self._items and (
            len(self._items) >= self._max_items or self._bytes + len(data) > self._max_bytes
        ):
            token, evicted = self._items.popitem(last=False)
            self._bytes -= len(evicted.data)
            # A queued utterance may lose its audio here: say so, or it would fail without a trace.
            _LOGGER.warning("audio store full: dropped %s.%s before it expired", token[:6], evicted.extension)
        token = secrets.token_urlsafe(24)
        self._items[token] = _Item(data, content_type, extension, self._clock() + self._ttl)
        self._bytes += len(data)
        return f"{self.public_url}/audio/{token}.{extension}"

    def _purge(self) -> None:
        now = self._clock()
        while self._items:
            token, item = next(iter(self._items.items()))
            if item.expires_at > now:
                return
            del self._items[token]
            self._bytes -= len(item.data)

    # --- serving ----------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        item = self._lookup(request)
        if item is None or request.method not in ("GET", "HEAD"):
            return web.Response(status=404, text="Not Found")
        headers = {
            "Content-Type": item.content_type,
            "Accept-Ranges": "bytes",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
        size = len(item.data)
        try:
            wanted = _byte_range(request.headers.get("Range"), size)
        except _Unsatisfiable:
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)
        if wanted is None:
            return web.Response(body=item.data, headers=headers)
        start, end = wanted
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return web.Response(status=206, body=item.data[start : end + 1], headers=headers)

    def _lookup(self, request: web.Request) -> _Item | None:
        # raw_path is the request target exactly as sent: "%2e%2e", "//" or "/./" never match.
        match = _PATH.fullmatch(request.raw_path.partition("?")[0])
        if match is None:
            return None
        self._purge()
        item = self._items.get(match["token"])
        if item is None or item.extension != match["ext"]:
            return None
        return item


class _Unsatisfiable(Exception):
    """The range lies outside the item: 416."""


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as (first, last) inclusive; None means "send it all" (absent or multi-range)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None  # several ranges or another unit: a full 200 answer is always allowed
    first, last = match.groups()
    if not first and not last:
        return None
    # Positions of more than 18 digits are past any item (and past what int() converts cheaply).
    if len(first) > _MAX_DIGITS:
        raise _Unsatisfiable
    if len(last) > _MAX_DIGITS:
        last = str(size)  # to the end, or for a suffix range, all of it
    if not first:  # "bytes=-N": the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - count), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range-spec: the header is ignored (RFC 9110 14.1.1)
    if start >= size:
        raise _Unsatisfiable
    return start, min(int(last), size - 1) if last else size - 1
