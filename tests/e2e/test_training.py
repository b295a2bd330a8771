"""Training and testing through the emulator: /train with an upload, progress, metrics, /test, /jobs."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import signal
import sys
from pathlib import Path
from typing import Any

from PIL import Image

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.state import Interaction, Member, Message
from trainer_bot.app import TrainerBot

POSITIVE = ["great", "lovely", "wonderful", "friendly", "delicious", "excellent", "perfect", "amazing"]
NEGATIVE = ["awful", "rude", "terrible", "cold", "slow", "dirty", "horrible", "disgusting"]
THINGS = ["service", "food", "staff", "room", "coffee", "music", "waiter", "soup"]


def reviews(count: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        label, words = ("positive", POSITIVE) if n % 2 else ("negative", NEGATIVE)
        rows.append((f"the {rng.choice(THINGS)} was {rng.choice(words)} and {rng.choice(words)}", label))
    return rows


def as_csv(rows: list[tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "label"])
    writer.writerows(rows)
    return buffer.getvalue().encode()


def chart(message: Message, filename: str) -> Image.Image:
    """The PNG attached to `message` as `filename`, decoded."""
    [attachment] = [a for a in message.attachments if a.filename == filename]
    assert attachment.data.startswith(b"\x89PNG\r\n\x1a\n") and attachment.content_type == "image/png"
    image = Image.open(io.BytesIO(attachment.data))
    image.load()
    return image


async def finished(emulator: DiscordEmulator, interaction: Interaction) -> Message:
    reply = await emulator.response(interaction)
    return await emulator.wait_for(
        lambda: reply if ("finished" in reply.content or "failed" in reply.content) else None,
        60,
        "the training job to end",
    )


async def settled(emulator: DiscordEmulator, interaction: Interaction, *, past: str) -> Message:
    """The reply once the bot has edited it beyond its placeholder text."""
    reply = await emulator.response(interaction)
    return await emulator.wait_for(
        lambda: reply if past not in reply.content else None, 10, "the edited reply"
    )


async def train_on_reviews(emulator: DiscordEmulator, member: Member) -> Message:
    upload = Upload("reviews.csv", as_csv(reviews(120)), "text/csv")
    return await finished(emulator, await emulator.slash(member, "train", {"attachment": upload}))


async def test_train_from_an_upload_reports_progress_and_metrics(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    options = emulator.command("train")["options"]
    assert [(o["name"], o["type"], o.get("required", False)) for o in options] == [
        ("data", 3, False),
        ("data_dir", 3, False),
        ("positive", 5, False),
        ("attachment", 11, False),
        ("force", 5, False),
    ]
    assert emulator.command("train")["default_member_permissions"] == "32"

    reply = await train_on_reviews(emulator, alice)
    assert reply.ephemeral
    assert reply.content.startswith("Training job **#1** finished: model `v0001-")
    assert (
        "Held-out accuracy" in reply.content and "macro-F1" in reply.content and "`negative`" in reply.content
    )
    accuracy = float(reply.content.split("Held-out accuracy **")[1].split("%")[0])
    assert accuracy >= 90
    # The job id was shown before it ended, with a progress bar.
    assert any("Training job **#1**" in edit and "▱" in edit for edit in reply.edits)
    # The final edit carries the per-label F1 chart.
    assert [a.filename for a in reply.attachments] == ["training-results.png"]
    assert chart(reply, "training-results.png").size == (1200, 600)

    announcement = await emulator.wait_for(
        lambda: next(
            (m for m in emulator.bot_messages(emulator.text_channel) if "is live" in m.content), None
        ),
        5,
        "the public announcement",
    )
    assert not announcement.ephemeral and f"<@{alice.id}>" in announcement.content


async def test_test_scores_labelled_examples_and_predicts_unlabelled_ones(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    before = await emulator.response(await emulator.slash(bob, "test", {"test_data": '["great food"]'}))
    assert before.ephemeral and "no trained model yet" in before.content

    await train_on_reviews(emulator, alice)
    labelled = [{"text": t, "label": label} for t, label in reviews(10, seed=7)]
    labelled.append({"text": "the soup was lovely", "label": "negative"})  # deliberately mislabelled
    scored = await emulator.response(await emulator.slash(bob, "test", {"test_data": json.dumps(labelled)}))
    assert "Accuracy **" in scored.content and "Confusion matrix" in scored.content
    assert "1 misclassified example was recorded" in scored.content
    assert "❌ (expected `negative`)" in scored.content
    assert [a.filename for a in scored.attachments] == ["test-results.png"]
    chart(scored, "test-results.png")

    plain = await emulator.response(
        await emulator.slash(bob, "test", {"test_data": '["the staff was rude"]'})
    )
    assert "→ `negative`" in plain.content and "Accuracy" not in plain.content
    assert plain.attachments == [], "nothing to chart without labels"


async def test_large_test_sets_come_back_as_a_csv(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    await train_on_reviews(emulator, alice)
    items = [{"text": t, "label": label} for t, label in reviews(60, seed=3)]
    upload = Upload("test.json", json.dumps(items).encode(), "application/json")
    reply = await emulator.response(await emulator.slash(alice, "test", {"file": upload}))
    assert "attached CSV" in reply.content
    assert sorted(a.filename for a in reply.attachments) == ["predictions.csv", "test-results.png"]
    chart(reply, "test-results.png")
    [predictions] = [a for a in reply.attachments if a.filename == "predictions.csv"]
    rows = list(csv.DictReader(io.StringIO(predictions.data.decode())))
    assert len(rows) == 60 and rows[0].keys() == {"text", "predicted", "confidence", "expected", "correct"}


async def test_bad_test_data_is_refused_plainly(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    reply = await emulator.response(await emulator.slash(bob, "test", {"test_data": '["unclosed"'}))
    assert (
        reply.ephemeral and "`test_data` can't be used" in reply.content and "invalid JSON" in reply.content
    )
    mixed = await emulator.response(
        await emulator.slash(bob, "test", {"test_data": '[{"text": "a", "label": "x"}, "b"]'})
    )
    assert "Either every test example has a `label` or none has" in mixed.content


async def test_a_malformed_upload_is_refused_whole_and_nothing_is_stored(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    broken = b"text,label\ngood one,positive\n,negative\nfine,positive\n"
    interaction = await emulator.slash(
        alice, "train", {"attachment": Upload("broken.csv", broken, "text/csv")}
    )
    reply = await settled(emulator, interaction, past="Preparing")
    assert reply.ephemeral and "line 3" in reply.content and "broken.csv" in reply.content
    jobs = await emulator.response(await emulator.slash(alice, "jobs"))
    assert "No training jobs yet" in jobs.content


async def test_single_label_training_fails_clearly_and_keeps_the_previous_model(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    await train_on_reviews(emulator, alice)
    reply = await finished(
        emulator, await emulator.slash(alice, "train", {"data": "only happy words\nmore happy words"})
    )
    # Inline data joins the selected pool, so this run still has both labels and succeeds.
    assert "finished" in reply.content and "`v0002-" in reply.content

    listing = await emulator.response(await emulator.slash(alice, "jobs"))
    assert "**#2** succeeded" in listing.content and "**#1** succeeded" in listing.content
    assert listing.attachments == [], "charts only on request"
    assert [(o["name"], o["type"]) for o in emulator.command("jobs")["options"]] == [
        ("job_id", 4),
        ("chart", 5),
    ]
    charted = await emulator.response(await emulator.slash(alice, "jobs", {"chart": True}))
    assert charted.ephemeral and "**#2** succeeded" in charted.content
    assert chart(charted, "accuracy.png").size == (1200, 600)
    one = await emulator.response(await emulator.slash(alice, "jobs", {"job_id": 1, "chart": True}))
    assert "Training job **#1** finished" in one.content
    chart(one, "training-results.png")
    detail = await emulator.response(await emulator.slash(alice, "jobs", {"job_id": 1}))
    assert "Training job **#1** finished" in detail.content
    unknown = await emulator.response(await emulator.slash(alice, "jobs", {"job_id": 99}))
    assert unknown.ephemeral and "no training job #99" in unknown.content


async def test_training_with_one_label_only_fails_with_a_clear_reason(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    reply = await finished(
        emulator, await emulator.slash(alice, "train", {"data": "nice\nvery nice\nsuper nice"})
    )
    assert "failed" in reply.content and "two labels" in reply.content
    assert "previous model stays active" in reply.content


async def test_members_without_manage_server_cannot_train(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    reply = await emulator.response(await emulator.slash(bob, "train", {"data": "hello"}))
    assert reply.ephemeral and "Manage Server permission" in reply.content


async def test_an_attachment_larger_than_it_claims_is_cut_off_while_downloading(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    body = b"text,label\n" + b"x" * (30 * 1024 * 1024)  # 30 MB, over the 10 MB a member may attach
    liar = Upload("small.csv", body, "text/csv", declared_size=1024)
    reply = await emulator.response(await emulator.slash(alice, "train", {"attachment": liar}), timeout=30)
    assert reply.ephemeral and "larger than the 10.0 MB limit" in reply.content
    [attachment_id] = [a.id for a in emulator.attachments.values() if a.filename == "small.csv"]
    assert emulator.served_bytes[attachment_id] < 20 * 1024 * 1024, "the download was not cut off"


async def test_a_test_set_with_ten_thousand_labels_is_refused_without_stalling_anyone(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, bob: Member
) -> None:
    items = [{"text": f"text {n}", "label": f"label {n}"} for n in range(10_000)]
    upload = Upload("labels.json", json.dumps(items).encode(), "application/json")
    test = await emulator.slash(bob, "test", {"file": upload})
    hi = await emulator.slash(alice, "hi")  # sent while the test set is being read
    assert (await emulator.response(hi)).content == "HI!"
    assert hi.latency is not None and hi.latency < 1.0
    refused = await emulator.response(test, timeout=30)
    assert refused.ephemeral and "10,000 different labels" in refused.content


async def test_a_russian_member_follows_training_in_russian(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member
) -> None:
    alice.locale = "ru"
    upload = Upload("reviews.csv", as_csv(reviews(120)), "text/csv")
    interaction = await emulator.slash(alice, "train", {"attachment": upload})
    reply = await emulator.response(interaction)
    done = await emulator.wait_for(
        lambda: reply if "завершена" in reply.content or "не удалась" in reply.content else None,
        60,
        "the training job to end",
    )
    assert done.content.startswith("Задача обучения **№1** завершена: теперь активна модель `v0001-")
    assert "Точность на отложенных примерах **" in done.content and "(24 отложенных примера)" in done.content
    assert "Held-out" not in done.content and "Trained" not in done.content
    assert any(edit.startswith("Задача обучения **№1**") and "▱" in edit for edit in done.edits)


async def test_train_on_the_task_queue_runs_on_a_worker_process(
    emulator: DiscordEmulator, start_bot: Any, alice: Member, postgres_url: str, data_dir: Path
) -> None:
    """JOB_QUEUE=procrastinate: the bot defers, a `trainer-bot worker` process trains, the reply follows."""
    await start_bot(database_url=postgres_url, job_queue="procrastinate")
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(sys.path),
        "DATABASE_URL": postgres_url,
        "DATA_DIR": str(data_dir),
        "JOB_QUEUE": "procrastinate",
        "LLM": "off",
    }
    worker = await asyncio.create_subprocess_exec(sys.executable, "-m", "trainer_bot", "worker", env=env)
    try:
        reply = await train_on_reviews(emulator, alice)
        assert "finished" in reply.content and "is now active" in reply.content, reply.content
        assert [a.filename for a in reply.attachments] == ["training-results.png"]
        await emulator.wait_for(
            lambda: next(
                (m for m in emulator.bot_messages(emulator.text_channel) if "is live" in m.content), None
            ),
            5,
            "the public announcement",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 30)
    assert worker.returncode == 0
