"""FileService: /files, /archive, /getfile and autocomplete without Discord."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from trainer_bot.i18n import Translations
from trainer_bot.text import human_size
from trainer_bot.workspace import replies
from trainer_bot.workspace.paths import FolderListing, ListedEntry, Workspace, WorkspaceError, Workspaces
from trainer_bot.workspace.service import FileService, FileTooLarge, Quota, QuotaExceeded, Saved

GUILD, USER = 10, 20
QUOTA = 1000
BIG_LIMIT = 10_000


@pytest.fixture
def files(workspaces: Workspaces) -> FileService:
    return FileService(workspaces, quota_bytes=QUOTA)


@pytest.fixture
def workspace(workspaces: Workspaces) -> Workspace:
    return workspaces.for_guild(GUILD)


@pytest.fixture
def reviews(workspace: Workspace) -> None:
    folder = workspace.files_dir / "reviews"
    folder.mkdir()
    (folder / "good.txt").write_text("great food\nlovely staff\n")
    (folder / "bad.csv").write_text("text,label\ncold soup,negative\n")


def reader(data: bytes, calls: list[int] | None = None) -> Callable[[int], Awaitable[bytes]]:
    """An attachment's download, cut off past the limit as the real reader is."""

    async def read(limit: int) -> bytes:
        if calls is not None:
            calls.append(limit)
        if len(data) > limit:
            raise AssertionError(f"read {len(data)} bytes past the {limit} limit")
        return data

    return read


async def upload(files: FileService, folder: str, name: str, data: bytes) -> Saved:
    return await files.upload(
        GUILD, folder, name, declared_size=len(data), size_limit=BIG_LIMIT, read=reader(data)
    )


def everything(workspace: Workspace) -> list[str]:
    return sorted(p.relative_to(workspace.root).as_posix() for p in workspace.root.rglob("*"))


# ---------------------------------------------------------------------- upload


async def test_upload_saves_into_files_and_reports_the_quota(
    files: FileService, workspace: Workspace
) -> None:
    saved = await upload(files, "files", "data.csv", b"text\nhello\n")
    assert (workspace.files_dir / "data.csv").read_bytes() == b"text\nhello\n"
    assert (saved.relative, saved.size, saved.replaced) == ("files/data.csv", 11, False)
    assert saved.quota == Quota(used=11, total=QUOTA, exact=True)
    assert str(replies.saved_text(saved)) == (
        "Saved `files/data.csv` (11 bytes). Quota for `files` and `archives`: 11 bytes of 1000 bytes used."
    )


async def test_upload_creates_its_folder_under_files(files: FileService, workspace: Workspace) -> None:
    saved = await upload(files, " files/new/deeper/ ", "a.txt", b"abc")
    assert saved.relative == "files/new/deeper/a.txt"
    assert (workspace.files_dir / "new" / "deeper" / "a.txt").read_bytes() == b"abc"
    assert not [p for p in workspace.files_dir.rglob(".*")], "no temporary file is left behind"


async def test_upload_replaces_a_file_of_the_same_name(files: FileService, workspace: Workspace) -> None:
    await upload(files, "files", "data.csv", b"x" * 600)
    # 600 + 700 would not fit in 1000, but the 700 replace the 600.
    saved = await upload(files, "files", "data.csv", b"y" * 700)
    assert saved.replaced and saved.quota.used == 700
    assert (workspace.files_dir / "data.csv").read_bytes() == b"y" * 700
    assert "replacing the file that had that name" in str(replies.saved_text(saved))


async def test_upload_over_the_quota_is_refused_before_downloading(
    files: FileService, workspace: Workspace
) -> None:
    (workspace.archives_dir / "old.zip").write_bytes(b"z" * 900)
    calls: list[int] = []
    with pytest.raises(
        QuotaExceeded, match=r"`files/new/big.bin` is 200 bytes, more than the 100 bytes left"
    ):
        await files.upload(
            GUILD, "files/new", "big.bin", declared_size=200, size_limit=BIG_LIMIT, read=reader(b"", calls)
        )
    assert calls == []
    assert everything(workspace) == ["archives", "archives/old.zip", "datasets", "files", "models"]


async def test_upload_reads_no_more_than_the_quota_leaves(files: FileService, workspace: Workspace) -> None:
    (workspace.files_dir / "old.bin").write_bytes(b"o" * 900)
    calls: list[int] = []
    await files.upload(
        GUILD, "files", "small.bin", declared_size=10, size_limit=500, read=reader(b"s", calls)
    )
    assert calls == [100], "the download is cut off where the quota ends, not at Discord's limit"


async def test_upload_over_the_size_limit_is_refused(files: FileService, workspace: Workspace) -> None:
    with pytest.raises(FileTooLarge, match="files of up to 100 bytes can be uploaded here"):
        await files.upload(GUILD, "files", "a.bin", declared_size=101, size_limit=100, read=reader(b""))
    assert not (workspace.files_dir / "a.bin").exists()


async def test_datasets_and_models_do_not_count_against_the_quota(
    files: FileService, workspace: Workspace
) -> None:
    (workspace.datasets_dir / "bot.jsonl").write_bytes(b"d" * 5000)
    (workspace.models_dir / "v1.model").write_bytes(b"m" * 5000)
    saved = await upload(files, "files", "a.txt", b"a" * 900)
    assert saved.quota.used == 900


@pytest.mark.parametrize(
    ("folder", "name", "says"),
    [
        ("../x", "a.txt", "leaves the workspace"),
        ("/etc/x", "a.txt", "absolute path"),
        ("datasets/x", "a.txt", "only be uploaded into `files`"),
        ("models/x", "a.txt", "only be uploaded into `files`"),
        ("archives", "a.txt", "only be uploaded into `files`"),
        (".", "a.txt", "only be uploaded into `files`"),
        ("files", "../a.txt", "folder separator"),
        ("files", "..\\a.txt", "folder separator"),
        ("files", "..", "leaves the workspace"),
        ("files", ".env", "starts with a dot"),
        ("files", ".partial-abc", "starts with a dot"),
        ("files", "evil\u202etxt.exe", "control characters"),
        ("files", "bell\x07.txt", "control characters"),
        ("files", "n" * 300, "too long"),
        ("files", "", "no file name"),
        ("files/data.csv", "a.txt", "is a file; please give a folder"),
        ("files/data.csv/deeper", "a.txt", "part of it is a file"),
        ("files", "folder", "is a folder"),
    ],
)
async def test_upload_refuses_paths_outside_its_rules(
    files: FileService, workspace: Workspace, folder: str, name: str, says: str
) -> None:
    (workspace.files_dir / "data.csv").write_text("text\n")
    (workspace.files_dir / "folder").mkdir()
    before = everything(workspace)
    with pytest.raises(WorkspaceError, match=says):
        await upload(files, folder, name, b"data")
    assert everything(workspace) == before


async def test_upload_refuses_a_folder_that_links_out_of_files(
    files: FileService, workspace: Workspace, tmp_path: Path
) -> None:
    (workspace.files_dir / "to-models").symlink_to(workspace.models_dir)
    (workspace.files_dir / "to-outside").symlink_to(tmp_path)
    with pytest.raises(WorkspaceError, match="only be uploaded into `files`"):
        await upload(files, "files/to-models", "a.txt", b"x")
    with pytest.raises(WorkspaceError, match="outside this server's workspace"):
        await upload(files, "files/to-outside", "a.txt", b"x")
    assert not list(workspace.models_dir.iterdir()) and not (tmp_path / "a.txt").exists()


async def test_upload_over_a_link_replaces_the_link_not_its_target(
    files: FileService, workspace: Workspace
) -> None:
    model = workspace.models_dir / "v1.model"
    model.write_bytes(b"the active model")
    (workspace.files_dir / "model").symlink_to(model)
    saved = await upload(files, "files", "model", b"member data")
    assert saved.replaced and model.read_bytes() == b"the active model"
    assert not (workspace.files_dir / "model").is_symlink()


# ---------------------------------------------------------------------- delete


async def test_delete_a_file(files: FileService, workspace: Workspace) -> None:
    await upload(files, "files", "a.txt", b"a" * 10)
    removed, quota = await files.delete(GUILD, "files/a.txt")
    assert (removed.relative, removed.folder, removed.files, removed.size) == ("files/a.txt", False, 1, 10)
    assert quota.used == 0 and not (workspace.files_dir / "a.txt").exists()
    assert str(replies.removed_text(removed, quota)).startswith(
        "Deleted the file `files/a.txt`: 1 file, 10 bytes."
    )


@pytest.mark.usefixtures("reviews")
async def test_delete_a_folder_with_everything_in_it(files: FileService, workspace: Workspace) -> None:
    result = await files.archive(GUILD, "files/reviews")
    (workspace.files_dir / "reviews" / "deeper").mkdir()
    (workspace.files_dir / "reviews" / "deeper" / "x.txt").write_text("xyz")
    removed, _ = await files.delete(GUILD, "files/reviews")
    assert (removed.folder, removed.files, removed.size) == (True, 3, 24 + 30 + 3)
    assert not (workspace.files_dir / "reviews").exists() and workspace.files_dir.is_dir()
    await files.delete(GUILD, result.relative)
    assert list(workspace.archives_dir.iterdir()) == []


async def test_delete_removes_a_link_and_never_what_it_points_to(
    files: FileService, workspace: Workspace
) -> None:
    model = workspace.models_dir / "v1.model"
    model.write_bytes(b"the active model")
    (workspace.files_dir / "models-link").symlink_to(workspace.models_dir)
    (workspace.files_dir / "model-link").symlink_to(model)
    await files.delete(GUILD, "files/models-link")
    await files.delete(GUILD, "files/model-link")
    assert model.read_bytes() == b"the active model"
    with pytest.raises(WorkspaceError):
        await files.delete(GUILD, "files/models-link/v1.model")


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("files", "own folders, which always stay"),
        ("archives/", "own folders, which always stay"),
        ("./datasets", "own folders, which always stay"),
        ("models", "own folders, which always stay"),
        (".", "workspace itself"),
        ("datasets/bot.jsonl", "Only what is in `files` or `archives` can be deleted"),
        ("models/v1.model", "Only what is in `files` or `archives` can be deleted"),
        ("files/to-models/v1.model", "Only what is in `files` or `archives` can be deleted"),
        ("../other/files/a.txt", "leaves the workspace"),
        ("/etc/passwd", "absolute path"),
        ("files/missing.txt", "doesn't exist"),
        ("files/data.csv/x", "doesn't exist"),
    ],
)
async def test_delete_refuses_what_is_not_members(
    files: FileService, workspace: Workspace, path: str, says: str
) -> None:
    (workspace.datasets_dir / "bot.jsonl").write_text("{}\n")
    (workspace.models_dir / "v1.model").write_bytes(b"model")
    (workspace.files_dir / "to-models").symlink_to(workspace.models_dir)
    (workspace.files_dir / "data.csv").write_text("text\n")
    before = everything(workspace)
    with pytest.raises(WorkspaceError, match=says):
        await files.delete(GUILD, path)
    assert everything(workspace) == before


# ---------------------------------------------------------------------- list


@pytest.mark.usefixtures("reviews")
async def test_list_shows_folders_first_with_sizes(files: FileService, workspace: Workspace) -> None:
    (workspace.files_dir / "a.txt").write_text("aaa")
    (workspace.files_dir / ".hidden").write_text("secret")
    listing, quota = await files.listing(GUILD, "files")
    assert [(e.name, e.folder, e.size) for e in listing.entries] == [
        ("reviews", True, 54),
        ("a.txt", False, 3),
    ]
    text = replies.listing_text(listing, quota)
    assert text == (
        "`files/`:\n- `reviews/` 54 bytes\n- `a.txt` 3 bytes\n"
        "Quota for `files` and `archives`: 63 bytes of 1000 bytes used."
    )


async def test_list_of_an_empty_or_missing_folder(files: FileService, workspace: Workspace) -> None:
    (workspace.files_dir / "empty").mkdir()
    listing, quota = await files.listing(GUILD, "files/empty")
    assert replies.listing_text(listing, quota).startswith("`files/empty/` is empty.")
    with pytest.raises(WorkspaceError, match="doesn't exist"):
        await files.listing(GUILD, "files/missing")


async def test_list_is_bounded(files: FileService, workspace: Workspace) -> None:
    for n in range(120):
        (workspace.files_dir / f"{n:03d}-{'n' * 150}.txt").write_text("x")
    listing, quota = await files.listing(GUILD, "files")
    assert len(listing.entries) == 50 and listing.total == 120 and listing.counted_all
    text = replies.listing_text(listing, quota)
    assert len(text) <= 2000
    shown = text.count("\n- ")
    assert 0 < shown < 50 and f"…and {120 - shown} more." in text


def test_list_text_says_when_a_folder_was_not_read_to_the_end() -> None:
    listing = FolderListing(
        "files", (ListedEntry("big", True, 10, size_complete=False),), 1, counted_all=False
    )
    text = replies.listing_text(listing, Quota(5, 100, exact=False))
    assert "- `big/` more than 10 bytes" in text and "…and at least 0 more." in text
    assert "more than 5 bytes of 100 bytes used" in text


# ---------------------------------------------------------------------- quota


async def test_a_workspace_too_full_of_entries_to_measure_takes_nothing_more(
    files: FileService, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trainer_bot.workspace.service.MEASURE_BUDGET", 5)
    for n in range(6):
        (workspace.files_dir / f"{n}.txt").write_text("x")
    with pytest.raises(QuotaExceeded, match="more than 5 files and folders"):
        await upload(files, "files", "a.txt", b"a")
    with pytest.raises(QuotaExceeded, match="more than 5 files and folders"):
        await files.archive(GUILD, "files")
    _, quota = await files.listing(GUILD, "files")
    assert not quota.exact


@pytest.mark.usefixtures("reviews")
async def test_an_archive_over_the_quota_is_not_kept(workspaces: Workspaces, workspace: Workspace) -> None:
    (workspace.files_dir / "reviews" / "noise.bin").write_bytes(os.urandom(600))
    files = FileService(workspaces, quota_bytes=1000)
    with pytest.raises(QuotaExceeded, match="archive would be larger than the 346 bytes left"):
        await files.archive(GUILD, "files/reviews")
    assert list(workspace.archives_dir.iterdir()) == []


async def test_a_full_workspace_archives_nothing(files: FileService, workspace: Workspace) -> None:
    (workspace.files_dir / "full.bin").write_bytes(b"f" * QUOTA)
    with pytest.raises(QuotaExceeded, match="1000 bytes of 1000 bytes"):
        await files.archive(GUILD, "files")
    assert list(workspace.archives_dir.iterdir()) == []


# ---------------------------------------------------------------------- archive, download, autocomplete


@pytest.mark.usefixtures("reviews")
async def test_archive_zips_a_folder_into_archives(files: FileService) -> None:
    result = await files.archive(GUILD, "files/reviews")
    assert result.relative.startswith("archives/reviews-") and result.files == 2
    with zipfile.ZipFile(result.path) as archive:
        assert sorted(archive.namelist()) == ["reviews/bad.csv", "reviews/good.txt"]


@pytest.mark.usefixtures("reviews")
async def test_downloads_are_refused_over_the_size_discord_accepts(files: FileService) -> None:
    path = await files.file_for_download(GUILD, "files/reviews/good.txt", size_limit=1024)
    assert path.read_text().startswith("great food")
    with pytest.raises(FileTooLarge, match=r"is 24 bytes; Discord accepts at most 10 bytes"):
        await files.file_for_download(GUILD, "files/reviews/good.txt", size_limit=10)
    with pytest.raises(WorkspaceError):
        await files.file_for_download(GUILD, "../../etc/passwd", size_limit=1024)


@pytest.mark.usefixtures("reviews")
def test_autocomplete_suggests_workspace_paths(files: FileService) -> None:
    assert files.complete(GUILD, "files/re", "dir") == ["files/reviews"]
    assert files.complete(GUILD, "files/reviews/", "file") == [
        "files/reviews/bad.csv",
        "files/reviews/good.txt",
    ]


def test_half_written_files_a_crash_left_are_removed(workspaces: Workspaces) -> None:
    folder = workspaces.for_guild(GUILD).files_dir
    (folder / ".partial-abc123.zip").write_bytes(b"half a zip")
    (folder / "kept.txt").write_text("a member's file")
    assert workspaces.remove_leftovers() == 1
    assert [path.name for path in folder.iterdir()] == ["kept.txt"]


def test_half_written_files_of_a_guild_another_process_holds_are_left_to_it(workspaces: Workspaces) -> None:
    folder = workspaces.for_guild(GUILD).files_dir
    (folder / ".partial-abc123.zip").write_bytes(b"an upload another process is writing")
    assert workspaces.remove_leftovers(held=lambda guild_id: guild_id != GUILD) == 0
    assert [path.name for path in folder.iterdir()] == [".partial-abc123.zip"]


async def test_refusals_and_replies_read_in_russian(files: FileService) -> None:
    russian = Translations.load().get("ru")
    with pytest.raises(QuotaExceeded) as refused:
        await upload(files, "files", "big.bin", b"x" * (QUOTA + 1))
    assert russian.render(refused.value.message).startswith("`files/big.bin` весит 1001 байт")
    assert russian.render(human_size(25 * 1024**2)) == "25,0 МБ"
    saved = await upload(files, "files", "a.txt", b"abc")
    assert russian.render(replies.saved_text(saved)) == (
        "Сохранено: `files/a.txt` (3 байта). Квота для `files` и `archives`: занято 3 байта из 1000 байт."
    )
