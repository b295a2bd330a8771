"""FileService: /archive, /getfile and /select_dataset without Discord."""

from __future__ import annotations

import zipfile

import pytest

from trainer_bot.storage import Database, DatasetRepository
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.parsing import DatasetError, DatasetLimits
from trainer_bot.workspace.paths import WorkspaceError, Workspaces
from trainer_bot.workspace.service import FileService, FileTooLarge

GUILD, USER = 10, 20


@pytest.fixture
def files(database: Database, workspaces: Workspaces) -> FileService:
    catalog = DatasetCatalog(DatasetRepository(database), workspaces, DatasetLimits())
    return FileService(workspaces, catalog)


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
async def test_select_dataset_keeps_a_snapshot_and_selects_the_data(files: FileService) -> None:
    selected = await files.select_dataset(GUILD, USER, "files/reviews", positive=True)
    assert selected.dataset.selected and selected.dataset.name == "files/reviews"
    assert selected.dataset.label_counts == {"positive": 2, "negative": 1}
    assert selected.snapshot.path.is_file()


async def test_a_folder_with_a_bad_file_is_not_selected(files: FileService, workspaces: Workspaces) -> None:
    folder = workspaces.for_guild(GUILD).files_dir / "broken"
    folder.mkdir()
    (folder / "data.json").write_text("[1, 2")
    with pytest.raises(DatasetError):
        await files.select_dataset(GUILD, USER, "files/broken", positive=True)


@pytest.mark.usefixtures("reviews")
def test_autocomplete_suggests_workspace_paths(files: FileService) -> None:
    assert files.complete(GUILD, "files/re", "dir") == ["files/reviews"]
    assert files.complete(GUILD, "files/reviews/", "file") == [
        "files/reviews/bad.csv",
        "files/reviews/good.txt",
    ]
