"""ChatFlow without Discord: when the bot answers, what it says, what it remembers, what it speaks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from trainer_bot.chat.answering import EMPTY_PROMPT, NOTHING_HEARD, ChatFlow, ChatMode
from trainer_bot.chat.conversation import UNKNOWN_ANSWER, ConversationService
from trainer_bot.chat.messages import IncomingMessage
from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.errors import UserError
from trainer_bot.i18n import SOURCE, Message, Translations, Translator
from trainer_bot.speech.listening import Listening
from trainer_bot.speech.transcript import OnQueued, Transcript
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    GuildSettingsRepository,
    ModelVersionRepository,
)
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.workspace.paths import Workspaces

GUILD, CHANNEL, MEMBER, VOICE_CHANNEL = 10, 30, 40, 50
QUESTION = IncomingMessage(
    guild_id=GUILD,
    channel_id=CHANNEL,
    author_id=MEMBER,
    text="how are you",
    addressed=True,
    recording=None,
    voice_channel_id=None,
)


class Replies:
    """A channel that keeps what the bot sent."""

    def __init__(self, translator: Translator = SOURCE) -> None:
        self.translator = translator
        self.notices: list[str] = []
        self.answers: list[str] = []

    def render(self, message: Message | str) -> str:
        return self.translator.render(message)

    async def reply(self, text: Message | str) -> None:
        self.notices.append(self.render(text))

    async def answer(self, text: str) -> int:
        self.answers.append(text)
        return 9000 + len(self.answers)

    async def edit(self, message_id: int, text: str) -> None:
        self.answers[message_id - 9001] = text

    def typing(self) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


class Recording:
    def __init__(self, data: bytes = b"ogg", refusal: str | None = None) -> None:
        self.filename = "voice-message.ogg"
        self._data, self._refusal = data, refusal

    async def read(self, limit: int) -> bytes:
        if self._refusal is not None:
            raise UserError(self._refusal)
        return self._data


class Transcriber:
    def __init__(self, words: str, queued_at: int | None = None) -> None:
        self._words, self._queued_at = words, queued_at

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "a.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        if self._queued_at is not None and on_queued is not None:
            await on_queued(self._queued_at)
        return Transcript(text=self._words, language="en", duration=1.0, seconds=0.1)

    async def close(self) -> None:
        pass


class Voice:
    """Stands in for Speaking: records what would be said where."""

    def __init__(self) -> None:
        self.said: list[tuple[int, str]] = []
        self.spoken = asyncio.Event()
        self.released = 0
        self.enabled = True  # a Lavalink node is configured

    def reserve(self, guild_id: int) -> Voice.Turn:
        return Voice.Turn(self, guild_id)

    async def say(self, turn: Voice.Turn, channel_id: int, text: str, *, text_channel_id: int) -> None:
        self.said.append((channel_id, text))
        self.spoken.set()
        turn.release()

    class Turn:
        def __init__(self, owner: Voice, guild_id: int) -> None:
            self.owner, self.guild_id = owner, guild_id

        def release(self) -> None:
            self.owner.released += 1


class Setup:
    def __init__(self, database: Database, workspaces: Workspaces) -> None:
        self.database = database
        models = ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)
        self.conversation = ConversationService(ConversationRepository(database), models)
        self.preferences = GuildPreferences(
            GuildSettingsRepository(database), languages=("en",), default_voice="v"
        )
        self.voice = Voice()
        self.replies = Replies()

    def flow(self, mode: ChatMode = "mention", transcriber: Transcriber | None = None) -> ChatFlow:
        listening = Listening(transcriber or Transcriber(""), self.preferences, max_bytes=1000)  # type: ignore[arg-type]
        return ChatFlow(self.conversation, listening, self.voice, mode=mode)  # type: ignore[arg-type]


@pytest.fixture
async def setup(database: Database, workspaces: Workspaces) -> AsyncIterator[Setup]:
    yield Setup(database, workspaces)


async def test_when_the_bot_answers(setup: Setup) -> None:
    flow = setup.flow()
    unaddressed = replace(QUESTION, addressed=False)
    assert await flow.should_answer(QUESTION)
    assert await flow.should_answer(replace(unaddressed, guild_id=None))  # direct messages
    assert not await flow.should_answer(unaddressed)
    await setup.conversation.set_chat(GUILD, CHANNEL, MEMBER, enabled=True)
    assert await flow.should_answer(unaddressed)
    assert await setup.flow("all").should_answer(replace(unaddressed, channel_id=CHANNEL + 1))


async def test_an_answer_is_sent_and_remembered_under_the_rated_message(setup: Setup) -> None:
    await setup.flow().handle(QUESTION, setup.replies)
    assert setup.replies.answers == [str(UNKNOWN_ANSWER)]
    rating = await setup.conversation.rate(9001, MEMBER, 1)  # the id the channel gave the answer
    assert rating.value == 1


async def test_unaddressed_messages_get_nothing(setup: Setup) -> None:
    await setup.flow().handle(replace(QUESTION, addressed=False), setup.replies)
    assert setup.replies.answers == setup.replies.notices == []


async def test_a_bare_mention_gets_a_hint(setup: Setup) -> None:
    await setup.flow().handle(replace(QUESTION, text="  "), setup.replies)
    assert (setup.replies.notices, setup.replies.answers) == ([str(EMPTY_PROMPT)], [])


async def test_voice_messages_are_answered_with_what_was_heard(setup: Setup) -> None:
    flow = setup.flow(transcriber=Transcriber("hello there", queued_at=2))
    await flow.handle(replace(QUESTION, text="", recording=Recording()), setup.replies)
    assert setup.replies.notices == ["⏳ Your recording is in the queue (position 2); I'll answer soon."]
    [answer] = setup.replies.answers
    assert answer.startswith("🎙️ I heard: “hello there”")


@pytest.mark.parametrize(
    ("recording", "words", "notice"),
    [
        (Recording(refusal="`voice-message.ogg` is 2 MB; the limit is 1 MB."), "x", "the limit is 1 MB"),
        (Recording(), "   ", str(NOTHING_HEARD)),
    ],
)
async def test_recordings_that_cannot_be_heard_are_explained(
    setup: Setup, recording: Recording, words: str, notice: str
) -> None:
    await setup.flow(transcriber=Transcriber(words)).handle(
        replace(QUESTION, recording=recording), setup.replies
    )
    assert setup.replies.answers == []
    assert notice in setup.replies.notices[0]


async def test_members_in_voice_also_hear_the_answer(setup: Setup) -> None:
    flow = setup.flow()
    await flow.handle(replace(QUESTION, voice_channel_id=VOICE_CHANNEL), setup.replies)

    await asyncio.wait_for(setup.voice.spoken.wait(), timeout=2)  # the spoken copy comes after the text
    assert setup.voice.said == [(VOICE_CHANNEL, str(UNKNOWN_ANSWER))]
    await flow.handle(QUESTION, setup.replies)
    assert len(setup.voice.said) == 1  # not in voice: text only


async def test_without_voice_configured_answers_stay_in_text(setup: Setup) -> None:
    setup.voice.enabled = False
    await setup.flow().handle(replace(QUESTION, voice_channel_id=VOICE_CHANNEL), setup.replies)
    assert setup.replies.answers == [str(UNKNOWN_ANSWER)]
    assert setup.voice.said == [] and setup.voice.released == 0  # no turn taken, nothing synthesised


async def test_a_turn_is_released_when_there_is_nothing_to_say(setup: Setup) -> None:
    await setup.flow().handle(replace(QUESTION, text="", voice_channel_id=VOICE_CHANNEL), setup.replies)
    assert setup.voice.said == [] and setup.voice.released == 1


async def test_the_flows_own_words_are_in_the_channels_language(setup: Setup) -> None:
    russian = Replies(Translations.load().get("ru"))
    await setup.flow().handle(replace(QUESTION, text="  "), russian)
    await setup.flow().handle(QUESTION, russian)
    assert russian.notices == [
        "Привет! Задайте вопрос после упоминания или ответьте на одно из моих сообщений."
    ]
    assert russian.answers[0].startswith("Этого я пока не знаю.")
