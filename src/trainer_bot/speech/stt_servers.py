"""Which of several speech recognition servers gets the next request.

The least busy one (fewest requests in flight): a clip takes from one second to minutes to transcribe, so
counting requests alone (round-robin) would keep sending to a server stuck on long recordings, or stalled
altogether, while a busy or stalled server here gathers requests in flight and is passed over by itself.
Ties go round in turn, so an idle bot still spreads its requests.

A server that fails as if it were gone or sick rests for a cool-down (30 s, doubling while it keeps failing,
up to a few minutes); after it, one request at a time probes it, and one success makes it usable again.
A lone server never rests: with nowhere else to send a request, refusing to try would only turn a restart of
a few seconds into a cool-down of refusals.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

log = logging.getLogger("trainer_bot.speech")

DEFAULT_COOLDOWN = 30.0
DEFAULT_MAX_COOLDOWN = 240.0


@dataclass(eq=False)
class SttServer:
    url: str
    """The base URL as configured; requests go to `endpoint`."""
    endpoint: str
    in_flight: int = 0
    failures: int = 0
    """Failures since the last success; sets the length of the next cool-down."""
    resting_until: float = 0.0
    probing: bool = False

    @property
    def name(self) -> str:
        """The URL without credentials or path, for logs."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def transcriptions_endpoint(url: str) -> str:
    """`{url}/v1/audio/transcriptions`, whether or not `url` already ends with /v1 (as OpenAI's does)."""
    base = url.rstrip("/")
    return base + ("" if base.endswith("/v1") else "/v1") + "/audio/transcriptions"


class SttServers:
    def __init__(
        self,
        urls: Sequence[str],
        *,
        cooldown: float = DEFAULT_COOLDOWN,
        max_cooldown: float = DEFAULT_MAX_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("at least one speech recognition server is needed")
        self.servers = tuple(SttServer(url, transcriptions_endpoint(url)) for url in urls)
        self._cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._clock = clock
        self._turn = 0

    def pick(self, exclude: Collection[SttServer] = ()) -> SttServer | None:
        """The usable server with the fewest requests in flight, not one of `exclude`; None when every other
        server is resting (or being probed by another request)."""
        count = len(self.servers)
        candidates = [
            (server.in_flight, (index - self._turn) % count, server)
            for index, server in enumerate(self.servers)
            if server not in exclude and (count == 1 or self._usable(server))
        ]
        if not candidates:
            return None
        self._turn += 1
        server = min(candidates, key=lambda candidate: candidate[:2])[2]
        if server.failures and count > 1:
            server.probing = True  # its cool-down is over: this request finds out whether it is back
        return server

    @contextmanager
    def attempt(self, server: SttServer) -> Iterator[None]:
        """Counts the request as in flight on `server` while it runs; enter it right after `pick`."""
        probe = server.probing
        server.in_flight += 1
        try:
            yield
        finally:
            server.in_flight -= 1
            if probe:  # a probe cancelled before its answer leaves the next request to probe
                server.probing = False

    def succeeded(self, server: SttServer) -> None:
        if server.failures and len(self.servers) > 1:
            log.info("speech recognition server %s answers again", server.name)
        server.failures = 0
        server.resting_until = 0.0

    def failed(self, server: SttServer, reason: str) -> None:
        """`server` failed as if gone or sick: it rests, unless it already does (requests sent before it
        failed are still coming back) and this was not the probe."""
        if len(self.servers) == 1 or (self._resting(server) and not server.probing):
            return
        server.failures += 1
        seconds = min(self._cooldown * 2 ** (server.failures - 1), self._max_cooldown)
        server.resting_until = self._clock() + seconds
        server.probing = False
        log.warning(
            "speech recognition server %s failed (%s): not used for %.0f s", server.name, reason, seconds
        )

    def _resting(self, server: SttServer) -> bool:
        return self._clock() < server.resting_until

    def _usable(self, server: SttServer) -> bool:
        return not self._resting(server) and not server.probing
