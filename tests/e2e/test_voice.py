"""Spoken answers through the emulator and the fake Lavalink node: join, queue, leave, faults."""

from __future__ import annotations

import itertools

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.lavalink import FakeLavalinkNode, probe
from discord_sandbox.state import Member
from trainer_bot.app import TrainerBot

from .conftest import BotFactory, answer_to


def bot_channel(emulator: DiscordEmulator) -> int | None:
    return emulator.guild.voice_states.get(emulator.bot_user.id)


async def ask(emulator: DiscordEmulator, member: Member, text: str) -> None:
    question = await emulator.send_message(member, text, mention_bot=True)
    await answer_to(emulator, question)


async def test_an_answer_to_a_member_in_voice_is_also_spoken_there(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await emulator.move_member(bob, emulator.voice_channel)
    await ask(emulator, bob, "hello bot")
    guild = emulator.guild.id
    await lavalink_node.until(
        lambda: any(p.reason == "finished" for p in lavalink_node.plays(guild)), 20, "a play"
    )
    request = emulator.bot_voice_requests[0]
    assert request["channel_id"] == str(emulator.voice_channel.id) and request["self_deaf"] is True
    player = lavalink_node.player(guild)
    assert player is not None and player.voice_connected

    [play] = lavalink_node.plays(guild)
    assert play.uri.startswith("http://127.0.0.1:") and "/audio/" in play.uri  # the bot's own audio server
    assert play.channel_id == str(emulator.voice_channel.id)
    audio = lavalink_node.loader.downloads[play.uri][0]
    info = probe(audio)
    assert info.length_ms > 1000 and play.length_ms == info.length_ms  # real audio, its real length
    assert play.events == ["TrackStartEvent", "TrackEndEvent"]


async def test_members_outside_voice_get_text_only(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await ask(emulator, bob, "hello bot")
    assert emulator.bot_voice_requests == []
    assert lavalink_node.plays(emulator.guild.id) == []


async def test_several_answers_are_spoken_in_order(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    # The long one stays under LONG_ANSWER_CHARS, so each answer is one play.
    answers = {"long one": "word " * 45, "short one": "Yes.", "medium one": "word " * 20}
    csv = "prompt,response\n" + "".join(f"{prompt},{answer.strip()}\n" for prompt, answer in answers.items())
    reply = await emulator.response(
        await emulator.slash(alice, "train", {"attachment": Upload("qa.csv", csv.encode())})
    )
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training")

    await emulator.move_member(bob, emulator.voice_channel)
    for prompt in answers:
        await emulator.send_message(bob, prompt, mention_bot=True)
    guild = emulator.guild.id
    await lavalink_node.until(
        lambda: [p.reason for p in lavalink_node.plays(guild)] == ["finished"] * 3, 30, "three finished plays"
    )
    plays = lavalink_node.plays(guild)
    long_ms, short_ms, medium_ms = (p.length_ms for p in plays)
    assert long_ms > medium_ms > short_ms  # the order the questions were asked
    assert all(a.ended_at is not None and a.ended_at <= b.started_at for a, b in itertools.pairwise(plays))


async def test_a_long_answer_is_heard_in_parts_one_after_another(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    answer = " ".join(f"Part {n} of the opening hours is here." for n in range(12))  # ~460 characters
    reply = await emulator.response(
        await emulator.slash(
            alice, "train", {"attachment": Upload("qa.csv", f"prompt,response\nhours,{answer}\n".encode())}
        )
    )
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training")

    await emulator.move_member(bob, emulator.voice_channel)
    await emulator.send_message(bob, "hours", mention_bot=True)
    guild = emulator.guild.id
    await lavalink_node.until(
        lambda: len(plays := lavalink_node.plays(guild)) >= 3 and all(p.reason == "finished" for p in plays),
        30,
        "the answer's parts played",
    )
    plays = lavalink_node.plays(guild)
    assert all(a.ended_at is not None and a.ended_at <= b.started_at for a, b in itertools.pairwise(plays))


async def test_join_and_leave(emulator: DiscordEmulator, bot: TrainerBot, bob: Member) -> None:
    not_in_voice = await emulator.response(await emulator.slash(bob, "join"))
    assert not_in_voice.ephemeral and "voice channel" in not_in_voice.content.lower()

    await emulator.move_member(bob, emulator.voice_channel)
    joined = await emulator.response(await emulator.slash(bob, "join"))
    assert joined.content.startswith(f"Joined <#{emulator.voice_channel.id}>")
    assert bot_channel(emulator) == emulator.voice_channel.id

    left = await emulator.response(await emulator.slash(bob, "leave"))
    assert left.content == "Left the voice channel."
    assert bot_channel(emulator) is None and emulator.bot_voice_requests[-1]["channel_id"] is None
    again = await emulator.response(await emulator.slash(bob, "leave"))
    assert again.ephemeral and again.content != "Left the voice channel."


async def test_the_bot_leaves_when_idle(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await start_bot(voice_idle_seconds=0.5)
    await emulator.move_member(bob, emulator.voice_channel)
    await ask(emulator, bob, "hello bot")
    await emulator.wait_for(lambda: bot_channel(emulator) == emulator.voice_channel.id, 10, "the bot to join")
    await emulator.wait_for(lambda: bot_channel(emulator) is None, 15, "the bot to leave when idle")
    assert [p.reason for p in lavalink_node.plays(emulator.guild.id)] == ["finished"]


async def test_the_bot_leaves_when_no_human_is_left(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    await emulator.move_member(bob, emulator.voice_channel)
    await emulator.response(await emulator.slash(bob, "join"))
    await emulator.move_member(bob, None)
    await emulator.wait_for(lambda: bot_channel(emulator) is None, 10, "the bot to leave an empty channel")


async def test_a_node_restart_keeps_text_answers_coming_and_voice_comes_back(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    guild = emulator.guild.id
    await emulator.move_member(bob, emulator.voice_channel)
    await ask(emulator, bob, "hello bot")
    await lavalink_node.until(lambda: lavalink_node.plays(guild), 20, "the first play")

    await lavalink_node.restart(downtime=1.5)
    await ask(emulator, bob, "are you still there")  # answered in text while the node is down

    await lavalink_node.until(lambda: lavalink_node.connections >= 2, 30, "Lavalink.py to reconnect")
    before = len(lavalink_node.plays(guild))
    await ask(emulator, bob, "and now")
    await lavalink_node.until(
        lambda: len(lavalink_node.plays(guild)) > before, 30, "speech after the restart"
    )


async def test_without_a_lavalink_password_voice_is_off_and_says_so(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, lavalink_node: FakeLavalinkNode
) -> None:
    await start_bot(voice=False)
    await emulator.move_member(bob, emulator.voice_channel)
    reply = await emulator.response(await emulator.slash(bob, "join"))
    assert reply.ephemeral and "LAVALINK_PASSWORD" in reply.content
    await ask(emulator, bob, "hello bot")  # answered in text, nothing tried in voice
    assert emulator.bot_voice_requests == [] and lavalink_node.plays(emulator.guild.id) == []
