"""A streamed answer: posted at the first words, edited at most once a second, final text always written."""

from __future__ import annotations

import contextlib

from trainer_bot.chat.streaming import CURSOR, StreamedAnswer


class Channel:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.edits: list[str] = []

    def render(self, message: object) -> str:
        return str(message)

    async def reply(self, text: object) -> None:
        raise AssertionError("a streamed answer never sends notices")

    async def answer(self, text: str) -> int:
        self.sent.append(text)
        return 77

    async def edit(self, message_id: int, text: str) -> None:
        assert message_id == 77
        self.edits.append(text)

    def typing(self) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


async def test_pieces_become_one_message_edited_at_most_once_a_second() -> None:
    channel = Channel()
    out = StreamedAnswer(channel, prefix="> ", interval=1.0)
    await out.add("\n")  # whitespace alone is not worth a message
    assert channel.sent == []
    for piece in ["Hello", " there", ",", " friend", "."]:
        await out.add(piece)
    assert channel.sent == ["> Hello" + CURSOR]
    assert channel.edits == []  # all within the first second
    assert await out.finish() == 77
    assert channel.edits == ["> Hello there, friend."]


async def test_a_slow_stream_is_edited_as_it_goes() -> None:
    channel = Channel()
    out = StreamedAnswer(channel, interval=0.0)
    await out.add("one")
    await out.add(" two")
    await out.finish(out.text + " …")
    assert channel.sent == ["one" + CURSOR]
    assert channel.edits == ["one two" + CURSOR, "one two …"]


async def test_an_answer_that_never_streamed_is_sent_whole_and_cut_to_discords_limit() -> None:
    channel = Channel()
    out = StreamedAnswer(channel)
    await out.finish("x" * 2500)
    assert len(channel.sent[0]) == 2000 and channel.sent[0].endswith("…")
