"""The workspace commands through the emulator: /getfile, /archive, /select_dataset and autocomplete."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from trainer_bot.app import TrainerBot


@pytest.fixture
def workspace(data_dir: Path, emulator: DiscordEmulator) -> Path:
    root = data_dir / "guilds" / str(emulator.guild.id)
    (root / "files" / "reviews").mkdir(parents=True)
    (root / "files" / "reviews" / "good.txt").write_text("great service\nlovely staff\n", "utf-8")
    (root / "files" / "reviews" / "bad.csv").write_text("text,label\nawful food,negative\n", "utf-8")
    (root / "files" / "notes.txt").write_text("hello", "utf-8")
    return root


async def test_file_commands_need_manage_server(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member
) -> None:
    for name in ("getfile", "archive", "select_dataset"):
        assert emulator.command(name)["default_member_permissions"] == "32"
    reply = await emulator.response(await emulator.slash(bob, "getfile", {"file_path": "files/notes.txt"}))
    assert reply.ephemeral and "Manage Server permission" in reply.content and not reply.attachments


async def test_getfile_sends_a_workspace_file(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    reply = await emulator.response(await emulator.slash(alice, "getfile", {"file_path": "files/notes.txt"}))
    assert reply.ephemeral
    assert [(a.filename, a.data) for a in reply.attachments] == [("notes.txt", b"hello")]


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("../../../etc/passwd", "leaves the workspace"),
        ("/etc/passwd", "absolute"),
        ("files/secret-link", "outside"),
        ("files/missing.txt", "doesn't exist"),
        ("files/reviews", "is a folder"),
    ],
)
async def test_getfile_refuses_paths_it_must_not_serve(
    emulator: DiscordEmulator,
    bot: TrainerBot,
    alice: Member,
    workspace: Path,
    tmp_path: Path,
    path: str,
    says: str,
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("operator's secret", "utf-8")
    (workspace / "files" / "secret-link").symlink_to(secret)
    reply = await emulator.response(await emulator.slash(alice, "getfile", {"file_path": path}))
    assert reply.ephemeral and not reply.attachments
    assert says in reply.content.lower(), reply.content


async def test_getfile_explains_the_attachment_size_limit(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    (workspace / "files" / "big.bin").write_bytes(b"x" * 5000)
    emulator.attachment_size_limit = 4096
    reply = await emulator.response(await emulator.slash(alice, "getfile", {"file_path": "files/big.bin"}))
    assert reply.ephemeral and not reply.attachments
    assert "4.0 KB" in reply.content and "/archive" in reply.content


async def test_autocomplete_lists_workspace_entries(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    files = await emulator.autocomplete(alice, "getfile", {"file_path": "files/"}, focused="file_path")
    assert {c["value"] for c in files} == {
        "files/notes.txt",
        "files/reviews/good.txt",
        "files/reviews/bad.csv",
    }
    dirs = await emulator.autocomplete(alice, "archive", {"directory": "fi"}, focused="directory")
    assert [c["value"] for c in dirs] == ["files", "files/reviews"]
    hostile = await emulator.autocomplete(alice, "getfile", {"file_path": "../"}, focused="file_path")
    assert hostile == []


async def test_archive_zips_a_directory_into_archives(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    reply = await emulator.response(await emulator.slash(alice, "archive", {"directory": "files/reviews"}))
    assert reply.ephemeral and reply.content.startswith("Archived 2 files into `archives/reviews-")
    relative = reply.content.split("`")[1]
    with zipfile.ZipFile(workspace / relative) as archive:
        assert sorted(archive.namelist()) == ["reviews/bad.csv", "reviews/good.txt"]

    fetched = await emulator.response(await emulator.slash(alice, "getfile", {"file_path": relative}))
    assert zipfile.ZipFile(io.BytesIO(fetched.attachments[0].data)).testzip() is None


async def test_select_dataset_validates_snapshots_and_selects(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    reply = await emulator.response(
        await emulator.slash(alice, "select_dataset", {"path": "files/reviews", "positive": True})
    )
    assert reply.ephemeral
    assert "3 examples" in reply.content and "positive: 2" in reply.content and "negative: 1" in reply.content
    snapshot = reply.content.split("Snapshot: `")[1].split("`")[0]
    assert (workspace / snapshot).is_file()
    assert list((workspace / "datasets").glob("files-reviews-*.jsonl"))


async def test_select_dataset_refuses_a_broken_file_and_stores_nothing(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    (workspace / "files" / "reviews" / "broken.json").write_text('[{"text": "ok"}, {"txt": "typo"}', "utf-8")
    reply = await emulator.response(await emulator.slash(alice, "select_dataset", {"path": "files/reviews"}))
    assert reply.ephemeral and "broken.json" in reply.content
    assert not list((workspace / "datasets").glob("*.jsonl"))
    assert not list((workspace / "archives").glob("*.zip"))
