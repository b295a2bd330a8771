"""Chat answers written by a real language model (the embedded SmolLM2), streamed into Discord, and what
members get when the model cannot answer."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.state import Member, Message
from llm_support.server import start_llama_server, stop
from trainer_bot.chat.conversation import UNKNOWN_ANSWER
from trainer_bot.chat.streaming import CURSOR

from .conftest import BotFactory, answer_to


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with the same GGUF: the `LLM=url` path, for real."""
    server, base_url = start_llama_server()
    yield base_url
    stop(server)


async def teach(emulator: DiscordEmulator, alice: Member, csv: str) -> None:
    reply = await emulator.response(
        await emulator.slash(alice, "train", {"attachment": Upload("qa.csv", csv.encode())})
    )
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training")


async def final(emulator: DiscordEmulator, answer: Message, timeout: float = 60) -> str:
    """The answer's text once the stream has finished (the cursor gone)."""
    await emulator.wait_for(lambda: not answer.content.endswith(CURSOR), timeout, "the finished answer")
    return answer.content


async def test_a_question_nothing_taught_answers_is_written_by_the_model_as_a_stream(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member
) -> None:
    await start_bot(llm="embedded")
    question = await emulator.send_message(bob, "What colour is the sky on a clear day?", mention_bot=True)
    answer = await answer_to(emulator, question, timeout=60)
    text = await final(emulator, answer)
    assert text.strip() and not text.startswith("I don't know that yet")
    assert answer.edits, "the answer grew in place"
    assert [b["custom_id"] for row in answer.components for b in row["components"]] == [
        "rate:up",
        "rate:down",
    ]


async def test_a_taught_answer_is_still_given_word_for_word(
    emulator: DiscordEmulator, start_bot: BotFactory, alice: Member, bob: Member
) -> None:
    await start_bot(llm="embedded")
    await teach(
        emulator, alice, "prompt,response\nwhen does the chess club meet,Every Thursday at 7 pm in room 12.\n"
    )
    question = await emulator.send_message(bob, "When does the chess club meet?", mention_bot=True)
    assert (await answer_to(emulator, question)).content == "Every Thursday at 7 pm in room 12."


async def test_a_model_server_that_is_down_costs_the_member_nothing_but_a_note(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    await start_bot(llm="url", llm_url=f"http://127.0.0.1:{dead}/v1", llm_model="any", llm_timeout_seconds=5)
    started = time.monotonic()
    question = await emulator.send_message(bob, "who wrote war and peace", mention_bot=True)
    answer = await answer_to(emulator, question, timeout=15)
    text = await final(emulator, answer)
    assert time.monotonic() - started < 6
    assert text.startswith(str(UNKNOWN_ANSWER)) and "language model isn't answering right now" in text


async def test_export_gives_what_the_server_taught_as_fine_tuning_jsonl(
    emulator: DiscordEmulator, start_bot: BotFactory, alice: Member, bob: Member
) -> None:
    await start_bot()
    empty = await emulator.response(await emulator.slash(alice, "export"))
    assert empty.ephemeral and "Nothing to export yet" in empty.content and not empty.attachments
    persona = await emulator.response(
        await emulator.slash(alice, "settings persona", {"text": "You are the chess club's helper."})
    )
    assert persona.ephemeral and "You are the chess club's helper." in persona.content
    csv = "prompt,response\nwhen does the club meet,Thursdays at 7 pm.\nwhere,Room 12.\n"
    reply = await emulator.response(
        await emulator.slash(alice, "train", {"attachment": Upload("qa.csv", csv.encode())})
    )
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training")

    export = await emulator.response(await emulator.slash(alice, "export"))
    assert export.ephemeral and export.content.startswith("2 conversations")
    [file] = export.attachments
    assert file.filename == "fine-tuning.jsonl"
    lines = [json.loads(line) for line in file.data.decode().splitlines()]
    assert {line["messages"][1]["content"]: line["messages"][2]["content"] for line in lines} == {
        "when does the club meet": "Thursdays at 7 pm.",
        "where": "Room 12.",
    }
    assert all(
        line["messages"][0] == {"role": "system", "content": "You are the chess club's helper."}
        for line in lines
    )
    denied = await emulator.response(await emulator.slash(bob, "export"))
    assert "Manage Server permission" in denied.content and not denied.attachments


async def test_through_a_model_server_the_answer_streams_and_follows_what_the_server_taught(
    emulator: DiscordEmulator, start_bot: BotFactory, alice: Member, bob: Member, llama_server: str
) -> None:
    await start_bot(llm="url", llm_url=llama_server, llm_model="smollm2", llm_timeout_seconds=30)
    await teach(emulator, alice, "prompt,response\nwhen does the library open,The library opens at 9 am.\n")
    # Not the taught question: the model writes the answer, with the taught one as its material.
    question = await emulator.send_message(
        bob, "What time can I come to the library in the morning?", mention_bot=True
    )
    answer = await answer_to(emulator, question, timeout=60)
    text = await final(emulator, answer)
    assert "9" in text and answer.edits


async def test_a_model_server_killed_mid_answer_leaves_what_was_written_and_says_it_was_cut(
    emulator: DiscordEmulator, start_bot: BotFactory, bob: Member
) -> None:
    server, base_url = await asyncio.to_thread(start_llama_server)
    try:
        await start_bot(
            llm="url", llm_url=base_url, llm_model="smollm2", llm_max_tokens=400, llm_timeout_seconds=30
        )
        question = await emulator.send_message(bob, "Write a long story about a dragon.", mention_bot=True)
        answer = await answer_to(emulator, question, timeout=60)  # the first words are there
        await asyncio.to_thread(stop, server)
        text = await final(emulator, answer)
        assert text.endswith(" …") and len(text) > 2  # what members read stays, marked as cut short
        again = await emulator.send_message(bob, "And another one?", mention_bot=True)
        fallback = await final(emulator, await answer_to(emulator, again, timeout=15))
        assert "language model isn't answering right now" in fallback
    finally:
        if server.poll() is None:
            stop(server)
