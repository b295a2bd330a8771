"""ConversationService without Discord: which answer wins, corrections per guild, ratings, chat channels."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from trainer_bot.chat.conversation import (
    UNKNOWN_ANSWER,
    AnsweredMessage,
    AnswerKind,
    ConversationService,
    NotMyAnswer,
)
from trainer_bot.layout import DataLayout
from trainer_bot.ml import train_model
from trainer_bot.ml.examples import Example
from trainer_bot.storage import ConversationRepository, Database, ModelVersionRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.workspace.paths import Workspaces

GUILD, OTHER_GUILD, CHANNEL, MEMBER = 1, 2, 10, 100


@pytest.fixture
async def conversation(tmp_path: Path) -> AsyncIterator[ConversationService]:
    database = Database.from_url(DataLayout(tmp_path).default_database_url)
    await database.migrate()
    models = ActiveModels(Workspaces(DataLayout(tmp_path)), ModelVersionRepository(database), b"k" * 32)
    yield ConversationService(ConversationRepository(database), models)
    await database.close()


async def ask_and_remember(
    conversation: ConversationService, guild: int, prompt: str, message_id: int
) -> None:
    reply = await conversation.reply_to(guild, prompt)
    await conversation.remember(
        guild_id=guild,
        channel_id=CHANNEL,
        author_id=MEMBER,
        prompt=prompt,
        reply=reply,
        bot_message_id=message_id,
    )


async def test_without_a_model_the_bot_says_it_does_not_know(conversation: ConversationService) -> None:
    reply = await conversation.reply_to(GUILD, "what is the capital of france")
    assert (reply.text, reply.kind) == (UNKNOWN_ANSWER, AnswerKind.UNKNOWN)


async def test_a_correction_answers_similar_prompts_in_its_guild_only(
    conversation: ConversationService,
) -> None:
    await ask_and_remember(conversation, GUILD, "what is the capital of france", 5000)
    await conversation.correct(
        guild_id=GUILD, channel_id=CHANNEL, user_id=MEMBER, message_id=5000, correction="Paris."
    )
    corrected = await conversation.reply_to(GUILD, "What's the capital city of France?")
    assert (corrected.text, corrected.kind) == ("Paris.", AnswerKind.CORRECTED)
    assert (
        await conversation.reply_to(OTHER_GUILD, "what is the capital of france")
    ).kind is AnswerKind.UNKNOWN
    assert (await conversation.reply_to(GUILD, "how do I bake bread")).kind is AnswerKind.UNKNOWN
    assert [(p.prompt, p.response) for p in await conversation.correction_pairs(GUILD)] == [
        ("what is the capital of france", "Paris.")
    ]


async def test_the_latest_correction_of_a_prompt_wins(conversation: ConversationService) -> None:
    await ask_and_remember(conversation, GUILD, "best pizza topping", 6000)
    for answer in ("Pineapple.", "Mushrooms."):
        await conversation.correct(
            guild_id=GUILD, channel_id=CHANNEL, user_id=MEMBER, message_id=6000, correction=answer
        )
    assert (await conversation.reply_to(GUILD, "best pizza topping?")).text == "Mushrooms."


async def test_corrections_of_unknown_or_foreign_answers_are_refused(
    conversation: ConversationService,
) -> None:
    await ask_and_remember(conversation, OTHER_GUILD, "hello there", 7000)
    for message_id in (7000, 424242):  # another guild's answer; an answer never given
        with pytest.raises(NotMyAnswer):
            await conversation.correct(
                guild_id=GUILD, channel_id=CHANNEL, user_id=MEMBER, message_id=message_id, correction="x"
            )

    async def found_on_discord() -> AnsweredMessage:
        return AnsweredMessage(prompt="hello there", answer="I don't know")

    stored = await conversation.correct(
        guild_id=GUILD,
        channel_id=CHANNEL,
        user_id=MEMBER,
        message_id=424242,
        correction="Hi!",
        lookup=found_on_discord,
    )
    assert stored.turn_id is None and stored.prompt == "hello there"


async def test_ratings_need_a_stored_turn(conversation: ConversationService) -> None:
    await ask_and_remember(conversation, GUILD, "tell me a joke", 8000)
    assert (await conversation.rate(8000, MEMBER, 1)).value == 1
    assert (await conversation.rate(8000, MEMBER, -1)).value == -1
    with pytest.raises(NotMyAnswer):
        await conversation.rate(1, MEMBER, 1)


async def test_chat_channels_switch_on_and_off(conversation: ConversationService) -> None:
    assert not await conversation.chat_enabled(GUILD, CHANNEL)
    assert await conversation.set_chat(GUILD, CHANNEL, MEMBER, enabled=True)
    assert not await conversation.set_chat(GUILD, CHANNEL, MEMBER, enabled=True)
    assert await conversation.chat_enabled(GUILD, CHANNEL)
    assert not await conversation.chat_enabled(OTHER_GUILD, CHANNEL)
    assert await conversation.set_chat(GUILD, CHANNEL, MEMBER, enabled=False)
    assert not await conversation.chat_enabled(GUILD, CHANNEL)


async def test_a_model_that_fails_its_check_is_reported_once_and_never_reread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database.from_url(DataLayout(tmp_path).default_database_url)
    await database.migrate()
    workspaces = Workspaces(DataLayout(tmp_path))
    writer = ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)
    model, _ = train_model([Example("good", "positive"), Example("bad", "negative")] * 3, [])
    version = writer.store(GUILD).save(model)
    await writer.publish(GUILD, model, version, job_id=None, metrics={})
    [model_file] = workspaces.for_guild(GUILD).models_dir.glob(f"{version}*.model")
    model_file.write_bytes(model_file.read_bytes()[:-1] + b"\0")  # tampered on disk

    restarted = ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)
    conversation = ConversationService(ConversationRepository(database), restarted)
    with caplog.at_level(logging.ERROR, "trainer_bot.training.active_models"):
        first = await conversation.reply_to(GUILD, "is it good")
        later = [await conversation.reply_to(GUILD, "is it good") for _ in range(3)]
    assert "failed its integrity check" in str(first.text) and version in str(first.text)
    assert all(reply.text == UNKNOWN_ANSWER for reply in later)
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
    await database.close()
