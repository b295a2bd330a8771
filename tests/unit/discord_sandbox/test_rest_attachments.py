"""Files on messages and interaction replies, sent by a real hikari REST client: Discord's v10 rules.

An edit's `attachments` lists everything the message keeps (old ones by id, new `files[n]` by n); an id
that names neither, more than ten files, or more bytes than the upload limit is refused as on Discord.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import hikari
import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.rest import INVALID_FORM_BODY
from discord_sandbox.snowflakes import new_snowflake
from discord_sandbox.state import Interaction, Message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LIMIT = 4096


@pytest.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator(attachment_size_limit=LIMIT)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def rest(emulator: DiscordEmulator) -> AsyncIterator[hikari.api.RESTClient]:
    app = hikari.RESTApp(url=emulator.api_url)
    await app.start()
    try:
        async with app.acquire(emulator.token, hikari.TokenType.BOT) as client:
            yield client
    finally:
        await app.close()


def stored(emulator: DiscordEmulator, message: hikari.Message) -> Message:
    return emulator.messages[int(message.id)]


async def test_an_edit_adds_a_file_and_keeps_the_ones_it_lists(
    emulator: DiscordEmulator, rest: hikari.api.RESTClient
) -> None:
    channel = emulator.text_channel.id
    sent = await rest.create_message(channel, "results", attachment=hikari.Bytes(b"a,b\n", "data.csv"))
    [csv_file] = sent.attachments
    edited = await rest.edit_message(
        channel, sent, "results and chart", attachments=[csv_file, hikari.Bytes(PNG, "chart.png")]
    )
    assert [a.filename for a in edited.attachments] == ["data.csv", "chart.png"]
    assert [a.data for a in stored(emulator, sent).attachments] == [b"a,b\n", PNG]

    replaced = await rest.edit_message(channel, sent, attachment=hikari.Bytes(PNG, "only.png"))
    assert [a.filename for a in replaced.attachments] == ["only.png"]
    text_only = await rest.edit_message(channel, sent, "text edits keep the files")
    assert [a.filename for a in text_only.attachments] == ["only.png"]
    cleared = await rest.edit_message(channel, sent, attachments=None)
    assert cleared.attachments == []


async def test_an_interaction_reply_edit_carries_a_file(
    emulator: DiscordEmulator, rest: hikari.api.RESTClient
) -> None:
    message = Message(new_snowflake(), emulator.text_channel.id, emulator.guild.id, emulator.bot_user, "…")
    interaction = Interaction(
        new_snowflake(), "token-1", 2, emulator.guild.id, emulator.text_channel.id, emulator.owner, {}
    )
    message.interaction_id, interaction.original_message_id = interaction.id, message.id
    emulator.messages[message.id] = message
    emulator.interactions_by_token[interaction.token] = interaction

    edited = await rest.edit_interaction_response(
        emulator.application_id, "token-1", "done", attachment=hikari.Bytes(PNG, "training-results.png")
    )
    assert edited.content == "done" and [a.filename for a in edited.attachments] == ["training-results.png"]
    assert message.attachments[0].data == PNG and message.attachments[0].content_type == "image/png"


async def test_discord_refuses_unknown_ids_too_many_files_and_too_many_bytes(
    emulator: DiscordEmulator, rest: hikari.api.RESTClient
) -> None:
    channel = emulator.text_channel.id
    other = await rest.create_message(channel, "other", attachment=hikari.Bytes(b"x", "x.txt"))
    sent = await rest.create_message(channel, "mine")

    with pytest.raises(hikari.BadRequestError) as unknown:
        await rest.edit_message(channel, sent, "stolen", attachments=[other.attachments[0]])
    assert unknown.value.code == INVALID_FORM_BODY
    assert stored(emulator, sent).content == "mine", "a refused edit changes nothing"

    eleven = [hikari.Bytes(b"x", f"f{n}.txt") for n in range(11)]
    with pytest.raises(hikari.BadRequestError):
        await rest.edit_message(channel, sent, attachments=eleven)
    with pytest.raises(hikari.BadRequestError):
        await rest.create_message(channel, attachments=eleven)

    with pytest.raises(hikari.ClientHTTPResponseError) as too_large:
        await rest.edit_message(channel, sent, attachment=hikari.Bytes(b"x" * (LIMIT + 1), "big.bin"))
    assert too_large.value.status == 413
    assert stored(emulator, sent).attachments == []
