"""The bot's foundation through the emulator: command sync, /hi, /instruction, errors, resume."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from support.logguard import LogGuard
from trainer_bot.app import TrainerBot
from trainer_bot.text import DISCORD_MESSAGE_LIMIT

from .conftest import BotFactory

FAULTY = ("support.faulty_commands",)


async def test_commands_are_synced_to_the_dev_guild_only(emulator: DiscordEmulator, bot: TrainerBot) -> None:
    commands = {command["name"]: command for command in emulator.guild_commands[emulator.guild.id]}
    assert {"hi", "instruction"} <= set(commands)
    assert commands["hi"]["description"] == "Say hello to the bot"
    assert commands["instruction"]["options"] in ([], None) or "options" not in commands["instruction"]
    assert emulator.global_commands == []  # nothing leaks into global commands while DEV_GUILDS is set


async def test_every_command_is_synced_with_its_kind(emulator: DiscordEmulator, bot: TrainerBot) -> None:
    kinds = {command["name"]: command["type"] for command in emulator.guild_commands[emulator.guild.id]}
    slash = {"hi", "instruction", "train", "test", "jobs", "select_dataset", "archive", "getfile", "files"}
    slash |= {"correct", "feedback", "chat", "join", "leave", "settings", "privacy", "export"}
    assert kinds == {name: 1 for name in slash} | {"Correct this reply": 3, "Transcribe": 3}
    chat = emulator.command("chat")
    assert chat["default_member_permissions"] == "32"
    assert sorted(option["name"] for option in chat["options"]) == ["disable", "enable"]


async def test_without_dev_guilds_commands_are_registered_globally(
    emulator: DiscordEmulator, start_bot: BotFactory
) -> None:
    await start_bot(dev_guilds=())
    assert {"hi", "instruction"} <= {command["name"] for command in emulator.global_commands}
    assert not emulator.guild_commands.get(emulator.guild.id)


async def test_start_up_heap_is_frozen_so_full_collections_stay_short(start_bot: BotFactory) -> None:
    gc.unfreeze()  # process-wide: bots started by earlier tests froze it already
    await start_bot()
    # What start-up built is out of the collector's reach: a full collection, which a slash command may
    # wait for, scans only what came after it, not the ~220k objects of modules and libraries.
    assert gc.get_freeze_count() > 50_000
    assert len(gc.get_objects()) < gc.get_freeze_count() / 5


async def test_hi_greets(emulator: DiscordEmulator, bot: TrainerBot, bob: Member) -> None:
    reply = await emulator.response(await emulator.slash(bob, "hi"))
    assert reply.content == "HI!"
    assert not reply.ephemeral


async def test_bundled_instruction_is_in_the_members_language(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    interaction = await emulator.slash(bob, "instruction")
    first = await emulator.response(interaction)
    await asyncio.sleep(0.2)
    text = "\n".join([first.content, *(emulator.messages[i].content for i in interaction.followup_ids)])
    assert "/train" in text and "/getfile" in text
    assert "how to use me" in text and "инструкция" not in text

    bob.locale = "ru"  # a Russian client gets the Russian guide, with the command names it shows
    interaction = await emulator.slash(bob, "instruction")
    first = await emulator.response(interaction)
    await asyncio.sleep(0.2)
    text = "\n".join([first.content, *(emulator.messages[i].content for i in interaction.followup_ids)])
    assert "инструкция" in text and "/обучить" in text and "how to use me" not in text


async def test_long_instruction_file_arrives_as_several_messages(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, tmp_path: Path
) -> None:
    lines = [f"Line {n}: " + "words to read " * 12 for n in range(60)]
    instruction = tmp_path / "instruction.md"
    instruction.write_text("\n".join(lines), "utf-8")
    await start_bot(instruction_file=instruction)

    interaction = await emulator.slash(bob, "instruction")
    first = await emulator.response(interaction)
    expected_messages = -(-len(instruction.read_text()) // DISCORD_MESSAGE_LIMIT)
    followups = await emulator.followups(interaction, expected_messages - 1)
    messages = [first, *followups]
    assert all(len(m.content) <= DISCORD_MESSAGE_LIMIT for m in messages)
    assert "\n".join(m.content for m in messages).splitlines() == lines


async def test_missing_instruction_file_gets_a_clear_ephemeral_answer(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, tmp_path: Path
) -> None:
    await start_bot(instruction_file=tmp_path / "gone.md")
    reply = await emulator.response(await emulator.slash(bob, "instruction"))
    assert reply.ephemeral
    assert "instruction file is missing" in reply.content


async def test_unexpected_failure_answers_with_an_error_id_that_is_in_the_log(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot(extra_extensions=FAULTY)
    with caplog.at_level(logging.ERROR, logger="trainer_bot.commands"):
        reply = await emulator.response(await emulator.slash(bob, "explode"))
    assert reply.ephemeral
    assert "secret internals" not in reply.content  # no exception text reaches the channel
    error_id = reply.content.split("`")[1]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log under that id


async def test_member_facing_errors_cooldowns_and_permissions_get_plain_answers(
    emulator: DiscordEmulator, start_bot: BotFactory, alice: Member, bob: Member
) -> None:
    await start_bot(extra_extensions=FAULTY)
    refused = await emulator.response(await emulator.slash(bob, "refuse"))
    assert refused.ephemeral and refused.content == "That file is not in this server's workspace."

    assert (await emulator.response(await emulator.slash(bob, "once"))).content == "done"
    slow = await emulator.response(await emulator.slash(bob, "once"))
    assert slow.ephemeral and slow.content.startswith("Slow down: you can use /once again in")

    denied = await emulator.response(await emulator.slash(bob, "moderate"))
    assert denied.ephemeral and "Manage Server permission" in denied.content
    assert (await emulator.response(await emulator.slash(alice, "moderate"))).content == "moderated"


async def test_session_resumes_after_reconnect_and_commands_keep_working(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    assert (await emulator.response(await emulator.slash(bob, "hi"))).content == "HI!"
    await emulator.force_reconnect()
    await emulator.wait_for(lambda: emulator.gateway.resume_count == 1, 15, "the bot to resume")
    assert emulator.gateway.identify_count == 1  # resumed, not a new session
    assert (await emulator.response(await emulator.slash(bob, "hi"))).content == "HI!"


async def test_events_sent_while_disconnected_are_replayed_on_resume(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    # hikari backs off ~2 s before reconnecting so soon after start; Discord's 3 s deadline would be tight.
    emulator.interaction_deadline = 10
    await emulator.drop_connection()
    await emulator.wait_for(lambda: not emulator.gateway.connected.is_set(), 5, "the disconnect")
    interaction = await emulator.slash(bob, "hi")  # sent into the gap
    reply = await emulator.response(interaction, timeout=15)
    assert reply.content == "HI!"
    assert emulator.gateway.resume_count == 1 and emulator.gateway.replayed_events >= 1


async def test_log_guard_catches_an_event_hikari_drops(
    emulator: DiscordEmulator, bot: TrainerBot, log_guard: LogGuard
) -> None:
    # An INTERACTION_CREATE missing required fields: hikari logs and drops it instead of raising.
    await emulator.gateway.dispatch("INTERACTION_CREATE", {"id": "1", "type": 2})
    await asyncio.sleep(0.2)
    problems = log_guard.take()
    assert any("raw event dispatch conduit" in r.getMessage() for r in problems)


async def test_no_route_the_bot_used_was_missing_from_the_emulator(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    await emulator.response(await emulator.slash(bob, "instruction"))
    assert emulator.rest.unhandled == []
