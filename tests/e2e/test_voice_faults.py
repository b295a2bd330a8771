"""Spoken answers against nodes and a voice server as unkind as the real ones.

What a member hears is counted where Discord would receive it: the emulator's voice server counts the
20 ms audio frames the node sends. Answers are kept short (TTS_MAX_CHARS) and deadlines tight, so a
stalled utterance costs about two seconds.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable

import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.lavalink.quirks import Quirks
from discord_sandbox.state import Member, Message

from .conftest import BotFactory, answer_to

SCALE = 0.05
FAST_VOICE = {"voice_start_seconds": 1.0, "voice_end_margin_seconds": 1.0, "tts_max_chars": 30}


async def until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def frames(emulator: DiscordEmulator) -> int:
    return emulator.voice.frames(emulator.guild.id)


def bot_channel(emulator: DiscordEmulator) -> int | None:
    return emulator.guild.voice_states.get(emulator.bot_user.id)


async def ask(emulator: DiscordEmulator, member: Member, text: str) -> float:
    """Seconds until the text answer arrived: voice must never hold it up."""
    sent = time.monotonic()
    question = await emulator.send_message(member, text, mention_bot=True)
    await answer_to(emulator, question)
    return time.monotonic() - sent


async def heard(emulator: DiscordEmulator, member: Member, text: str, timeout: float = 10.0) -> None:
    """Ask, and wait until the answer's audio reached the voice channel."""
    before = frames(emulator)
    assert await ask(emulator, member, text) < 3.0
    await until(lambda: frames(emulator) >= before + 25, timeout, f"the answer to {text!r} to be heard")


async def notice_saying(emulator: DiscordEmulator, words: str) -> Message:
    """The bot's message in a text channel that says `words`."""
    message: Message = await emulator.wait_for(
        lambda: next((m for m in emulator.bot_messages() if words in m.content), None),
        5,
        f"a notice: {words}",
    )
    return message


@pytest.fixture
async def node_factory() -> AsyncIterator[Callable[..., asyncio.Future[FakeLavalinkNode]]]:
    nodes: list[FakeLavalinkNode] = []

    async def make(**options: object) -> FakeLavalinkNode:
        node = FakeLavalinkNode(time_scale=SCALE, **options)  # type: ignore[arg-type]
        await node.start()
        nodes.append(node)
        return node

    yield make  # type: ignore[misc]
    for node in nodes:
        await node.stop()


QUIRKS = {
    "head-only loads": Quirks(head_only_loads=True),
    "idle stop refused": Quirks(idle_stop_refused=True),
    "bare errors": Quirks(bare_errors=True),
    "strict delete": Quirks(strict_delete=True),
    "silent": Quirks(silent=True),
    "never ends": Quirks(never_ends=True),
    "nodelink": Quirks.nodelink(),
}


@pytest.mark.parametrize("quirks", QUIRKS.values(), ids=QUIRKS.keys())
async def test_answers_are_heard_whatever_the_node_does(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    bob: Member,
    node_factory: object,
    quirks: Quirks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = await node_factory(quirks=quirks)  # type: ignore[operator]
    await start_bot(
        lavalink_port=node.port, lavalink_password=node.password, voice_idle_seconds=2.0, **FAST_VOICE
    )
    await emulator.move_member(bob, emulator.voice_channel)
    with caplog.at_level(logging.INFO, "trainer_bot.voice"):
        await heard(emulator, bob, "first question")
        await heard(emulator, bob, "second question")  # behind the first, even one whose end never comes
        await until(lambda: bot_channel(emulator) is None, 10, "the idle leave")
    assert "damaged" not in caplog.text  # a node that reports length -1 measured nothing


@pytest.mark.parametrize(("code", "rejoins"), [(4006, True), (4014, True), (4015, False), (1006, False)])
async def test_a_closed_voice_connection_is_recovered(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    bob: Member,
    lavalink_node: FakeLavalinkNode,
    code: int,
    rejoins: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await start_bot(**FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    await heard(emulator, bob, "before the fault")
    joins = len(emulator.bot_voice_requests)
    with caplog.at_level(logging.INFO, "trainer_bot.voice"):
        assert await emulator.voice.close(emulator.guild.id, code)
        if not rejoins:  # 4015 and 1006: the bot asks for a new connection at once, without leaving
            await until(lambda: len(emulator.bot_voice_requests) > joins, 5, "a reconnect")
            assert all(r["channel_id"] for r in emulator.bot_voice_requests[joins:])
        await heard(emulator, bob, "after the fault")
    assert f"code {code}" in caplog.text


async def test_a_connection_that_keeps_dropping_is_given_up_and_the_channel_told(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await start_bot(**FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    await heard(emulator, bob, "hello")
    await emulator.voice.close(emulator.guild.id, 1006)
    await until(lambda: emulator.voice.connected(emulator.guild.id), 5, "the reconnect")
    await emulator.voice.close(emulator.guild.id, 1006)
    await until(lambda: bot_channel(emulator) is None, 5, "the bot to leave")
    notice = await notice_saying(emulator, "lost my voice connection")
    assert notice.channel_id == emulator.text_channel.id
    assert await ask(emulator, bob, "still there?") < 3.0  # answered in text; voice rests
    assert bot_channel(emulator) is None
    await emulator.response(await emulator.slash(bob, "join"))
    await heard(emulator, bob, "and now?")


async def test_a_stalled_voice_server_costs_each_utterance_its_deadline_then_the_bot_leaves(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await start_bot(**FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    await heard(emulator, bob, "hello")
    emulator.voice.unreachable = True  # the node's voice connection fails; its plays start nothing
    await emulator.voice.close(emulator.guild.id, 4015)  # the voice server crashed and stays down
    started = time.monotonic()
    for question in ("one", "two", "three"):
        assert await ask(emulator, bob, question) < 3.0  # text answers are not held up
    await until(lambda: bot_channel(emulator) is None, 20, "the bot to give up")
    assert time.monotonic() - started < 3 * (1.0 + 2.0) + 6
    await notice_saying(emulator, "🔇")
    emulator.voice.unreachable = False
    await emulator.response(await emulator.slash(bob, "join"))
    await heard(emulator, bob, "are you back")


async def test_after_a_node_restart_the_next_answer_is_heard_within_two_seconds(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await start_bot(**FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    await heard(emulator, bob, "hello")
    await lavalink_node.restart(downtime=0.5)
    await lavalink_node.until(lambda: lavalink_node.connections >= 2, 10, "Lavalink.py to reconnect")
    await asyncio.sleep(0.2)
    before = frames(emulator)
    sent = time.monotonic()
    await ask(emulator, bob, "and now")
    await until(lambda: frames(emulator) > before, 5, "speech after the restart")
    assert time.monotonic() - sent < 2.0


async def test_speech_moves_to_another_node_when_one_dies(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, node_factory: object
) -> None:
    first = await node_factory(password="one")  # type: ignore[operator]
    second = await node_factory(password="two")  # type: ignore[operator]
    nodes = (f"127.0.0.1:{first.port}:one", f"127.0.0.1:{second.port}:two")
    await start_bot(lavalink_nodes=nodes, **FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    await heard(emulator, bob, "hello")
    serving, spare = (first, second) if first.plays(emulator.guild.id) else (second, first)
    await serving.stop()
    await heard(emulator, bob, "still speaking?")
    assert spare.plays(emulator.guild.id), "the other node took over"


FAULTS = ("none", "none", "none", "4006", "4014", "4015", "1006", "refuse", "restart", "never-end")


async def test_a_seeded_storm_of_faults_leaves_no_guild_stuck(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    bob: Member,
    lavalink_node: FakeLavalinkNode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rng = random.Random(20261201)
    await start_bot(voice_idle_seconds=600, **FAST_VOICE)
    await emulator.move_member(bob, emulator.voice_channel)
    guild = emulator.guild.id
    with caplog.at_level(logging.INFO, "trainer_bot.voice"):
        for number in range(50):
            fault = rng.choice(FAULTS)
            if fault.isdigit():
                await emulator.voice.close(guild, int(fault))
            elif fault == "refuse":
                emulator.voice.refuse_next(guild, 4004)
            elif fault == "restart":
                await lavalink_node.restart(downtime=0.2)
            elif fault == "never-end":
                lavalink_node.swallow_next_end()
            assert await ask(emulator, bob, f"question {number}") < 3.0
            await asyncio.sleep(rng.uniform(0, 0.3))
        await until(lambda: "said" in caplog.text, 10, "anything to be heard")
        await asyncio.sleep(2.0)  # the last answers' speech is still being synthesised

        def settled() -> bool:
            lines = [r.getMessage() for r in caplog.records if r.name == "trainer_bot.voice"]
            queued = sum("queued" in line for line in lines)
            ended = sum(
                ("voice: said" in line) + ("gave up on an utterance" in line) + _unsaid(line)
                for line in lines
            )
            return queued > 0 and queued == ended

        await until(settled, 60, "every utterance to end heard or abandoned")
    # Nothing is stuck: after /join (voice may be resting after giving up), the next answer is heard.
    await emulator.response(await emulator.slash(bob, "join"))
    await heard(emulator, bob, "the last word")


def _unsaid(line: str) -> int:
    for marker in ("utterance(s) left unsaid", "utterance(s) meant for the old one"):
        if marker in line:
            return int(line.split(marker)[0].rsplit(maxsplit=1)[-1])
    return 0
