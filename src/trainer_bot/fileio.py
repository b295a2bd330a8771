"""Opening files in folders that members can fill: never through a link, never hanging on a FIFO."""

from __future__ import annotations

import os

# O_NOFOLLOW: a file swapped for a symlink after it was checked is refused, not followed out of its folder.
# O_NONBLOCK: a FIFO swapped in cannot hang the reading thread on open() (regular files ignore it).
READ_NO_FOLLOW = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
)
