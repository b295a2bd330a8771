"""Members' data through the emulator: a copy on request, deletion on request, and guilds that leave."""

from __future__ import annotations

import json

from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from trainer_bot.app import TrainerBot

from .conftest import answer_to


async def test_a_member_exports_then_forgets_their_data(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    question = await emulator.send_message(bob, "what is the capital of France", mention_bot=True)
    answer = await answer_to(emulator, question)
    await emulator.response(await emulator.slash(bob, "feedback", {"text": "nice bot"}))
    await emulator.response(
        await emulator.slash(bob, "correct", {"message_id": str(answer.id), "correction": "Paris"})
    )
    await emulator.response(await emulator.slash(alice, "feedback", {"text": "alice was here"}))

    exported = await emulator.response(await emulator.slash(bob, "privacy export"))
    assert exported.ephemeral and exported.attachments
    data = json.loads(exported.attachments[0].data)
    assert [turn["prompt"] for turn in data["conversation_turns"]] == ["what is the capital of France"]
    assert [note["text"] for note in data["feedback"]] == ["nice bot"]  # only bob's own
    assert [c["corrected_answer"] for c in data["corrections"]] == ["Paris"]

    refused = await emulator.response(await emulator.slash(bob, "privacy forget-me", {"confirm": False}))
    assert "Nothing was deleted" in refused.content
    done = await emulator.response(await emulator.slash(bob, "privacy forget-me", {"confirm": True}))
    assert done.ephemeral and "1 message I answered" in done.content and "1 correction," in done.content
    again = json.loads(
        (await emulator.response(await emulator.slash(bob, "privacy export"))).attachments[0].data
    )
    assert again["conversation_turns"] == again["feedback"] == again["corrections"] == []
    # The correction no longer answers: what bob taught is gone with him.
    repeat = await emulator.send_message(alice, "what is the capital of France", mention_bot=True)
    assert (await answer_to(emulator, repeat)).content != "Paris"
    alices = json.loads(
        (await emulator.response(await emulator.slash(alice, "privacy export"))).attachments[0].data
    )
    assert [note["text"] for note in alices["feedback"]] == ["alice was here"]


async def test_retention_is_set_per_guild(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    reply = await emulator.response(await emulator.slash(alice, "settings retention", {"days": 30}))
    assert reply.ephemeral and "kept for 30 days" in reply.content
    refused = await emulator.response(await emulator.slash(alice, "settings retention", {"days": 0}))
    assert "between 1 and 3650 days" in refused.content
    denied = await emulator.response(await emulator.slash(bob, "settings retention", {"days": 30}))
    assert "Manage Server" in denied.content
