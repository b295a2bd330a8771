"""Bounded measuring of workspace folders."""

from __future__ import annotations

from pathlib import Path

from trainer_bot.workspace.tree import measure


def test_measure_counts_regular_files_and_never_follows_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_bytes(b"1" * 10)
    (tmp_path / "two.txt").write_bytes(b"2" * 5)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"x" * 1000)
    (tmp_path / "link").symlink_to(outside)
    sized = measure([tmp_path])
    assert (sized.files, sized.size, sized.entries, sized.complete) == (2, 15, 4, True)


def test_measure_stops_at_its_budget_and_says_so(tmp_path: Path) -> None:
    for n in range(10):
        (tmp_path / f"{n}.txt").write_bytes(b"x")
    assert measure([tmp_path], budget=10).complete
    stopped = measure([tmp_path], budget=4)
    assert (stopped.files, stopped.entries, stopped.complete) == (4, 4, False)


def test_a_missing_folder_measures_as_empty(tmp_path: Path) -> None:
    assert measure([tmp_path / "missing"]).size == 0
