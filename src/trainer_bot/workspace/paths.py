"""Guild workspaces: the one place that turns member-typed paths into real paths.

Every guild owns ``DATA_DIR/guilds/<guild_id>/`` (see `trainer_bot.layout`) with ``files/``, ``datasets/``, ``archives/`` and
``models/``. Members type paths relative to that root, and everything they type goes through
:meth:`Workspace.resolve`, which refuses anything that could reach outside it.

Path rules, where there was room for choice:

* Surrounding whitespace is ignored (Discord options often carry a stray space).
* Backslashes are treated as ``/`` because members on Windows type them; a file whose real name
  contains a backslash therefore cannot be addressed (uploads never create one).
* ``.`` (or ``./``) means the workspace root itself; an empty path is refused. ``.`` components are
  dropped and trailing slashes ignored.
* Any ``..`` component is refused, even ``files/../files``: members never need it, and refusing is
  simpler to reason about than resolving it lexically.
* Symlinks are allowed as long as the fully resolved path stays inside the workspace.
* Names starting with ``.`` are hidden from autocomplete and listings, and uploads can't create them;
  in-progress temporary files are never archived or suggested.
* Members upload into ``files/`` and delete only under ``files/`` and ``archives/``: ``datasets/`` and
  ``models/`` hold what the bot wrote and relies on (the active model among them), and the four top
  folders themselves always stay.

The returned paths are checked at resolution time; members cannot create symlinks through the bot,
so the window between checking and using a path is not exploitable by them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import stat
import threading
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.layout import ARCHIVES, DATASETS, FILES, GUILD_FOLDERS, MODELS, DataLayout
from trainer_bot.workspace.storing import (
    TEMP_PREFIX,
    publish_unique,
    write_replacing,
    write_temp,
    zip_to_temp,
)
from trainer_bot.workspace.tree import TreeSize, measure

PathKind = Literal["file", "dir", "any"]

MAX_COMPONENT_BYTES = 255
# Autocomplete bounds: Discord expects an answer within 3 seconds, whatever the workspace holds.
COMPLETE_DEPTH = 3
COMPLETE_MAX_VISITS = 2000
# Discord rejects a whole autocomplete response if one choice value exceeds 100 characters.
MAX_SUGGESTION_CHARS = 100
MAX_FILENAME_BYTES = 200
_MAX_SUFFIX_CHARS = 16
_SHOWN_CHARS = 60
_EXAMPLE = t("like `files/data.csv`")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Bidirectional overrides make a displayed path read differently from what it is.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_FILENAME_EXTRA_CHARS = frozenset("-_.+()[] ")


class WorkspaceError(UserError):
    """Refusal with a message a Discord member understands, in their language (`str(exc)`: English)."""


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    relative: str
    files: int
    size: int


@dataclass(frozen=True)
class UploadTarget:
    """Where an upload goes, checked but not yet written."""

    path: Path  # the real folder (it may not exist yet) joined with the member's file name
    relative: str
    replaces: int | None  # bytes of the file of that name that the upload replaces; None: a new name


@dataclass(frozen=True)
class Removed:
    relative: str
    folder: bool
    files: int
    size: int


@dataclass(frozen=True)
class ListedEntry:
    name: str
    folder: bool
    size: int | None  # None: not measured (a linked folder, or the listing's budget ran out)
    size_complete: bool  # False: the folder holds more than was measured


@dataclass(frozen=True)
class FolderListing:
    relative: str
    entries: tuple[ListedEntry, ...]  # folders first, then files, each by name
    total: int  # entries found, the shown ones included
    counted_all: bool  # False: the folder holds more entries than were read


class Workspace:
    """One guild's directory tree; every member-supplied path is resolved here."""

    def __init__(self, root: Path, *, max_path_length: int = 255) -> None:
        self.root = Path(os.path.realpath(root))
        self.max_path_length = max_path_length

    @property
    def files_dir(self) -> Path:
        return self.root / FILES

    @property
    def datasets_dir(self) -> Path:
        return self.root / DATASETS

    @property
    def archives_dir(self) -> Path:
        return self.root / ARCHIVES

    @property
    def models_dir(self) -> Path:
        return self.root / MODELS

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name in GUILD_FOLDERS:
            (self.root / name).mkdir(exist_ok=True)

    # ------------------------------------------------------------------ resolving

    def resolve(self, user_path: str, *, kind: PathKind = "any", must_exist: bool = True) -> Path:
        """Turn a member-typed path into an absolute, symlink-free path inside the workspace."""
        if kind not in ("file", "dir", "any"):
            raise ValueError(f"unknown path kind {kind!r}")
        parts = self._parts(user_path)
        shown = _shown(user_path.strip())
        real = self._realpath(parts, shown)
        try:
            mode = real.stat().st_mode
        except FileNotFoundError:
            if must_exist:
                raise WorkspaceError(
                    t("{shown} doesn't exist in this server's workspace.", shown=shown)
                ) from None
            return real
        except NotADirectoryError:
            raise WorkspaceError(
                t("{shown} doesn't exist: part of it is a file, not a folder.", shown=shown)
            ) from None
        except OSError:
            raise WorkspaceError(
                t("{shown} can't be opened (it may be a broken or looping link).", shown=shown)
            ) from None
        _check_kind(mode, kind, shown)
        return real

    def relative(self, path: Path) -> str:
        """Posix path relative to the root ("." for the root); relative input is taken from the root."""
        absolute = Path(os.path.normpath(self.root / path))
        if not _is_inside(absolute, self.root):
            raise WorkspaceError(t("That path is outside this server's workspace."))
        return absolute.relative_to(self.root).as_posix()

    def _parts(self, user_path: str) -> tuple[str, ...]:
        """Validate the text of a path and split it into components (no filesystem access)."""
        text = user_path.strip() if isinstance(user_path, str) else ""
        if not text:
            raise WorkspaceError(
                t("Please give a path inside this server's workspace, {example}.", example=_EXAMPLE)
            )
        self._check_characters(text)
        text = text.replace("\\", "/")
        shown = _shown(text)
        if text.startswith("/") or _DRIVE.match(text):
            raise WorkspaceError(
                t(
                    "{shown} is an absolute path: paths are relative to this server's workspace, {example}.",
                    shown=shown,
                    example=_EXAMPLE,
                )
            )
        parts = tuple(part for part in text.split("/") if part not in ("", "."))
        if ".." in parts:
            raise WorkspaceError(
                t(
                    "{shown} leaves the workspace: paths are relative to this server's workspace, {example}.",
                    shown=shown,
                    example=_EXAMPLE,
                )
            )
        if any(len(part.encode("utf-8")) > MAX_COMPONENT_BYTES for part in parts):
            raise WorkspaceError(t("A folder or file name in {shown} is too long.", shown=shown))
        return parts

    def _check_characters(self, text: str) -> None:
        # Length first: it is one C-speed pass, and it bounds the per-character checks below.
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > self.max_path_length:
            raise WorkspaceError(
                t(
                    "That path is too long ({size} bytes; the limit is {limit}).",
                    size=size,
                    limit=self.max_path_length,
                )
            )
        shown = _shown(text)
        if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in text):
            raise WorkspaceError(
                t("{shown} contains control characters, which paths can't have.", shown=shown)
            )
        if not _encodable(text):
            raise WorkspaceError(t("{shown} contains characters that can't be used in a path.", shown=shown))

    def _realpath(self, parts: tuple[str, ...], shown: str) -> Path:
        try:
            real = Path(os.path.realpath(self.root.joinpath(*parts)))
        except (OSError, ValueError):
            raise WorkspaceError(t("{shown} can't be opened.", shown=shown)) from None
        if not _is_inside(real, self.root):
            raise WorkspaceError(
                t(
                    "{shown} leads outside this server's workspace through a link, so it can't be used.",
                    shown=shown,
                )
            )
        return real

    # ------------------------------------------------------------------ autocomplete

    def complete(self, prefix: str, *, kind: PathKind = "any", limit: int = 25) -> list[str]:
        """Workspace paths starting with ``prefix`` (case-insensitive) for Discord autocomplete."""
        needle = self._completion_needle(prefix)
        if needle is None or limit <= 0:
            return []
        found = list(self._completion_candidates(needle, kind))
        found.sort(key=lambda rel: (rel.casefold(), rel))
        return found[:limit]

    def _completion_needle(self, prefix: str) -> str | None:
        """The folded prefix to match, or None when the prefix could never resolve."""
        text = prefix.strip() if isinstance(prefix, str) else ""
        if not text:
            return ""
        try:
            parts = self._parts(text)
        except WorkspaceError:
            return None
        needle = "/".join(parts)
        # "files/" should list the folder's children, not "files" itself.
        if needle and text.endswith(("/", "\\")):
            needle += "/"
        return needle.casefold()

    def _completion_candidates(self, needle: str, kind: PathKind) -> Iterator[str]:
        """Breadth-first walk, pruned to folders the needle can reach and bounded in depth and size."""
        max_depth = COMPLETE_DEPTH + needle.count("/")
        queue: deque[tuple[str, str, int]] = deque([(str(self.root), "", 1)])
        budget = COMPLETE_MAX_VISITS
        while queue and budget > 0:
            directory, rel_dir, depth = queue.popleft()
            entries = _scan(directory, budget)
            budget -= len(entries)
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                entry_kind = self._suggestable_kind(entry, rel)
                if entry_kind is None:
                    continue
                folded = rel.casefold()
                if folded.startswith(needle) and kind in ("any", entry_kind):
                    yield rel
                # Linked folders are suggested but not walked: that avoids loops and duplicates.
                walkable = entry_kind == "dir" and depth < max_depth and not _is_link(entry)
                if walkable and _may_contain(folded, needle):
                    queue.append((entry.path, rel, depth + 1))

    def _suggestable_kind(self, entry: os.DirEntry[str], rel: str) -> Literal["file", "dir"] | None:
        """The kind of an entry worth suggesting, or None for hidden, untypeable or escaping ones."""
        if entry.name.startswith(".") or "\\" in entry.name or len(rel) > MAX_SUGGESTION_CHARS:
            return None
        try:
            self._parts(rel)
        except WorkspaceError:
            return None
        return self._entry_kind(entry)

    def _entry_kind(self, entry: os.DirEntry[str]) -> Literal["file", "dir"] | None:
        try:
            if entry.is_symlink():
                real = Path(os.path.realpath(entry.path))
                if not _is_inside(real, self.root):
                    return None
                mode = real.stat().st_mode
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISDIR(mode):
            return "dir"
        return "file" if stat.S_ISREG(mode) else None

    # ------------------------------------------------------------------ archives

    def archive(self, directory: str, *, into: str = ARCHIVES, max_bytes: int | None = None) -> ArchiveResult:
        """Zip a workspace folder into ``<into>/<name>-<UTC timestamp>.zip`` (blocking I/O).

        A zip that would grow past `max_bytes` is not kept: `storing.ArchiveTooLarge` is raised.
        """
        source = self.resolve(directory, kind="dir")
        target_dir = self._prepare_dir(into)
        shown = _shown(directory.strip())
        if target_dir == source:
            raise WorkspaceError(
                t("{shown} is where archives are written, so it can't be archived into itself.", shown=shown)
            )
        top = source.name if source != self.root else "workspace"
        # When the target lies inside the source (archiving the root), skip it: no zips of zips.
        members = self._archive_members(source, top, skip=target_dir)
        if not members:
            raise WorkspaceError(t("{shown} has no files to archive.", shown=shown))
        stem = f"{_truncate_utf8(sanitise_filename(top), 100)}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        try:
            tmp, count = zip_to_temp(members, target_dir, max_bytes=max_bytes)
        except OSError:
            raise WorkspaceError(t("The archive couldn't be written (the disk may be full).")) from None
        try:
            if count == 0:
                raise WorkspaceError(t("{shown} has no readable files to archive.", shown=shown))
            final = publish_unique(tmp, target_dir, stem, ".zip")
        finally:
            tmp.unlink(missing_ok=True)
        return ArchiveResult(
            path=final, relative=self.relative(final), files=count, size=final.stat().st_size
        )

    def _archive_members(self, source: Path, top: str, *, skip: Path) -> list[tuple[str, Path]]:
        """(name in zip, real path) for every regular file under source, without leaving the workspace."""
        members: list[tuple[str, Path]] = []
        stack: list[tuple[Path, str]] = [(source, top)]
        while stack:
            directory, arc_dir = stack.pop()
            for entry in _scan(str(directory), None):
                if entry.name.startswith(TEMP_PREFIX) or not _encodable(entry.name):
                    continue
                # Windows unzippers treat "\" as a separator; never let a name become a path there.
                arcname = f"{arc_dir}/{entry.name.replace(chr(92), '_')}"
                if _is_real_dir(entry):
                    if Path(entry.path) != skip:
                        stack.append((Path(entry.path), arcname))
                    continue
                target = self._archivable_file(entry)
                if target is not None:
                    members.append((arcname, target))
        members.sort()
        return members

    def _archivable_file(self, entry: os.DirEntry[str]) -> Path | None:
        """The file to read for an entry, or None; links to folders are not followed."""
        try:
            if not entry.is_symlink():
                return Path(entry.path) if entry.is_file(follow_symlinks=False) else None
            real = Path(os.path.realpath(entry.path))
            if not _is_inside(real, self.root) or real.name.startswith(TEMP_PREFIX):
                return None
            return real if stat.S_ISREG(real.stat().st_mode) else None
        except (OSError, ValueError):
            return None

    # ------------------------------------------------------------------ uploads

    def write_new_file(self, relative_dir: str, filename: str, data: bytes) -> Path:
        """Save an upload under a sanitised, unused name in ``relative_dir`` (created if missing)."""
        directory = self._prepare_dir(relative_dir)
        rel_dir = self.relative(directory)
        used = 0 if rel_dir == "." else len(rel_dir.encode("utf-8")) + 1
        # Leave room for the "-NNN" a clash adds, so the saved file can still be typed back.
        room = min(MAX_FILENAME_BYTES, self.max_path_length - used - 5)
        if room < 8:
            raise WorkspaceError(
                t("{folder} is nested too deeply to save files into.", folder=_shown(rel_dir))
            )
        stem, suffix = _split_suffix(sanitise_filename(filename, max_bytes=room))
        try:
            tmp = write_temp(directory, data)
        except OSError:
            raise WorkspaceError(t("The file couldn't be saved (the disk may be full).")) from None
        try:
            return publish_unique(tmp, directory, stem, suffix)
        finally:
            tmp.unlink(missing_ok=True)

    def _prepare_dir(self, relative_dir: str) -> Path:
        """Resolve a folder inside the workspace, creating it when missing."""
        directory = self.resolve(relative_dir, kind="dir", must_exist=False)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise WorkspaceError(
                t("The folder {folder} couldn't be created.", folder=_shown(relative_dir.strip()))
            ) from None
        # Resolve again: this also proves that what now exists is a folder inside the workspace.
        return self.resolve(relative_dir, kind="dir")

    # ------------------------------------------------------------------ members' own files

    def upload_target(self, folder: str, filename: str) -> UploadTarget:
        """Where a member's upload named `filename` goes in `folder` (under files/); creates nothing.

        The name is the member's and is refused, not repaired, when it breaks the path rules: a file
        saved under another name than the one sent would surprise them.
        """
        directory = self.resolve(folder, kind="dir", must_exist=False)
        if not self._is_members(directory, (FILES,)):
            shown = _shown(folder.strip())
            raise WorkspaceError(
                t(
                    "Files can only be uploaded into `{files}` or a folder inside it, not {shown}.",
                    files=FILES,
                    shown=shown,
                )
            )
        name = filename.strip() if isinstance(filename, str) else ""
        if not name:
            raise WorkspaceError(t("The attachment has no file name; please rename it and send it again."))
        if "/" in name or "\\" in name:
            raise WorkspaceError(
                t("{name} is not a plain file name: it contains a folder separator.", name=_shown(name))
            )
        relative = f"{self.relative(directory)}/{name}"
        self._parts(relative)  # control characters, overrides, "..", lengths: the rules of every path
        if name.startswith("."):
            raise WorkspaceError(
                t(
                    "{name} starts with a dot, which hides a file from the workspace; please rename it.",
                    name=_shown(name),
                )
            )
        path = directory / name
        return UploadTarget(path=path, relative=relative, replaces=_replaced_size(path, _shown(relative)))

    def store_upload(self, target: UploadTarget, data: bytes) -> int:
        """Write a checked upload, creating its folder and replacing a file of that name (blocking)."""
        directory = self._prepare_dir(self.relative(target.path.parent))
        if directory != target.path.parent or not self._is_members(directory, (FILES,)):
            raise WorkspaceError(t("The folder changed while the file was uploading; please try again."))
        try:
            write_replacing(target.path, data)
        except OSError:
            raise WorkspaceError(t("The file couldn't be saved (the disk may be full).")) from None
        return len(data)

    def remove(self, user_path: str) -> Removed:
        """Delete a file, or a folder with everything in it, under files/ or archives/ (blocking).

        The entry itself goes: a link is removed, never what it points to.
        """
        parts = self._parts(user_path)
        shown = _shown(user_path.strip())
        if not parts:
            raise WorkspaceError(t("The workspace itself can't be deleted; name a file or folder inside it."))
        parent = self._realpath(parts[:-1], shown)
        if parent == self.root and parts[-1] in GUILD_FOLDERS:
            raise WorkspaceError(
                t(
                    "{shown} is one of the workspace's own folders, which always stay; delete what is inside it instead.",
                    shown=shown,
                )
            )
        if not self._is_members(parent, (FILES, ARCHIVES)):
            raise WorkspaceError(
                t(
                    "Only what is in `{files}` or `{archives}` can be deleted, and {shown} is not: `{datasets}` and `{models}` hold what the bot relies on.",
                    files=FILES,
                    archives=ARCHIVES,
                    shown=shown,
                    datasets=DATASETS,
                    models=MODELS,
                )
            )
        entry = parent / parts[-1]
        try:
            info = entry.lstat()
        except (FileNotFoundError, NotADirectoryError):
            raise WorkspaceError(
                t("{shown} doesn't exist in this server's workspace.", shown=shown)
            ) from None
        except OSError:
            raise WorkspaceError(t("{shown} can't be opened.", shown=shown)) from None
        folder = stat.S_ISDIR(info.st_mode)
        if folder:
            # As much work as deleting it: no budget, and the answer says exactly what went.
            contents = measure([entry])
            files, size = contents.files, contents.size
        else:
            files, size = 1, info.st_size if stat.S_ISREG(info.st_mode) else 0
        try:
            if folder:
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError:
            raise WorkspaceError(t("{shown} couldn't be deleted, or not all of it.", shown=shown)) from None
        return Removed(relative=self.relative(entry), folder=folder, files=files, size=size)

    def usage(self, budget: int) -> TreeSize:
        """What members keep here (files/ and archives/), visiting at most `budget` entries (blocking)."""
        return measure([self.files_dir, self.archives_dir], budget)

    def listing(self, folder: str, *, limit: int, read_limit: int, size_budget: int) -> FolderListing:
        """Up to `limit` entries of a folder with their sizes, from at most `read_limit` read (blocking)."""
        directory = self.resolve(folder, kind="dir")
        scanned = _scan(str(directory), read_limit)
        found = [
            (entry, kind)
            for entry in scanned
            if not entry.name.startswith(".") and (kind := self._entry_kind(entry)) is not None
        ]
        found.sort(key=lambda item: (item[1] != "dir", item[0].name.casefold(), item[0].name))
        shown: list[ListedEntry] = []
        for entry, kind in found[:limit]:
            listed, visited = _listed(entry, kind == "dir", size_budget)
            shown.append(listed)
            size_budget -= visited
        return FolderListing(
            relative=self.relative(directory),
            entries=tuple(shown),
            total=len(found),
            counted_all=len(scanned) < read_limit,
        )

    def _is_members(self, real: Path, tops: tuple[str, ...]) -> bool:
        """Whether a real path lies in (or is) one of the given top folders."""
        return any(_is_inside(real, self.root / top) for top in tops)

    # ------------------------------------------------------------------ sizes

    def size_of(self, path: Path) -> int:
        """Bytes used by a file, or by the regular files under a folder (links are not followed)."""
        real = Path(os.path.realpath(self.root / path))
        if not _is_inside(real, self.root):
            raise WorkspaceError(t("That path is outside this server's workspace."))
        try:
            mode = real.stat()
        except OSError:
            return 0
        if stat.S_ISREG(mode.st_mode):
            return mode.st_size
        return measure([real]).size if stat.S_ISDIR(mode.st_mode) else 0


class Workspaces:
    """All guild workspaces under one data directory, created on first use and cached."""

    def __init__(self, layout: DataLayout) -> None:
        self._layout = layout
        self._cache: dict[int, Workspace] = {}
        # for_guild may be called from worker threads as well as the event loop.
        self._lock = threading.Lock()

    def guild_ids(self) -> list[int]:
        """The guilds that have a workspace on disk (blocking)."""
        guilds = self._layout.guilds_dir
        if not guilds.is_dir():
            return []
        return sorted(int(path.name) for path in guilds.iterdir() if path.name.isdigit() and path.is_dir())

    def remove_leftovers(self, held: Callable[[int], bool] = lambda guild_id: True) -> int:
        """Files a crash left half-written in the workspaces this process holds (uploads, zips); how many
        went (blocking). Another process's guild may be writing its files right now: they are its own."""
        removed = 0
        for guild_id in filter(held, self.guild_ids()):
            for path in self._layout.guild_dir(guild_id).rglob(f"{TEMP_PREFIX}*"):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed += 1
        return removed

    def remove(self, guild_id: int) -> None:
        """Delete a guild's whole workspace (blocking): its files, datasets, archives and models."""
        with self._lock:
            self._cache.pop(guild_id, None)
        shutil.rmtree(self._layout.guild_dir(guild_id), ignore_errors=True)

    def for_guild(self, guild_id: int) -> Workspace:
        if isinstance(guild_id, bool) or not isinstance(guild_id, int) or guild_id <= 0:
            raise ValueError(f"guild_id must be a positive integer, got {guild_id!r}")
        key = int(guild_id)
        with self._lock:
            workspace = self._cache.get(key)
            if workspace is None:
                workspace = Workspace(self._layout.guild_dir(key))
                workspace.ensure()
                self._cache[key] = workspace
            return workspace


def sanitise_filename(filename: str, *, max_bytes: int = MAX_FILENAME_BYTES) -> str:
    """A safe basename: no separators, no leading dots, letters/digits/``-_.+()[] `` only, capped."""
    base = re.split(r"[/\\]", filename)[-1] if isinstance(filename, str) else ""
    base = unicodedata.normalize("NFC", base)
    cleaned = "".join(ch if ch.isalnum() or ch in _FILENAME_EXTRA_CHARS else "_" for ch in base)
    cleaned = re.sub(r" {2,}", " ", cleaned).lstrip(". ").rstrip(". ")
    stem, suffix = _split_suffix(cleaned or "upload")
    stem = _truncate_utf8(stem, max(1, max_bytes - len(suffix.encode("utf-8")))).rstrip(". ")
    return f"{stem or 'upload'}{suffix}"


# ---------------------------------------------------------------------- helpers


def _shown(text: str) -> str:
    """A member's path quoted for a reply: printable, backtick-free and short."""
    cleaned = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    cleaned = cleaned.replace("`", "'")
    if len(cleaned) > _SHOWN_CHARS:
        cleaned = cleaned[: _SHOWN_CHARS - 1] + "…"
    return f"`{cleaned}`"


def _is_inside(path: Path, root: Path) -> bool:
    # Component-wise, so a sibling "<root>-evil" is not mistaken for being inside "<root>".
    return path.is_relative_to(root)


def _check_kind(mode: int, kind: PathKind, shown: str) -> None:
    if stat.S_ISDIR(mode):
        if kind == "file":
            raise WorkspaceError(
                t("{shown} is a folder; please give a file, {example}.", shown=shown, example=_EXAMPLE)
            )
    elif stat.S_ISREG(mode):
        if kind == "dir":
            raise WorkspaceError(t("{shown} is a file; please give a folder, like `files`.", shown=shown))
    else:
        # FIFOs, sockets and devices could hang or misbehave when read.
        raise WorkspaceError(t("{shown} is not a regular file or folder.", shown=shown))


def _scan(directory: str, limit: int | None) -> list[os.DirEntry[str]]:
    """Up to ``limit`` entries of a folder; unreadable folders count as empty."""
    try:
        with os.scandir(directory) as entries:
            return list(itertools.islice(entries, limit))
    except OSError:
        return []


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return True


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _may_contain(folded_dir: str, needle: str) -> bool:
    """Whether paths under this folder could start with the needle (prunes the walk)."""
    as_dir = folded_dir + "/"
    return needle.startswith(as_dir) or as_dir.startswith(needle)


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def _replaced_size(path: Path, shown: str) -> int | None:
    """Bytes an upload to `path` would replace: None for a new name; a link counts as nothing."""
    try:
        info = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        raise WorkspaceError(t("{shown} can't be opened.", shown=shown)) from None
    if stat.S_ISDIR(info.st_mode):
        raise WorkspaceError(t("{shown} is a folder, so a file can't replace it.", shown=shown))
    if stat.S_ISLNK(info.st_mode):
        return 0
    if not stat.S_ISREG(info.st_mode):
        raise WorkspaceError(t("{shown} is not a regular file, so it can't be replaced.", shown=shown))
    return info.st_size


def _listed(entry: os.DirEntry[str], folder: bool, budget: int) -> tuple[ListedEntry, int]:
    """An entry with its size, and how many entries measuring it visited."""
    if folder:
        if _is_link(entry) or budget <= 0:
            return ListedEntry(entry.name, folder=True, size=None, size_complete=False), 0
        contents = measure([Path(entry.path)], budget)
        return ListedEntry(entry.name, True, contents.size, contents.complete), contents.entries
    try:
        size = entry.stat().st_size  # a link was already found to stay inside the workspace
    except OSError:
        return ListedEntry(entry.name, folder=False, size=None, size_complete=False), 0
    return ListedEntry(entry.name, folder=False, size=size, size_complete=True), 0


def _split_suffix(name: str) -> tuple[str, str]:
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) >= _MAX_SUFFIX_CHARS:
        return name, ""
    return stem, f".{extension}"
