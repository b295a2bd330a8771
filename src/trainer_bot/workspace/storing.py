"""Writing into a workspace without ever showing a half-written file.

Files are written under a temporary name (hidden from members, never archived), flushed, then given
their final name: with a hard link that fails if the name is taken, or, where a member asked to replace
a file, with a rename that swaps the old content for the new in one step.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from trainer_bot.errors import UserError
from trainer_bot.fileio import READ_NO_FOLLOW
from trainer_bot.i18n import t

TEMP_PREFIX = ".partial-"
MAX_UNIQUE_ATTEMPTS = 1000
_ZIP_EPOCH = 315_532_800  # 1980-01-01, the earliest time a zip entry can carry
_COPY_CHUNK = 1024 * 1024


class NameExhausted(UserError):
    pass


class ArchiveTooLarge(Exception):
    """The zip grew past the bytes it was allowed; its temporary file is already gone."""


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    moment = time.gmtime(max(mtime, _ZIP_EPOCH))
    if moment.tm_year > 2107:  # the last year a zip entry can carry
        return (2107, 12, 31, 23, 59, 58)
    return (moment.tm_year, moment.tm_mon, moment.tm_mday, moment.tm_hour, moment.tm_min, moment.tm_sec)


def zip_to_temp(
    members: list[tuple[str, Path]], directory: Path, *, max_bytes: int | None = None
) -> tuple[Path, int]:
    """Write the zip under a temporary name; returns it and the number of files actually added.

    With `max_bytes`, writing stops (ArchiveTooLarge) after the first file that takes the zip past it:
    the disk holds at most one file's worth more than allowed, and only until the temporary file goes.
    """
    count = 0

    def write(raw: BinaryIO) -> None:
        nonlocal count
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for arcname, source in members:
                count += _add_to_zip(archive, arcname, source)
                if max_bytes is not None and raw.tell() > max_bytes:
                    raise ArchiveTooLarge
        # The central directory, written on close, counts too.
        if max_bytes is not None and raw.tell() > max_bytes:
            raise ArchiveTooLarge

    return _temp_file(directory, ".zip", write), count


def _add_to_zip(archive: zipfile.ZipFile, arcname: str, source: Path) -> int:
    """Copy one file into the zip; 0 when it vanished or stopped being a regular file."""
    try:
        fd = os.open(source, READ_NO_FOLLOW)
    except OSError:
        return 0
    with os.fdopen(fd, "rb") as src:
        info = os.fstat(src.fileno())
        if not stat.S_ISREG(info.st_mode):
            return 0
        entry = zipfile.ZipInfo(arcname, _zip_time(info.st_mtime))
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.file_size = info.st_size
        entry.external_attr = (stat.S_IFREG | 0o644) << 16
        with archive.open(entry, "w") as dst:
            shutil.copyfileobj(src, dst, _COPY_CHUNK)
    return 1


def write_temp(directory: Path, data: bytes) -> Path:
    return _temp_file(directory, "", lambda handle: handle.write(data))


def write_replacing(final: Path, data: bytes) -> None:
    """Write `final`, replacing whatever has that name: readers see the old file or the new, never half.

    A link of that name is replaced, not followed: the file it pointed to stays as it was.
    """
    tmp = write_temp(final.parent, data)
    try:
        tmp.replace(final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temp_file(directory: Path, suffix: str, write: Callable[[BinaryIO], object]) -> Path:
    """A new hidden file in `directory`, written by `write` and flushed to disk; removed if writing fails."""
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=directory)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
            # mkstemp makes 0600 files; match what an ordinary write under the usual umask gives.
            os.fchmod(handle.fileno(), 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def publish_unique(tmp: Path, directory: Path, stem: str, suffix: str) -> Path:
    """Give the temporary file its final name without ever replacing an existing file.

    A hard link fails atomically when the name is taken, which a rename cannot promise; the
    caller removes the temporary name afterwards.
    """
    for attempt in range(1, MAX_UNIQUE_ATTEMPTS + 1):
        final = directory / (f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}")
        try:
            os.link(tmp, final)
        except FileExistsError:
            continue
        except OSError:
            # Filesystems without hard links: check-then-rename is the best available.
            if os.path.lexists(final):
                continue
            tmp.replace(final)
        return final
    raise NameExhausted(t("Too many files already have that name: rename the file and try again."))
