"""The emulator's voice server, met by the fake node's voice link: handshake, refusals, frames heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from discord_sandbox.lavalink.voice_link import VoiceLink
from discord_sandbox.voice_gateway import VoiceGateway

GUILD, BOT, CHANNEL = 11, 22, 33


@pytest.fixture
async def voice() -> AsyncIterator[VoiceGateway]:
    gateway = VoiceGateway(heartbeat_interval_ms=200)
    await gateway.start()
    yield gateway
    await gateway.stop()


class Link:
    """A VoiceLink and what it reported."""

    def __init__(self, voice: VoiceGateway, *, token: str, session_id: str = "session-1") -> None:
        self.closed: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        state = {
            "token": token,
            "endpoint": voice.endpoint,
            "sessionId": session_id,
            "channelId": str(CHANNEL),
        }
        self.link = VoiceLink(GUILD, BOT, state, on_connected=lambda: None, on_closed=self._closed)

    def _closed(self, code: int, reason: str) -> None:
        if not self.closed.done():
            self.closed.set_result((code, reason))


async def test_the_granted_voice_state_connects_and_its_frames_are_heard(voice: VoiceGateway) -> None:
    grant = voice.grant(GUILD, BOT, "session-1", CHANNEL)
    link = Link(voice, token=grant.token).link
    await asyncio.wait_for(link.settled.wait(), 5)
    assert link.connected and voice.connected(GUILD)
    for _ in range(50):
        assert link.send_frame()
    await asyncio.sleep(0.1)
    assert voice.frames(GUILD) == 50
    assert voice.speaking == [(GUILD, 1)]
    await asyncio.sleep(0.5)  # heartbeats keep it open past two intervals
    assert voice.connected(GUILD)
    await link.close()


@pytest.mark.parametrize(
    ("token", "session_id", "code"),
    [("stale", "session-1", 4004), (None, "another-session", 4006)],
)
async def test_a_wrong_token_or_session_is_refused(
    voice: VoiceGateway, token: str | None, session_id: str, code: int
) -> None:
    grant = voice.grant(GUILD, BOT, "session-1", CHANNEL)
    attempt = Link(voice, token=token or grant.token, session_id=session_id)
    assert (await asyncio.wait_for(attempt.closed, 5))[0] == code
    assert not attempt.link.connected and voice.frames(GUILD) == 0


async def test_leaving_and_a_new_gateway_session_close_the_connection(voice: VoiceGateway) -> None:
    for close, code in ((voice.revoke(GUILD), 4014), (voice.end_session("session-1"), 4006)):
        grant = voice.grant(GUILD, BOT, "session-1", CHANNEL)
        attempt = Link(voice, token=grant.token)
        await asyncio.wait_for(attempt.link.settled.wait(), 5)
        await close
        assert (await asyncio.wait_for(attempt.closed, 5))[0] == code


async def test_faults_for_tests(voice: VoiceGateway) -> None:
    grant = voice.grant(GUILD, BOT, "session-1", CHANNEL)
    voice.refuse_next(GUILD, 4006)
    assert (await asyncio.wait_for(Link(voice, token=grant.token).closed, 5))[0] == 4006
    crashed = Link(voice, token=grant.token)
    await asyncio.wait_for(crashed.link.settled.wait(), 5)
    await voice.close(GUILD, 4015)
    assert await asyncio.wait_for(crashed.closed, 5) == (4015, "Voice server crashed")
    voice.unreachable = True
    assert (await asyncio.wait_for(Link(voice, token=grant.token).closed, 5))[0] == 1006
