"""The conversation loop through the emulator: answers, corrections (command, menu, modal), feedback, ratings."""

from __future__ import annotations

from pathlib import Path

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.state import Member
from trainer_bot.app import TrainerBot
from trainer_bot.config import Settings
from trainer_bot.layout import DataLayout
from trainer_bot.storage import ConversationRepository, Database

from .conftest import BotFactory, answer_to

PAIRS = b"""prompt,response
what is the capital of france,Paris is the capital of France.
how many legs does a spider have,A spider has eight legs.
who wrote war and peace,Leo Tolstoy wrote War and Peace.
"""


async def teach_pairs(emulator: DiscordEmulator, member: Member) -> None:
    interaction = await emulator.slash(member, "train", {"attachment": Upload("qa.csv", PAIRS, "text/csv")})
    reply = await emulator.response(interaction)
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training to finish")


async def stored_conversation(settings: Settings) -> ConversationRepository:
    return ConversationRepository(Database.from_url(DataLayout(settings.data_dir).default_database_url))


async def test_a_mention_gets_an_answer_and_other_messages_are_left_alone(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    await teach_pairs(emulator, alice)
    question = await emulator.send_message(bob, "What's the capital of France?", mention_bot=True)
    answer = await answer_to(emulator, question)
    assert answer.content == "Paris is the capital of France."
    assert [b["custom_id"] for row in answer.components for b in row["components"]] == [
        "rate:up",
        "rate:down",
    ]
    assert any(channel == emulator.text_channel.id for channel, _ in emulator.typing)

    before = len(emulator.bot_messages())
    await emulator.send_message(bob, "just chatting with friends")
    robot = await emulator.add_member("other-bot", bot=True)
    await emulator.send_message(robot, "hello bot", mention_bot=True)
    await emulator.send_message(bob, "ping")  # a message we can wait for, sent after the ones to ignore
    assert len(emulator.bot_messages()) == before


async def test_replies_to_the_bot_and_enabled_channels_get_answers(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    question = await emulator.send_message(bob, "who wrote war and peace", mention_bot=True)
    first = await answer_to(emulator, question)
    assert first.content.startswith("I don't know that yet")
    follow_up = await emulator.send_message(bob, "how many legs does a spider have", reply_to=first)
    assert (await answer_to(emulator, follow_up)).content.startswith("I don't know that yet")

    enabled = await emulator.response(await emulator.slash(alice, "chat enable"))
    assert enabled.ephemeral and "every message in this channel" in enabled.content
    free = await emulator.send_message(bob, "anyone here?")
    assert await answer_to(emulator, free)
    denied = await emulator.response(await emulator.slash(bob, "chat disable"))
    assert "Manage Server permission" in denied.content


async def test_the_menu_modal_correction_changes_the_next_answer_and_survives_a_restart(
    emulator: DiscordEmulator,
    start_bot: BotFactory,
    settings_for: object,
    alice: Member,
    bob: Member,
    data_dir: Path,
) -> None:
    first_bot = await start_bot()
    await teach_pairs(emulator, alice)
    question = await emulator.send_message(bob, "what is the capital of france", mention_bot=True)
    wrong = await answer_to(emulator, question)

    menu = await emulator.message_command(bob, "Correct this reply", wrong)
    await emulator.wait_for(lambda: menu.callback_type == 9, 5, "the modal")
    [row] = menu.callback_data["components"]
    assert row["components"][0]["value"] == "Paris is the capital of France."  # pre-filled with my answer
    submitted = await emulator.submit_modal(bob, menu, {"correction": "Paris! Famous for the Eiffel Tower."})
    saved = await emulator.response(submitted)
    assert saved.ephemeral and saved.content.startswith("Saved.")

    again = await emulator.send_message(bob, "What is the capital city of France?", mention_bot=True)
    assert (await answer_to(emulator, again)).content == "Paris! Famous for the Eiffel Tower."

    await first_bot.stop()
    await start_bot()
    after_restart = await emulator.send_message(bob, "capital of france?", mention_bot=True)
    assert (await answer_to(emulator, after_restart)).content == "Paris! Famous for the Eiffel Tower."


async def test_correct_by_message_id_and_refusals(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    question = await emulator.send_message(bob, "what colour is the sky", mention_bot=True)
    answer = await answer_to(emulator, question)
    saved = await emulator.response(
        await emulator.slash(bob, "correct", {"message_id": str(answer.id), "correction": "Blue, mostly."})
    )
    assert saved.ephemeral and "Blue, mostly." in saved.content
    again = await emulator.send_message(bob, "What colour is the sky?", mention_bot=True)
    assert (await answer_to(emulator, again)).content == "Blue, mostly."

    for message_id, says in [
        ("12345", "can't find message `12345`"),
        (str(question.id), "not mine"),
        ("not-a-number", "is not a message id"),
    ]:
        reply = await emulator.response(
            await emulator.slash(bob, "correct", {"message_id": message_id, "correction": "x"})
        )
        assert reply.ephemeral and says in reply.content, reply.content

    hi = await emulator.response(await emulator.slash(bob, "hi"))
    menu = await emulator.response(await emulator.message_command(bob, "Correct this reply", question))
    assert menu.ephemeral and "only be corrected on my own answers" in menu.content
    del hi


async def test_a_correction_answers_its_question_and_not_one_about_another_country(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    question = await emulator.send_message(bob, "What is the capital of France?", mention_bot=True)
    answer = await answer_to(emulator, question)
    saved = await emulator.response(
        await emulator.slash(bob, "correct", {"message_id": str(answer.id), "correction": "Paris"})
    )
    assert saved.ephemeral and "Paris" in saved.content

    # One word away from the corrected prompt, but another question: "Paris" would be a wrong answer.
    germany = await emulator.send_message(bob, "What is the capital of Germany?", mention_bot=True)
    assert (await answer_to(emulator, germany)).content != "Paris"
    paraphrase = await emulator.send_message(bob, "what's france's capital city?", mention_bot=True)
    assert (await answer_to(emulator, paraphrase)).content == "Paris"


async def test_feedback_and_ratings_are_stored(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member, alice: Member
) -> None:
    thanks = await emulator.response(
        await emulator.slash(bob, "feedback", {"text": "Great bot, more Russian please"})
    )
    assert thanks.ephemeral and "saved" in thanks.content

    question = await emulator.send_message(bob, "tell me a joke", mention_bot=True)
    answer = await answer_to(emulator, question)
    up = await emulator.response(await emulator.click(bob, answer, "rate:up"))
    assert up.ephemeral and "👍" in up.content
    await emulator.response(await emulator.click(alice, answer, "rate:down"))
    await emulator.response(await emulator.click(bob, answer, "rate:down"))  # bob changes his mind

    repository = await stored_conversation(bot.settings)
    turn = await repository.turn_by_message(answer.id)
    assert turn is not None and turn.prompt == "tell me a joke"
    assert sorted((r.user_id, r.value) for r in await repository.ratings_for_turn(turn.id)) == sorted(
        [(bob.id, -1), (alice.id, -1)]
    )


async def test_long_answers_are_split_at_2000_characters(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    long_answer = " ".join(f"word{n}" for n in range(450))  # ~3,400 characters: two messages
    upload = Upload("long.csv", f"prompt,response\nrecite the long text,{long_answer}\n".encode(), "text/csv")
    reply = await emulator.response(await emulator.slash(alice, "train", {"attachment": upload}))
    await emulator.wait_for(lambda: "finished" in reply.content, 60, "training")
    question = await emulator.send_message(bob, "recite the long text", mention_bot=True)
    await answer_to(emulator, question)
    parts = await emulator.wait_for(
        lambda: (
            (ms := [m for m in emulator.bot_messages(emulator.text_channel) if "word" in m.content])
            and len(ms) >= 2
            and ms
        ),
        10,
        "all parts",
    )
    assert all(len(m.content) <= 2000 for m in parts)
    assert " ".join(m.content for m in parts).split() == long_answer.split()
