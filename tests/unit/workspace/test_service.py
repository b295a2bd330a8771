"""FileService: /archive, /getfile and autocomplete without Discord."""

from __future__ import annotations

import zipfile

import pytest

from trainer_bot.workspace.paths import WorkspaceError, Workspaces
from trainer_bot.workspace.service import FileService, FileTooLarge

GUILD, USER = 10, 20


@pytest.fixture
def files(workspaces: Workspaces) -> FileService:
    return FileService(workspaces)


@pytest.fixture
def reviews(workspaces: Workspaces) -> None:
    folder = workspaces.for_guild(GUILD).files_dir / "reviews"
    folder.mkdir()
    (folder / "good.txt").write_text("great food\nlovely staff\n")
    (folder / "bad.csv").write_text("text,label\ncold soup,negative\n")


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
