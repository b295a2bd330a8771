"""ChatFlow with a language model: what it is given, what members see, and what happens when it fails.

The model here is a scripted stand-in (the engines themselves are tested against the real SmolLM2 in
tests/unit/llm and tests/e2e): it records the messages it was given and yields the pieces it was told to.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import pytest

from trainer_bot.chat.answering import BUSY_NOTE, MODEL_DOWN_NOTE, ChatFlow
from trainer_bot.chat.conversation import UNKNOWN_ANSWER
from trainer_bot.chat.generating import ModelAnswers
from trainer_bot.chat.grounding import HistoryTurn
from trainer_bot.llm.engine import ModelDown
from trainer_bot.llm.messages import ChatMessage
from trainer_bot.speech.listening import Listening
from trainer_bot.storage import ConversationRepository, Database
from trainer_bot.workspace.paths import Workspaces

from .test_answering import GUILD, MEMBER, QUESTION, Setup, Transcriber

OTHER_GUILD = GUILD + 1


class ScriptedModel:
    name = "scripted"

    def __init__(self, pieces: Sequence[str] = ("It is ", "blue."), *, fail_after: int | None = None) -> None:
        self.pieces = pieces
        self.fail_after = fail_after
        self.asked: list[list[ChatMessage]] = []
        self.pause = 0.0

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> AsyncIterator[str]:
        self.asked.append(list(messages))
        for index, piece in enumerate(self.pieces):
            if self.fail_after is not None and index >= self.fail_after:
                raise ModelDown("connection refused")
            await asyncio.sleep(self.pause)
            yield piece
        if self.fail_after is not None and self.fail_after >= len(self.pieces):
            raise ModelDown("connection refused")

    async def close(self) -> None:
        return None


@pytest.fixture
def setup(database: Database, workspaces: Workspaces) -> Setup:
    return Setup(database, workspaces)


class History:
    def __init__(self, *turns: HistoryTurn) -> None:
        self._turns = turns

    async def turns(self) -> Sequence[HistoryTurn]:
        return self._turns


def flow_with(setup: Setup, model: ScriptedModel, *, timeout: float = 5.0, per_minute: int = 20) -> ChatFlow:
    writer = ModelAnswers(
        model,
        setup.conversation,
        setup.preferences,
        max_tokens=64,
        timeout=timeout,
        per_guild_per_minute=per_minute,
        context_tokens=2048,
    )
    listening = Listening(Transcriber(""), setup.preferences, max_bytes=1000)  # type: ignore[arg-type]
    return ChatFlow(setup.conversation, listening, setup.voice, mode="mention", writer=writer)  # type: ignore[arg-type]


async def correct(setup: Setup, guild: int, prompt: str, answer: str, message_id: int) -> None:
    await ConversationRepository(setup.database).add_turn(
        guild_id=guild,
        channel_id=1,
        author_id=MEMBER,
        prompt=prompt,
        answer="?",
        model_version=None,
        bot_message_id=message_id,
    )
    await setup.conversation.correct(
        guild_id=guild, channel_id=1, user_id=MEMBER, message_id=message_id, correction=answer
    )


async def test_the_model_writes_what_nothing_taught_answers_and_the_turn_is_remembered(setup: Setup) -> None:
    model = ScriptedModel()
    await flow_with(setup, model).handle(QUESTION, setup.replies)
    assert setup.replies.answers == ["It is blue."]
    [messages] = model.asked
    assert messages[0].role == "system" and "Answer in English" in messages[0].content
    assert messages[-1].content == QUESTION.text
    assert (await setup.conversation.rate(9001, MEMBER, 1)).value == 1  # the written answer is rateable


async def test_the_reply_chain_and_the_guilds_own_material_reach_the_model_and_nothing_else(
    setup: Setup,
) -> None:
    await correct(setup, GUILD, "who runs the chess club", "Ivan runs it on Thursdays.", 501)
    await correct(setup, OTHER_GUILD, "who runs the chess club", "SECRET of the other server", 502)
    model = ScriptedModel()
    chain = History(HistoryTurn("user", "we were talking about clubs"), HistoryTurn("assistant", "Yes!"))
    question = replace(QUESTION, text="who leads the chess club these days", history=chain)
    await flow_with(setup, model).handle(question, setup.replies)
    [messages] = model.asked
    prompt = "\n".join(m.content for m in messages)
    assert "Ivan runs it on Thursdays." in messages[0].content
    assert "SECRET" not in prompt  # another guild's material never reaches this guild's prompt
    assert [m.content for m in messages[1:3]] == ["we were talking about clubs", "Yes!"]


async def test_a_correction_that_answers_the_question_is_given_verbatim_without_the_model(
    setup: Setup,
) -> None:
    await correct(setup, GUILD, "what is the capital of france", "Paris.", 503)
    model = ScriptedModel()
    await flow_with(setup, model).handle(
        replace(QUESTION, text="What is the capital of France?"), setup.replies
    )
    assert setup.replies.answers == ["Paris."] and model.asked == []


async def test_a_model_that_is_down_gives_the_taught_answer_with_a_note(setup: Setup) -> None:
    await flow_with(setup, ScriptedModel(fail_after=0)).handle(QUESTION, setup.replies)
    assert setup.replies.answers == [f"{UNKNOWN_ANSWER}\n-# {MODEL_DOWN_NOTE}"]


async def test_a_model_cut_short_keeps_what_members_read(setup: Setup) -> None:
    await flow_with(setup, ScriptedModel(("It is ", "blue", " and"), fail_after=2)).handle(
        QUESTION, setup.replies
    )
    assert setup.replies.answers == ["It is blue …"]


async def test_a_slow_model_is_cut_at_the_deadline(setup: Setup) -> None:
    model = ScriptedModel(("a", "b", "c"))
    model.pause = 0.4
    started = asyncio.get_running_loop().time()
    await flow_with(setup, model, timeout=0.6).handle(QUESTION, setup.replies)
    assert asyncio.get_running_loop().time() - started < 1.5
    assert setup.replies.answers == ["a …"]


async def test_a_guild_that_asks_too_often_gets_taught_answers_meanwhile(setup: Setup) -> None:
    flow = flow_with(setup, ScriptedModel(), per_minute=1)
    await flow.handle(QUESTION, setup.replies)
    await flow.handle(QUESTION, setup.replies)
    assert setup.replies.answers == ["It is blue.", f"{UNKNOWN_ANSWER}\n-# {BUSY_NOTE}"]
    await flow.handle(replace(QUESTION, guild_id=OTHER_GUILD), setup.replies)  # other guilds are not held up
    assert setup.replies.answers[-1] == "It is blue."


@pytest.mark.parametrize("pieces", [(), ("  ", "\n")])
async def test_a_model_with_nothing_to_say_gives_the_taught_answer(
    setup: Setup, pieces: tuple[str, ...]
) -> None:
    await flow_with(setup, ScriptedModel(pieces)).handle(QUESTION, setup.replies)
    assert setup.replies.answers == [str(UNKNOWN_ANSWER)]
