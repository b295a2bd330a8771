"""A Russian-speaking server end to end: every text its members read or hear is Russian.

Members' clients are in Russian (their interactions carry `locale = "ru"`) and the server chose Russian
with `/settings language`, so its channels are spoken to in Russian too, whatever its Community locale.
"""

from __future__ import annotations

import json
import re

import pytest

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import Interaction, Member, Message
from speech_support.clips import SHORT_TEXT, cached_voice_message
from trainer_bot.app import TrainerBot
from trainer_bot.speech.tts_espeak import EspeakEngine

from .conftest import answer_to
from .russian import assert_russian
from .test_training import as_csv, reviews

LABELS = ("positive", "negative")
PAIRS = """prompt,response
какая столица франции,Столица Франции — Париж.
сколько ног у паука,У паука восемь ног.
""".encode()
FINISHED = ("завершена", "не удалась")
PREPARING = "Готовлю данные для обучения…"


async def speak_russian(emulator: DiscordEmulator, *members: Member) -> None:
    """Members with Russian clients, in a server that chose Russian for its channels."""
    for member in members:
        member.locale = "ru"
    chosen = await emulator.response(
        await emulator.slash(members[0], "settings language", {"language": "ru"})
    )
    assert_russian(chosen.content)


async def training_ended(emulator: DiscordEmulator, interaction: Interaction) -> Message:
    reply = await emulator.response(interaction)
    return await emulator.wait_for(
        lambda: reply if any(word in reply.content for word in FINISHED) else None, 60, "the training job"
    )


async def refused(emulator: DiscordEmulator, interaction: Interaction) -> Message:
    """A /train reply once the bot has edited its "preparing" placeholder into the refusal."""
    reply = await emulator.response(interaction)
    return await emulator.wait_for(lambda: reply if reply.content != PREPARING else None, 10, "the refusal")


async def announcement(emulator: DiscordEmulator, version: str) -> Message:
    return await emulator.wait_for(
        lambda: next((m for m in emulator.bot_messages(emulator.text_channel) if version in m.content), None),
        5,
        "the channel's announcement",
    )


async def test_training_testing_and_jobs_read_in_russian(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    await speak_russian(emulator, alice, bob)

    nothing = await refused(emulator, await emulator.slash(alice, "train"))
    assert nothing.ephemeral
    assert_russian(nothing.content)

    upload = Upload("reviews.csv", as_csv(reviews(60)), "text/csv")
    done = await training_ended(emulator, await emulator.slash(alice, "train", {"attachment": upload}))
    assert done.content.startswith("Задача обучения **№"), done.content
    job_id = int(re.findall(r"№(\d+)", done.content)[0])
    assert done.edits, "no progress was shown"
    for text in [*done.edits, done.content]:
        assert_russian(text, allowed=LABELS)
    version = done.content.split("`")[1]
    assert_russian((await announcement(emulator, version)).content)

    labelled = [{"text": text, "label": label} for text, label in reviews(8, seed=7)]
    labelled.append({"text": "the soup was lovely", "label": "negative"})  # one wrong on purpose
    tested = await emulator.response(await emulator.slash(bob, "test", {"test_data": json.dumps(labelled)}))
    assert "Матрица ошибок" in tested.content
    assert_russian(tested.content, allowed=LABELS)

    for options in ({}, {"chart": True}, {"job_id": job_id}, {"job_id": 99}):
        jobs = await emulator.response(await emulator.slash(alice, "jobs", options))
        assert_russian(jobs.content, allowed=LABELS)

    # /train allows three runs a minute: the fourth is refused until the window moves on.
    third = await training_ended(emulator, await emulator.slash(alice, "train", {"data": "прекрасно"}))
    assert_russian(third.content, allowed=LABELS)
    slow = await refused(emulator, await emulator.slash(alice, "train", {"data": "ещё"}))
    assert slow.ephemeral and "/обучить" in slow.content
    assert_russian(slow.content)


async def test_chat_corrections_files_and_voice_refusals_read_in_russian(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    await speak_russian(emulator, alice, bob)
    taught = await training_ended(
        emulator, await emulator.slash(alice, "train", {"attachment": Upload("qa.csv", PAIRS, "text/csv")})
    )
    assert_russian(taught.content)

    question = await emulator.send_message(bob, "Какая столица Франции?", mention_bot=True)
    answer = await answer_to(emulator, question)
    assert answer.content == "Столица Франции — Париж."
    unknown = await answer_to(emulator, await emulator.send_message(bob, "кто ты?", mention_bot=True))
    assert_russian(unknown.content)

    menu = await emulator.message_command(bob, "Correct this reply", answer)
    await emulator.wait_for(lambda: menu.callback_type == 9, 5, "the modal")
    modal = menu.callback_data
    [field] = [component for row in modal["components"] for component in row["components"]]
    assert_russian(modal["title"])
    assert_russian(field["label"])
    saved = await emulator.response(
        await emulator.submit_modal(bob, menu, {field["custom_id"]: "Париж, город на Сене."})
    )
    assert saved.ephemeral
    assert_russian(saved.content)
    thanks = await emulator.response(await emulator.click(bob, answer, "rate:down"))
    assert_russian(thanks.content)

    stored = await emulator.response(
        await emulator.slash(
            alice, "files upload", {"attachment": Upload("notes.txt", b"hello", "text/plain")}
        )
    )
    assert "5 байт" in stored.content
    assert_russian(stored.content)
    listing = await emulator.response(await emulator.slash(alice, "files list"))
    assert_russian(listing.content)
    outside = await emulator.response(
        await emulator.slash(
            alice,
            "files upload",
            {"attachment": Upload("notes.txt", b"x", "text/plain"), "folder": "../../etc"},
        )
    )
    assert outside.ephemeral
    assert_russian(outside.content)

    not_in_voice = await emulator.response(await emulator.slash(bob, "join"))
    assert not_in_voice.ephemeral
    assert_russian(not_in_voice.content)


@pytest.fixture
def espeak_voices(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The espeak-ng voice of every answer spoken (the fake Lavalink node only sees the audio)."""
    voices: list[str] = []
    run = EspeakEngine._run

    async def recording(engine: EspeakEngine, espeak_voice: str, text: str) -> bytes:
        voices.append(espeak_voice)
        return await run(engine, espeak_voice, text)

    monkeypatch.setattr(EspeakEngine, "_run", recording)
    return voices


async def test_a_voice_message_is_framed_and_answered_aloud_in_russian(
    emulator: DiscordEmulator,
    bot: TrainerBot,
    alice: Member,
    bob: Member,
    lavalink_node: FakeLavalinkNode,
    espeak_voices: list[str],
) -> None:
    await speak_russian(emulator, alice, bob)
    assert_russian((await emulator.response(await emulator.slash(alice, "chat enable"))).content)
    await emulator.move_member(bob, emulator.voice_channel)
    joined = await emulator.response(await emulator.slash(bob, "join"))
    assert_russian(joined.content)

    recording = Upload("voice-message.ogg", cached_voice_message(SHORT_TEXT), "audio/ogg", duration_secs=5.0)
    voice = await emulator.send_message(bob, attachments=[recording], voice=True)
    answer = await answer_to(emulator, voice, timeout=60)
    heard, reply = answer.content.split("\n\n", 1)
    assert heard.startswith("🎙️ Я услышал: «")
    # The speech was English (the test's model hears English only): its words are the member's own.
    assert_russian(heard, allowed=[heard.split("«", 1)[1]])
    assert_russian(reply)

    guild = emulator.guild.id
    await lavalink_node.until(
        lambda: any(play.reason == "finished" for play in lavalink_node.plays(guild)), 20, "the spoken answer"
    )
    assert espeak_voices == ["ru"], "the Russian answer was not read by a Russian voice"
