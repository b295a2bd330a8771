"""The workspace commands through the emulator: /files, /getfile, /archive, /select_dataset, autocomplete."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.state import Member, Message
from trainer_bot.app import TrainerBot

from .conftest import BotFactory

REVIEWS_CSV = b"text,label\nawful food,negative\ncold soup,negative\n"


@pytest.fixture
def workspace(data_dir: Path, emulator: DiscordEmulator) -> Path:
    root = data_dir / "guilds" / str(emulator.guild.id)
    (root / "files" / "reviews").mkdir(parents=True)
    (root / "files" / "reviews" / "good.txt").write_text("great service\nlovely staff\n", "utf-8")
    (root / "files" / "reviews" / "bad.csv").write_text("text,label\nawful food,negative\n", "utf-8")
    (root / "files" / "notes.txt").write_text("hello", "utf-8")
    return root


def workspace_files(root: Path) -> list[str]:
    """Everything in a workspace but its four folders (the bot creates those on a guild's first command)."""
    return sorted(p.relative_to(root).as_posix() for p in root.glob("*/**/*"))


async def upload(
    emulator: DiscordEmulator, member: Member, filename: str, data: bytes, folder: str | None = None
) -> Message:
    options: dict[str, object] = {"attachment": Upload(filename, data, "text/plain")}
    if folder is not None:
        options["folder"] = folder
    return await emulator.response(await emulator.slash(member, "files upload", options))


async def test_file_commands_need_manage_server(
    emulator: DiscordEmulator, bot: TrainerBot, bob: Member, workspace: Path
) -> None:
    for name in ("getfile", "archive", "select_dataset", "files"):
        assert emulator.command(name)["default_member_permissions"] == "32"
    reply = await emulator.response(await emulator.slash(bob, "getfile", {"file_path": "files/notes.txt"}))
    assert reply.ephemeral and "Manage Server permission" in reply.content and not reply.attachments

    before = workspace_files(workspace)
    for command, options in [
        ("files upload", {"attachment": Upload("mine.txt", b"bob's", "text/plain")}),
        ("files list", {}),
        ("files delete", {"path": "files/notes.txt"}),
    ]:
        reply = await emulator.response(await emulator.slash(bob, command, options))
        assert reply.ephemeral and f"permission to use /{command}" in reply.content, reply.content
    assert workspace_files(workspace) == before


async def test_files_commands_schema(emulator: DiscordEmulator, bot: TrainerBot) -> None:
    subcommands = {o["name"]: o for o in emulator.command("files")["options"]}
    assert sorted(subcommands) == ["delete", "list", "upload"]
    shape = {
        name: [
            (o["name"], o["type"], o.get("required", False), o.get("autocomplete", False))
            for o in sub["options"]
        ]
        for name, sub in subcommands.items()
    }
    assert shape == {
        "upload": [("attachment", 11, True, False), ("folder", 3, False, True)],
        "list": [("folder", 3, False, True)],
        "delete": [("path", 3, True, True)],
    }


async def test_an_uploaded_folder_can_be_selected_for_training(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, data_dir: Path
) -> None:
    saved = await upload(emulator, alice, "reviews.csv", REVIEWS_CSV, folder="files/uploaded")
    assert saved.ephemeral
    assert saved.content.startswith("Saved `files/uploaded/reviews.csv` (50 bytes).")
    assert "50 bytes of 200.0 MB used" in saved.content
    await upload(emulator, alice, "more.txt", b"great staff\n", folder="files/uploaded")
    root = data_dir / "guilds" / str(emulator.guild.id)
    assert (root / "files" / "uploaded" / "reviews.csv").read_bytes() == REVIEWS_CSV

    selected = await emulator.response(
        await emulator.slash(alice, "select_dataset", {"path": "files/uploaded", "positive": True})
    )
    assert "3 examples" in selected.content and "negative: 2" in selected.content, selected.content

    replaced = await upload(
        emulator, alice, "more.txt", b"lovely room\nfriendly waiter\n", folder="files/uploaded"
    )
    assert "replacing the file that had that name" in replaced.content
    assert (root / "files" / "uploaded" / "more.txt").read_bytes() == b"lovely room\nfriendly waiter\n"


async def test_upload_goes_into_files_by_default_and_the_folder_autocompletes(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    saved = await upload(emulator, alice, "plain.txt", b"hello")
    assert saved.content.startswith("Saved `files/plain.txt` (5 bytes).")
    assert (workspace / "files" / "plain.txt").read_bytes() == b"hello"
    choices = await emulator.autocomplete(alice, "files upload", {"folder": "files/r"}, focused="folder")
    assert [c["value"] for c in choices] == ["files/reviews"]
    paths = await emulator.autocomplete(alice, "files delete", {"path": "files/p"}, focused="path")
    assert [c["value"] for c in paths] == ["files/plain.txt"]


async def test_list_shows_a_folder_and_the_quota(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    reply = await emulator.response(await emulator.slash(alice, "files list", {}))
    assert reply.ephemeral
    assert reply.content == (
        "`files/`:\n- `reviews/` 58 bytes\n- `notes.txt` 5 bytes\n"
        "Quota for `files` and `archives`: 63 bytes of 200.0 MB used."
    )
    (workspace / "files" / "empty").mkdir()
    empty = await emulator.response(await emulator.slash(alice, "files list", {"folder": "files/empty"}))
    assert empty.content.startswith("`files/empty/` is empty.")
    missing = await emulator.response(await emulator.slash(alice, "files list", {"folder": "files/nope"}))
    assert missing.ephemeral and "`files/nope` doesn't exist" in missing.content


async def test_delete_removes_files_and_folders_but_not_the_bots(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path
) -> None:
    reply = await emulator.response(await emulator.slash(alice, "files delete", {"path": "files/reviews"}))
    assert reply.ephemeral and reply.content.startswith(
        "Deleted the folder `files/reviews`: 2 files, 58 bytes."
    )
    assert not (workspace / "files" / "reviews").exists()
    (workspace / "models" / "v0001.model").write_bytes(b"the active model")
    for path, says in [
        ("models/v0001.model", "Only what is in `files` or `archives` can be deleted"),
        ("files", "own folders, which always stay"),
        ("../../", "leaves the workspace"),
    ]:
        refused = await emulator.response(await emulator.slash(alice, "files delete", {"path": path}))
        assert refused.ephemeral and says in refused.content, refused.content
    assert (workspace / "models" / "v0001.model").is_file() and (workspace / "files").is_dir()


async def test_an_upload_over_the_quota_is_refused_and_nothing_is_written(
    emulator: DiscordEmulator, start_bot: BotFactory, alice: Member, workspace: Path
) -> None:
    await start_bot(workspace_max_mb=0.001)  # 1048 bytes; the workspace already holds 63
    before = workspace_files(workspace)
    reply = await upload(emulator, alice, "big.csv", b"x" * 1500, folder="files/new")
    assert reply.ephemeral and "`files/new/big.csv` is 1.5 KB, more than the 985 bytes left" in reply.content
    assert "nothing was saved" in reply.content and "/files delete" in reply.content
    assert workspace_files(workspace) == before
    [attachment_id] = [a.id for a in emulator.attachments.values() if a.filename == "big.csv"]
    assert emulator.served_bytes.get(attachment_id, 0) == 0, "a refused upload is not even downloaded"


@pytest.mark.parametrize(
    ("filename", "says"),
    [
        ("invoice\u202etxt.exe", "control characters"),
        ("..", "leaves the workspace"),
        (".env", "starts with a dot"),
    ],
)
async def test_a_hostile_file_name_is_refused(
    emulator: DiscordEmulator, bot: TrainerBot, alice: Member, workspace: Path, filename: str, says: str
) -> None:
    before = workspace_files(workspace)
    reply = await upload(emulator, alice, filename, b"payload")
    assert reply.ephemeral and says in reply.content, reply.content
    assert workspace_files(workspace) == before


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
