"""Tests for trainer_bot.workspace.paths: every refusal, autocomplete, archives, uploads and escape attempts."""

from __future__ import annotations

import os
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer_bot.layout import DataLayout
from trainer_bot.workspace.paths import (
    COMPLETE_MAX_VISITS,
    MAX_SUGGESTION_CHARS,
    ArchiveResult,
    Workspace,
    WorkspaceError,
    Workspaces,
    sanitise_filename,
)

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="symlink-heavy tests assume a POSIX filesystem"
)

SECRET = b"TOP-SECRET-CONTENT-do-not-leak"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path / "guild")
    workspace.ensure()
    (workspace.files_dir / "cats").mkdir()
    (workspace.files_dir / "cats" / "tabby.txt").write_text("meow")
    (workspace.files_dir / "data.csv").write_text("text\nhello\n")
    return workspace


def _refusal(ws: Workspace, path: str, **kwargs: object) -> str:
    with pytest.raises(WorkspaceError) as info:
        ws.resolve(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


# ---------------------------------------------------------------------- layout


def test_ensure_creates_root_and_subdirectories(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "a" / "b")
    workspace.ensure()
    assert workspace.root.is_absolute()
    for directory in (
        workspace.files_dir,
        workspace.datasets_dir,
        workspace.archives_dir,
        workspace.models_dir,
    ):
        assert directory.is_dir()
        assert directory.parent == workspace.root


def test_workspaces_creates_and_caches_per_guild(tmp_path: Path) -> None:
    workspaces = Workspaces(DataLayout(tmp_path / "data"))
    first = workspaces.for_guild(42)
    assert first is workspaces.for_guild(42)
    assert first.root == (tmp_path / "data" / "guilds" / "42").resolve()
    assert first.files_dir.is_dir()
    assert workspaces.for_guild(43).root != first.root


@pytest.mark.parametrize("guild_id", [0, -1, True])
def test_workspaces_rejects_bad_guild_ids(tmp_path: Path, guild_id: int) -> None:
    with pytest.raises(ValueError):
        Workspaces(DataLayout(tmp_path)).for_guild(guild_id)


# ---------------------------------------------------------------------- resolve: accepted


def test_resolve_file_and_dir(ws: Workspace) -> None:
    assert ws.resolve("files/data.csv", kind="file") == ws.files_dir / "data.csv"
    assert ws.resolve("files/cats", kind="dir") == ws.files_dir / "cats"
    assert ws.resolve("files/cats/", kind="any") == ws.files_dir / "cats"


def test_resolve_normalises_backslashes_dots_and_whitespace(ws: Workspace) -> None:
    target = ws.files_dir / "cats" / "tabby.txt"
    assert ws.resolve("files\\cats\\tabby.txt") == target
    assert ws.resolve("  ./files//cats/./tabby.txt  ") == target


@pytest.mark.parametrize("path", [".", "./", "./."])
def test_dot_means_the_root(ws: Workspace, path: str) -> None:
    assert ws.resolve(path, kind="dir") == ws.root


def test_resolve_missing_allowed_when_not_required(ws: Workspace) -> None:
    assert ws.resolve("files/new/thing.csv", must_exist=False) == ws.files_dir / "new" / "thing.csv"


def test_symlink_that_stays_inside_is_fine(ws: Workspace) -> None:
    (ws.files_dir / "kitties").symlink_to("cats")
    assert ws.resolve("files/kitties/tabby.txt", kind="file") == ws.files_dir / "cats" / "tabby.txt"


def test_unicode_names_work(ws: Workspace) -> None:
    (ws.files_dir / "日本語 é.txt").write_text("ok")
    assert ws.resolve("files/日本語 é.txt", kind="file").name == "日本語 é.txt"


# ---------------------------------------------------------------------- resolve: refused


@pytest.mark.parametrize("path", ["", "   ", "\t", "/", "\\"])
def test_empty_or_root_only_paths_are_refused(ws: Workspace, path: str) -> None:
    assert _refusal(ws, path)


def test_empty_message_is_friendly(ws: Workspace) -> None:
    assert "Please give a path" in _refusal(ws, "  ")


@pytest.mark.parametrize("path", ["files/a\x00b", "files/\nx", "a\x1bb", "a\x7fb", "a\u202eb", "x\x85y"])
def test_control_characters_are_refused(ws: Workspace, path: str) -> None:
    assert "control characters" in _refusal(ws, path)


def test_unencodable_characters_are_refused(ws: Workspace) -> None:
    assert "can't be used" in _refusal(ws, "files/\ud800")


@pytest.mark.parametrize("path", ["/etc/passwd", "\\etc\\passwd", "C:\\x", "C:/x", "c:x", "//server/share"])
def test_absolute_paths_are_refused(ws: Workspace, path: str) -> None:
    assert "absolute path" in _refusal(ws, path)


@pytest.mark.parametrize(
    "path", ["..", "../etc", "files/../../x", "files/..", "files\\..\\..", "files/cats/../cats"]
)
def test_dotdot_is_refused(ws: Workspace, path: str) -> None:
    message = _refusal(ws, path)
    assert "leaves the workspace" in message
    assert "relative to this server's workspace" in message


def test_dotdot_message_quotes_the_path(ws: Workspace) -> None:
    assert _refusal(ws, "../etc").startswith("`../etc` leaves the workspace")


def test_over_long_total_path_is_refused(ws: Workspace) -> None:
    assert "too long" in _refusal(ws, "/".join(["abcdefghij"] * 30))


def test_over_long_component_is_refused(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, max_path_length=1000)
    assert "too long" in _refusal(workspace, "files/" + "x" * 256)


def test_multibyte_length_counts_bytes(ws: Workspace) -> None:
    assert "too long" in _refusal(ws, "é" * 130)  # 260 bytes, 130 characters


def test_missing_path_is_refused(ws: Workspace) -> None:
    assert "doesn't exist" in _refusal(ws, "files/nope.csv")


def test_path_through_a_file_is_refused(ws: Workspace) -> None:
    assert "part of it is a file" in _refusal(ws, "files/data.csv/x", must_exist=False)


def test_wrong_kinds_are_refused(ws: Workspace) -> None:
    assert "is a folder" in _refusal(ws, "files/cats", kind="file")
    assert "is a file" in _refusal(ws, "files/data.csv", kind="dir")
    assert "is a folder" in _refusal(ws, ".", kind="file")


def test_existing_wrong_kind_refused_even_when_not_required(ws: Workspace) -> None:
    assert "is a file" in _refusal(ws, "files/data.csv", kind="dir", must_exist=False)


def test_special_files_are_refused(ws: Workspace) -> None:
    os.mkfifo(ws.files_dir / "pipe")
    assert "not a regular file" in _refusal(ws, "files/pipe")


def test_symlink_leaving_the_workspace_is_refused(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (ws.files_dir / "out").symlink_to(outside)
    assert "outside this server's workspace" in _refusal(ws, "files/out")
    assert "outside" in _refusal(ws, "files/out/secret.txt")
    assert "outside" in _refusal(ws, "files/out/new.txt", must_exist=False)


def test_dangling_symlink_pointing_outside_is_refused(ws: Workspace, tmp_path: Path) -> None:
    (ws.files_dir / "dangling").symlink_to(tmp_path / "does-not-exist")
    assert "outside" in _refusal(ws, "files/dangling", must_exist=False)


def test_sibling_with_shared_prefix_is_outside(ws: Workspace, tmp_path: Path) -> None:
    evil = tmp_path / "guild-evil"
    evil.mkdir()
    (ws.files_dir / "evil").symlink_to(evil)
    assert "outside" in _refusal(ws, "files/evil")


def test_symlink_loop_is_refused(ws: Workspace) -> None:
    (ws.files_dir / "loop").symlink_to("loop")
    assert _refusal(ws, "files/loop")


def test_refusal_message_is_short_and_backtick_safe(ws: Workspace) -> None:
    message = _refusal(ws, "`evil`" + "x" * 200 + "/../y")
    quoted = message.split(" leaves")[0]
    assert quoted.startswith("`'evil'") and quoted.endswith("…`")
    assert quoted.count("`") == 2
    assert len(message) < 200


def test_relative(ws: Workspace) -> None:
    assert ws.relative(ws.files_dir / "cats" / "tabby.txt") == "files/cats/tabby.txt"
    assert ws.relative(ws.root) == "."
    assert ws.relative(Path("files/cats")) == "files/cats"
    with pytest.raises(WorkspaceError):
        ws.relative(ws.root.parent)
    with pytest.raises(WorkspaceError):
        ws.relative(ws.root / ".." / "x")


def test_size_of(ws: Workspace) -> None:
    assert ws.size_of(ws.files_dir / "cats" / "tabby.txt") == 4
    assert ws.size_of(ws.files_dir) == 4 + len("text\nhello\n")
    with pytest.raises(WorkspaceError):
        ws.size_of(ws.root.parent)


def test_size_of_does_not_follow_links(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "big"
    outside.mkdir()
    (outside / "blob").write_bytes(b"x" * 10_000)
    (ws.files_dir / "big").symlink_to(outside)
    assert ws.size_of(ws.files_dir) == 4 + len("text\nhello\n")


# ---------------------------------------------------------------------- complete


def test_complete_top_level_and_nested(ws: Workspace) -> None:
    assert ws.complete("") == [
        "archives",
        "datasets",
        "files",
        "files/cats",
        "files/cats/tabby.txt",
        "files/data.csv",
        "models",
    ]
    assert ws.complete("files/") == ["files/cats", "files/cats/tabby.txt", "files/data.csv"]


def test_complete_is_case_insensitive_and_filters_kind(ws: Workspace) -> None:
    assert ws.complete("FILES/C", kind="file") == ["files/cats/tabby.txt"]
    assert ws.complete("fi", kind="dir") == ["files", "files/cats"]
    assert ws.complete("files\\c", kind="dir") == ["files/cats"]


def test_complete_respects_limit_and_sorts(ws: Workspace) -> None:
    for name in ["b.txt", "A.txt", "c.txt"]:
        (ws.files_dir / name).write_text("x")
    assert ws.complete("files/", kind="file", limit=3) == ["files/A.txt", "files/b.txt", "files/c.txt"]
    assert ws.complete("files/", limit=0) == []


def test_complete_hides_dotfiles_and_temporaries(ws: Workspace) -> None:
    (ws.files_dir / ".hidden").write_text("x")
    (ws.files_dir / ".partial-abc").write_text("x")
    assert not [path for path in ws.complete("files/") if "/." in path]


def test_complete_skips_untypeable_names(ws: Workspace) -> None:
    (ws.files_dir / "bad\nname").write_text("x")
    (ws.files_dir / "back\\slash").write_text("x")
    (ws.files_dir / ("long" * 30)).write_text("x")
    assert ws.complete("files/", kind="file") == ["files/cats/tabby.txt", "files/data.csv"]


def test_complete_suggestions_fit_discord(ws: Workspace) -> None:
    deep = ws.files_dir / ("d" * 40) / ("e" * 40)
    deep.mkdir(parents=True)
    (deep / ("f" * 40)).write_text("x")
    assert all(len(path) <= MAX_SUGGESTION_CHARS for path in ws.complete(""))


@pytest.mark.parametrize("prefix", ["..", "../", "/etc", "C:\\", "files/../..", "\x00", "x" * 1000, "\ud800"])
def test_complete_hostile_prefix_returns_nothing(ws: Workspace, prefix: str) -> None:
    assert ws.complete(prefix) == []


def test_complete_is_bounded_in_depth(ws: Workspace) -> None:
    deep = ws.files_dir / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    (deep / "leaf.txt").write_text("x")
    assert "files/a/b/c/d/leaf.txt" not in ws.complete("")
    # Typing deeper extends the search, so nothing stays unreachable.
    assert ws.complete("files/a/b/c/", kind="file") == ["files/a/b/c/d/leaf.txt"]


def test_complete_is_bounded_in_entries(ws: Workspace) -> None:
    crowd = ws.files_dir / "crowd"
    crowd.mkdir()
    for index in range(COMPLETE_MAX_VISITS + 500):
        (crowd / f"f{index:05d}").touch()
    (ws.models_dir / "zzz-model").touch()
    result = ws.complete("", kind="file", limit=10_000)
    assert len(result) <= COMPLETE_MAX_VISITS
    # Breadth-first: shallow entries are found even though a crowded folder eats the budget.
    assert "models/zzz-model" in result


def test_complete_lists_inside_links_but_not_escaping_ones(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (ws.files_dir / "kitties").symlink_to("cats")
    (ws.files_dir / "out").symlink_to(outside)
    result = ws.complete("files/")
    assert "files/kitties" in result
    assert not [path for path in result if path.startswith("files/out")]
    assert not [path for path in result if "secret" in path]


# ---------------------------------------------------------------------- archive


def _zip_names(result: ArchiveResult) -> list[str]:
    with zipfile.ZipFile(result.path) as archive:
        return sorted(archive.namelist())


def test_archive_writes_a_zip_of_the_folder(ws: Workspace) -> None:
    (ws.files_dir / "cats" / "sub").mkdir()
    (ws.files_dir / "cats" / "sub" / "kitten.txt").write_text("mew")
    result = ws.archive("files/cats")
    assert result.path.parent == ws.archives_dir
    assert result.relative == ws.relative(result.path)
    assert result.relative.startswith("archives/cats-") and result.relative.endswith(".zip")
    assert result.files == 2
    assert result.size == result.path.stat().st_size
    assert _zip_names(result) == ["cats/sub/kitten.txt", "cats/tabby.txt"]
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("cats/tabby.txt") == b"meow"
        assert archive.testzip() is None
    assert not [p for p in ws.archives_dir.iterdir() if p.name.startswith(".")]


def test_archive_names_are_unique(ws: Workspace) -> None:
    first = ws.archive("files/cats")
    second = ws.archive("files/cats")
    assert first.path != second.path
    assert first.path.exists() and second.path.exists()


def test_archive_into_another_folder(ws: Workspace) -> None:
    result = ws.archive("files/cats", into="files/backups")
    assert result.relative.startswith("files/backups/cats-")


def test_archive_refuses_the_archives_folder_itself(ws: Workspace) -> None:
    ws.archive("files/cats")
    with pytest.raises(WorkspaceError, match="into itself"):
        ws.archive("archives")


def test_archive_of_root_skips_the_archives_folder(ws: Workspace) -> None:
    ws.archive("files/cats")
    result = ws.archive(".")
    names = _zip_names(result)
    assert "workspace/files/cats/tabby.txt" in names
    assert not [name for name in names if name.startswith("workspace/archives")]


def test_archive_refuses_empty_folder(ws: Workspace) -> None:
    (ws.files_dir / "empty" / "nested").mkdir(parents=True)
    with pytest.raises(WorkspaceError, match="no files to archive"):
        ws.archive("files/empty")
    assert list(ws.archives_dir.iterdir()) == []


@pytest.mark.parametrize("path", ["files/data.csv", "files/missing", "../x", "/etc"])
def test_archive_refuses_bad_sources(ws: Workspace, path: str) -> None:
    with pytest.raises(WorkspaceError):
        ws.archive(path)


def test_archive_refuses_escaping_target(ws: Workspace, tmp_path: Path) -> None:
    (ws.root / "outbox").symlink_to(tmp_path)
    with pytest.raises(WorkspaceError, match="outside"):
        ws.archive("files/cats", into="outbox")


def test_archive_skips_special_files(ws: Workspace) -> None:
    os.mkfifo(ws.files_dir / "cats" / "pipe")
    assert _zip_names(ws.archive("files/cats")) == ["cats/tabby.txt"]


# ---------------------------------------------------------------------- write_new_file


def test_write_new_file_writes_and_never_overwrites(ws: Workspace) -> None:
    first = ws.write_new_file("files/uploads", "cats.csv", b"one")
    second = ws.write_new_file("files/uploads", "cats.csv", b"two")
    assert first == ws.files_dir / "uploads" / "cats.csv"
    assert second == ws.files_dir / "uploads" / "cats-2.csv"
    assert first.read_bytes() == b"one"
    assert second.read_bytes() == b"two"
    assert [p.name for p in (ws.files_dir / "uploads").iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\evil.txt", "evil.txt"),
        (".bashrc", "bashrc"),
        ("...", "upload"),
        ("", "upload"),
        ("a b<>|:*?.csv", "a b______.csv"),
        ("café.txt", "café.txt"),
        ("x\x00y.txt", "x_y.txt"),
        ("trailing. . ", "trailing"),
    ],
)
def test_sanitise_filename(filename: str, expected: str) -> None:
    assert sanitise_filename(filename) == expected


def test_sanitise_filename_caps_length_and_keeps_extension() -> None:
    name = sanitise_filename("é" * 500 + ".csv")
    assert name.endswith(".csv")
    assert len(name.encode("utf-8")) <= 200


def test_write_new_file_refuses_escaping_dirs(ws: Workspace, tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        ws.write_new_file("../outside", "a.txt", b"x")
    with pytest.raises(WorkspaceError):
        ws.write_new_file("/tmp", "a.txt", b"x")
    (ws.files_dir / "out").symlink_to(tmp_path)
    with pytest.raises(WorkspaceError):
        ws.write_new_file("files/out", "a.txt", b"x")
    with pytest.raises(WorkspaceError):
        ws.write_new_file("files/data.csv", "a.txt", b"x")
    assert not (tmp_path / "a.txt").exists()


def test_write_new_file_result_stays_typeable(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    workspace.ensure()
    deep = "files/" + "/".join(["d" * 20] * 10)
    path = workspace.write_new_file(deep, "n" * 150 + ".csv", b"x")
    assert workspace.resolve(workspace.relative(path), kind="file") == path


# ---------------------------------------------------------------------- hostile layout + properties


@dataclass(frozen=True)
class Hostile:
    ws: Workspace
    secret_dir: Path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """A workspace riddled with links to a sibling secret folder, a prefix-sharing sibling and /etc."""
    base = tmp_path_factory.mktemp("hostile")
    secret = base / "secret"
    secret.mkdir()
    (secret / "secret.txt").write_bytes(SECRET)
    (secret / "nested").mkdir()
    (secret / "nested" / "more.txt").write_bytes(SECRET)
    evil = base / "workspace-evil"
    evil.mkdir()
    (evil / "evil.txt").write_bytes(SECRET)
    workspace = Workspace(base / "workspace")
    workspace.ensure()
    files = workspace.files_dir
    (files / "cats").mkdir()
    (files / "cats" / "tabby.txt").write_text("meow")
    (files / "ok.txt").write_text("fine")
    links = {
        "escape": "../../secret",
        "escape_file": "../../secret/secret.txt",
        "abs_escape": str(secret),
        "prefix_escape": "../../workspace-evil",
        "dangling": "../../secret/nope",
        "etc": "/etc",
        "passwd": "/etc/passwd",
        "loop": "loop",
        "inside": "cats",
        "inside_file": "ok.txt",
    }
    for name, target in links.items():
        (files / name).symlink_to(target)
    (files / "cats" / "up").symlink_to("../../../secret")
    (workspace.root / "secret").symlink_to("../secret")
    return Hostile(workspace, secret)


def _assert_safe(ws: Workspace, path: Path) -> None:
    real = Path(os.path.realpath(path))
    assert path == real, "resolve must return a symlink-free path"
    assert real.is_relative_to(ws.root)


PIECES = st.sampled_from(
    [
        "..",
        ".",
        "/",
        "\\",
        "\x00",
        "\n",
        " ",
        "files",
        "secret",
        "escape",
        "escape_file",
        "abs_escape",
        "prefix_escape",
        "dangling",
        "etc",
        "passwd",
        "loop",
        "inside",
        "cats",
        "up",
        "C:",
        "~",
        "%2e%2e",
        "\u2025",
        "．．",
        "\u202e",
        "\ud800",
        "é",
        "x" * 300,
        "/etc/passwd",
    ]
)
# Walks through the hostile layout's real names, so many examples reach the filesystem checks.
LAYOUT_NAMES = st.sampled_from(
    [
        "files",
        "cats",
        "up",
        "inside",
        "inside_file",
        "escape",
        "escape_file",
        "abs_escape",
        "prefix_escape",
        "secret",
        "secret.txt",
        "nested",
        "more.txt",
        "evil.txt",
        "etc",
        "passwd",
        "loop",
        "dangling",
        "tabby.txt",
        "ok.txt",
        ".",
        "..",
    ]
)
LAYOUT_PATHS = st.lists(LAYOUT_NAMES, min_size=1, max_size=5).map("/".join)
HOSTILE_PATHS = st.one_of(
    LAYOUT_PATHS,
    LAYOUT_PATHS.map(lambda path: "files/" + path),
    st.text(max_size=300),
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map("".join),
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=8).map("/".join),
    st.lists(PIECES, max_size=8).map("\\".join),
)
KINDS = st.sampled_from(["file", "dir", "any"])
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(path=HOSTILE_PATHS, kind=KINDS, must_exist=st.booleans())
def test_resolve_never_escapes(hostile: Hostile, path: str, kind: str, must_exist: bool) -> None:
    try:
        resolved = hostile.ws.resolve(path, kind=kind, must_exist=must_exist)  # type: ignore[arg-type]
    except WorkspaceError as exc:
        assert str(exc)
        return
    _assert_safe(hostile.ws, resolved)
    assert not resolved.is_relative_to(hostile.secret_dir)


# Partial paths, as a member types them, so autocomplete often has something to suggest.
TYPED_PREFIXES = LAYOUT_PATHS.map(lambda path: "files/" + path).flatmap(
    lambda path: st.integers(0, len(path)).map(lambda cut: path[:cut])
)


@PROPERTY_SETTINGS
@given(prefix=st.one_of(HOSTILE_PATHS, TYPED_PREFIXES), kind=KINDS)
def test_complete_only_suggests_paths_inside(hostile: Hostile, prefix: str, kind: str) -> None:
    suggestions = hostile.ws.complete(prefix, kind=kind)  # type: ignore[arg-type]
    assert len(suggestions) <= 25
    for suggestion in suggestions:
        _assert_safe(hostile.ws, hostile.ws.resolve(suggestion))


def test_complete_everything_in_hostile_layout(hostile: Hostile) -> None:
    suggestions = hostile.ws.complete("", limit=1000)
    for suggestion in suggestions:
        _assert_safe(hostile.ws, hostile.ws.resolve(suggestion))
    for escaping in ["files/escape", "files/abs_escape", "files/prefix_escape", "files/etc", "secret"]:
        assert escaping not in suggestions
    assert "files/inside" in suggestions
    assert "files/inside_file" in suggestions


@pytest.mark.parametrize(
    "path",
    [
        "files/escape",
        "files/escape/secret.txt",
        "files/escape_file",
        "files/abs_escape",
        "files/prefix_escape",
        "files/etc",
        "files/passwd",
        "files/cats/up",
        "secret",
        "secret/secret.txt",
    ],
)
def test_every_escaping_link_is_refused(hostile: Hostile, path: str) -> None:
    with pytest.raises(WorkspaceError, match="outside"):
        hostile.ws.resolve(path)
    with pytest.raises(WorkspaceError):
        hostile.ws.archive(path)


def _zip_leaks(result: ArchiveResult) -> Iterator[str]:
    """Names or contents in the zip that came from outside the workspace."""
    with zipfile.ZipFile(result.path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if SECRET in data or b"root:" in data or "secret" in name or "etc" in name.split("/"):
                yield name


@pytest.mark.parametrize("directory", [".", "files", "files/cats", "files/inside"])
def test_archive_never_zips_outside_content(hostile: Hostile, directory: str) -> None:
    result = hostile.ws.archive(directory)
    try:
        assert list(_zip_leaks(result)) == []
        names = _zip_names(result)
        assert not [name for name in names if name.startswith("/") or ".." in name.split("/")]
        if directory == "files":
            # The link that stays inside is zipped under its own name.
            assert "files/inside_file" in names
    finally:
        result.path.unlink()


@settings(max_examples=40, deadline=None)
@given(path=HOSTILE_PATHS)
def test_archive_property(hostile: Hostile, path: str) -> None:
    try:
        result = hostile.ws.archive(path)
    except WorkspaceError:
        return
    try:
        assert list(_zip_leaks(result)) == []
        _assert_safe(hostile.ws, result.path)
    finally:
        result.path.unlink()


@settings(max_examples=100, deadline=None)
@given(filename=HOSTILE_PATHS, directory=st.sampled_from(["files/uploads", "files/cats", "datasets"]))
def test_write_new_file_property(hostile: Hostile, filename: str, directory: str) -> None:
    path = hostile.ws.write_new_file(directory, filename, b"data")
    try:
        assert path.parent == hostile.ws.resolve(directory, kind="dir")
        assert not path.name.startswith(".")
        assert "/" not in path.name and "\\" not in path.name
        assert path.read_bytes() == b"data"
        assert hostile.ws.resolve(hostile.ws.relative(path), kind="file") == path
    finally:
        path.unlink()
