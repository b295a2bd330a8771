"""Several STT servers over real HTTP on 127.0.0.1: requests spread, and one going away costs no answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from speech_support.stt_double import SttDouble
from trainer_bot.checks import FAIL, OK, _speech_steps
from trainer_bot.config import load_settings
from trainer_bot.i18n import Message
from trainer_bot.speech.stt import (
    AudioTooLarge,
    RemoteTranscriber,
    SpeechError,
    SpeechRejected,
    TranscriberBusy,
)

CLIP = b"OggS" + bytes(100)  # the doubles never decode it


async def _running(name: str) -> AsyncIterator[SttDouble]:
    double = SttDouble(name)
    await double.start()
    yield double
    await double.stop()


@pytest.fixture
async def a() -> AsyncIterator[SttDouble]:
    async for double in _running("a"):
        yield double


@pytest.fixture
async def b() -> AsyncIterator[SttDouble]:
    async for double in _running("b"):
        yield double


Remote = Callable[..., RemoteTranscriber]


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    """Makes RemoteTranscribers, and closes them after the test whatever happened."""
    made: list[RemoteTranscriber] = []

    def make(url: str | Sequence[str], **options: Any) -> RemoteTranscriber:
        made.append(RemoteTranscriber(url, **options))
        return made[-1]

    yield make
    for client in made:
        await client.close()


async def _answers(client: RemoteTranscriber, count: int) -> list[str]:
    return [(await client.transcribe(CLIP)).text for _ in range(count)]


async def _timed(client: RemoteTranscriber) -> tuple[str | SpeechError, float]:
    started = time.monotonic()
    try:
        outcome: str | SpeechError = (await client.transcribe(CLIP)).text
    except SpeechError as exc:
        outcome = exc
    return outcome, time.monotonic() - started


def _unavailable(outcome: object) -> bool:
    return (
        isinstance(outcome, SpeechError)
        and isinstance(outcome.message, Message)  # translated for the member
        and str(outcome) == "Speech recognition is not available right now."
    )


async def test_requests_spread_over_every_server(remote: Remote, a: SttDouble, b: SttDouble) -> None:
    client = remote([a.url, b.url])
    assert sorted(await _answers(client, 6)) == ["a"] * 3 + ["b"] * 3
    many = await asyncio.gather(*(client.transcribe(CLIP) for _ in range(10)))
    assert sorted(answer.text for answer in many) == ["a"] * 5 + ["b"] * 5


async def test_a_busy_server_gets_no_more_until_it_answers(
    remote: Remote, a: SttDouble, b: SttDouble
) -> None:
    a.behaviour = b.behaviour = "slow"
    client = remote([a.url, b.url])
    slow = asyncio.create_task(client.transcribe(CLIP))
    await asyncio.sleep(0.05)  # it went to a, which holds it for half a second
    b.behaviour = "answer"
    assert await _answers(client, 4) == ["b"] * 4
    assert (await slow).text == "a" and a.requests == 1


async def test_a_killed_server_costs_no_answer_and_rests(remote: Remote, a: SttDouble, b: SttDouble) -> None:
    client = remote([a.url, b.url])  # the real 30 s cool-down
    assert sorted(await _answers(client, 2)) == ["a", "b"]
    await a.stop()
    started = time.monotonic()
    assert await _answers(client, 6) == ["b"] * 6  # the first one after a refusal by a
    assert time.monotonic() - started < 2
    await a.start()  # back on its port, but within its cool-down
    a.requests = 0
    assert await _answers(client, 4) == ["b"] * 4
    assert a.requests == 0


async def test_a_server_back_after_its_cool_down_gets_requests_again(
    remote: Remote, a: SttDouble, b: SttDouble
) -> None:
    client = remote([a.url, b.url], cooldown=0.3)
    await a.stop()
    assert await _answers(client, 3) == ["b"] * 3
    await a.start()
    await asyncio.sleep(0.35)
    assert sorted(await _answers(client, 4)) == ["a", "a", "b", "b"]
    assert client.servers[0].failures == 0


@pytest.mark.parametrize("behaviour", ["unavailable", "drop"])
async def test_a_sick_server_is_passed_over_for_the_same_request(
    remote: Remote, a: SttDouble, b: SttDouble, behaviour: str
) -> None:
    a.behaviour = behaviour  # type: ignore[assignment]
    client = remote([a.url, b.url])
    assert await _answers(client, 4) == ["b"] * 4
    assert a.requests == 1  # then it rests


async def test_a_stalling_server_costs_the_deadline_once(remote: Remote, a: SttDouble, b: SttDouble) -> None:
    a.behaviour = "stall"
    client = remote([a.url, b.url], timeout=1.0)
    outcomes = [await _timed(client) for _ in range(6)]
    stalled = [seconds for outcome, seconds in outcomes if outcome != "b"]
    assert len(stalled) == 1 and 0.9 < stalled[0] < 1.5  # no time left to ask b: a clear answer
    assert all(_unavailable(outcome) or outcome == "b" for outcome, _ in outcomes)
    assert sum(seconds for _, seconds in outcomes) < 2.0
    assert a.requests == 1


@pytest.mark.parametrize(
    ("behaviour", "error"), [("too large", AudioTooLarge), ("bad audio", SpeechRejected)]
)
async def test_a_refusal_of_the_audio_is_not_retried_elsewhere(
    remote: Remote, a: SttDouble, b: SttDouble, behaviour: str, error: type[SpeechError]
) -> None:
    a.behaviour = behaviour  # type: ignore[assignment]
    client = remote([a.url, b.url])
    with pytest.raises(error):
        await client.transcribe(CLIP)  # the first request goes to a
    assert b.requests == 0
    assert (await client.transcribe(CLIP)).text == "b"
    with pytest.raises(error):
        await client.transcribe(CLIP)  # a is not resting: the audio was the problem
    assert a.requests == 2 and b.requests == 1


async def test_a_full_server_hands_the_request_to_another_without_resting(
    remote: Remote, a: SttDouble, b: SttDouble
) -> None:
    a.behaviour = "busy"
    client = remote([a.url, b.url])
    assert await _answers(client, 2) == ["b", "b"]
    assert a.requests == 2 and client.servers[0].failures == 0
    b.behaviour = "busy"
    with pytest.raises(TranscriberBusy):
        await client.transcribe(CLIP)


async def test_every_server_down_gets_the_clear_answer_fast(
    remote: Remote, a: SttDouble, b: SttDouble
) -> None:
    a.behaviour, b.behaviour = "unavailable", "drop"
    c = SttDouble("c")
    await c.start()
    await c.stop()  # nothing listens on its port
    client = remote([a.url, b.url, c.url], timeout=30)
    first, seconds = await _timed(client)  # two are tried, each failing at once
    assert _unavailable(first) and seconds < 1
    for _ in range(3):
        outcome, seconds = await _timed(client)  # every one rests: none is asked
        assert _unavailable(outcome) and seconds < 0.05
    assert (a.requests, b.requests) in {(1, 1), (1, 0), (0, 1)}


async def test_stalled_servers_each_cost_the_deadline_once_then_the_answer_is_at_once(
    remote: Remote, a: SttDouble, b: SttDouble
) -> None:
    a.behaviour = b.behaviour = "stall"
    client = remote([a.url, b.url], timeout=0.5)
    durations = [(await _timed(client))[1] for _ in range(4)]
    assert all(0.4 < seconds < 1 for seconds in durations[:2])
    assert all(seconds < 0.05 for seconds in durations[2:])


async def test_a_lone_server_is_asked_every_time(remote: Remote, a: SttDouble) -> None:
    """With nowhere else to send a request, a lone server never rests, and keeps its own errors."""
    client = remote(a.url)
    await a.stop()
    with pytest.raises(SpeechError, match="unreachable"):
        await client.transcribe(CLIP)
    await a.start()
    assert (await client.transcribe(CLIP)).text == "a"
    a.behaviour = "stall"
    client = remote(a.url, timeout=0.3)
    with pytest.raises(SpeechError, match="in time"):
        await client.transcribe(CLIP)


async def test_trainer_bot_check_reports_each_server_on_its_own_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, a: SttDouble, b: SttDouble
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    b.behaviour = "unavailable"
    c = SttDouble("c")
    await c.start()
    await c.stop()
    settings = load_settings(stt_url=f"{a.url},{b.url},{c.url}")
    lines = [(part, *await step(settings)) for part, step in _speech_steps(settings)]
    assert lines == [
        ("speech server 1", OK, f"{a.url} is healthy"),
        ("speech server 2", FAIL, f"{b.url} answers 503 to /health"),
        ("speech server 3", FAIL, f"nothing answers at {c.url}: is its trainer-bot stt-server running?"),
    ]
    (alone,) = _speech_steps(load_settings(stt_url=a.url))
    assert alone[0] == "speech model" and await alone[1](settings) == (OK, f"{a.url} is healthy")
