"""Sizing a workspace folder with a bound on the work.

Members can fill a folder with any number of files, so a walk that a command waits for takes a budget
of entries; one that runs out says so instead of taking as long as the folder demands. Links are never
followed: what a link points to is counted where it really lives, or not at all.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeSize:
    files: int
    size: int
    entries: int  # files, folders and anything else visited
    complete: bool  # False: the walk stopped at its budget, so files and size are lower bounds


def measure(roots: Iterable[Path], budget: int | None = None) -> TreeSize:
    """Regular files and their bytes under the root folders, visiting at most `budget` entries."""
    files = size = visited = 0
    stack = [str(root) for root in roots]
    while stack:
        # An unreadable folder counts as empty (or as far as it could be read).
        with contextlib.suppress(OSError), os.scandir(stack.pop()) as entries:
            for entry in entries:
                if budget is not None and visited >= budget:
                    return TreeSize(files, size, visited, complete=False)
                visited += 1
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    stack.append(entry.path)
                elif stat.S_ISREG(info.st_mode):
                    files += 1
                    size += info.st_size
    return TreeSize(files, size, visited, complete=True)
