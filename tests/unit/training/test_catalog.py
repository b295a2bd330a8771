"""DatasetCatalog: canonical copies in the workspace, one row each, read back unchanged."""

from __future__ import annotations

import pytest

from trainer_bot.ml.examples import Example, Pair
from trainer_bot.storage import Database, DatasetRepository, DatasetSource
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.parsing import DatasetError, DatasetLimits, ParsedDataset
from trainer_bot.workspace.paths import WorkspaceError, Workspaces

GUILD, USER = 10, 20
PARSED = ParsedDataset(
    examples=[Example("great food", "positive"), Example("cold soup", "negative")],
    pairs=[Pair("when do you open", "At nine.")],
)


@pytest.fixture
def catalog(database: Database, workspaces: Workspaces) -> DatasetCatalog:
    return DatasetCatalog(DatasetRepository(database), workspaces, DatasetLimits())


async def register(catalog: DatasetCatalog, *, selected: bool = True) -> int:
    dataset = await catalog.register(
        GUILD,
        USER,
        PARSED,
        name="reviews.csv",
        source=DatasetSource.UPLOAD,
        default_label=None,
        selected=selected,
    )
    return dataset.id


async def test_a_registered_dataset_is_a_file_in_the_workspace_that_reads_back_the_same(
    catalog: DatasetCatalog, workspaces: Workspaces
) -> None:
    await register(catalog)
    [dataset] = await catalog.selected(GUILD)
    assert dataset.path.startswith("datasets/") and dataset.path.endswith(".jsonl")
    assert (workspaces.for_guild(GUILD).root / dataset.path).is_file()
    assert (dataset.examples, dataset.pairs, dataset.label_counts) == (2, 1, {"negative": 1, "positive": 1})
    loaded = await catalog.load(GUILD, [dataset])
    assert (loaded.examples, loaded.pairs) == (PARSED.examples, PARSED.pairs)


async def test_the_same_content_is_kept_once_and_selected_again(catalog: DatasetCatalog) -> None:
    first = await register(catalog, selected=False)
    assert await catalog.selected(GUILD) == []
    again = await register(catalog, selected=True)
    assert again == first
    assert [dataset.id for dataset in await catalog.selected(GUILD)] == [first]


async def test_content_already_in_hand_is_not_read_back(
    catalog: DatasetCatalog, workspaces: Workspaces
) -> None:
    await register(catalog)
    [dataset] = await catalog.selected(GUILD)
    (workspaces.for_guild(GUILD).root / dataset.path).unlink()
    loaded = await catalog.load(GUILD, [dataset], already_parsed={dataset.id: PARSED})
    assert loaded.examples == PARSED.examples


async def test_workspace_folders_outside_the_workspace_are_refused(catalog: DatasetCatalog) -> None:
    with pytest.raises(WorkspaceError, match="leaves the workspace"):
        await catalog.parse_workspace_directory(GUILD, "../other-guild", default_label="positive")


async def test_a_selected_folder_keeps_a_snapshot_and_joins_the_pool(
    catalog: DatasetCatalog, workspaces: Workspaces
) -> None:
    folder = workspaces.for_guild(GUILD).files_dir / "reviews"
    folder.mkdir()
    (folder / "good.txt").write_text("great food\nlovely staff\n")
    (folder / "bad.csv").write_text("text,label\ncold soup,negative\n")
    selected = await catalog.select_directory(GUILD, USER, "files/reviews", positive=True)
    assert selected.dataset.selected and selected.dataset.name == "files/reviews"
    assert selected.dataset.label_counts == {"positive": 2, "negative": 1}
    assert selected.snapshot.relative.startswith("archives/reviews-") and selected.snapshot.path.is_file()
    assert [dataset.id for dataset in await catalog.selected(GUILD)] == [selected.dataset.id]


async def test_a_folder_with_a_bad_file_is_not_selected(
    catalog: DatasetCatalog, workspaces: Workspaces
) -> None:
    folder = workspaces.for_guild(GUILD).files_dir / "broken"
    folder.mkdir()
    (folder / "data.json").write_text("[1, 2")
    with pytest.raises(DatasetError):
        await catalog.select_directory(GUILD, USER, "files/broken", positive=True)
    assert await catalog.selected(GUILD) == []
