"""Parse labelled examples (and prompt/response pairs) from members' files, folders and messages.

Formats are chosen by suffix: CSV with a header, JSON, JSONL and plain text. A malformed file is
refused whole: parsing goes on to collect every problem (so a member can fix them in one go), but
nothing partial is ever returned.

Decisions where there was room for choice:

* Text, prompts, responses and labels have surrounding whitespace stripped; an empty label takes the
  default label. Labels are compared exactly (``Cat`` and ``cat`` are different labels).
* A CSV whose first line has no comma but has ``;`` or a tab uses that as its delimiter (Excel in
  many locales writes ``;``). Extra CSV columns and extra JSON keys are ignored; having both ``text``
  and ``prompt``/``response`` is refused as ambiguous.
* JSON labels may be strings or integers (``1`` becomes ``"1"``); ``null`` takes the default label.
* In :func:`parse_directory`, files with no examples are skipped rather than refused, hidden names
  (starting with ``.``) and symlinks are skipped, and problems are prefixed with the file's path.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from trainer_bot.errors import UserError
from trainer_bot.fileio import READ_NO_FOLLOW
from trainer_bot.i18n import Message, number, t, tn
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.text import clean_text, human_size
from trainer_bot.training.texts import Part, joined, lines

if TYPE_CHECKING:
    from _csv import Reader

SUPPORTED_SUFFIXES = (".csv", ".json", ".jsonl", ".txt")
MAX_PROBLEMS = 10
MAX_DIRECTORY_FILES = 1000
# A folder may hold several files, but not unbounded data: its total is capped at this many files' worth.
DIRECTORY_SIZE_FACTOR = 4
_SNIPPET_CHARS = 40
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class DatasetLimits:
    max_file_bytes: int = 25 * 1024 * 1024
    max_example_chars: int = 4000
    max_examples: int = 200_000
    max_labels: int = 50
    max_label_chars: int = 100


_DEFAULT_LIMITS = DatasetLimits()


@dataclass
class ParsedDataset:
    examples: list[Example] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)

    def label_counts(self) -> dict[str, int]:
        """Examples per label, most common first (ties by label name)."""
        counts = Counter(example.label for example in self.examples)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def __len__(self) -> int:
        return len(self.examples) + len(self.pairs)

    def merge(self, other: ParsedDataset) -> ParsedDataset:
        return ParsedDataset([*self.examples, *other.examples], [*self.pairs, *other.pairs])


class DatasetError(UserError):
    """A refused file or folder. ``message`` is a summary meant for a Discord member, in their language.

    ``source`` is the human description used in the summary (e.g. "`cats.csv`" or "your message"),
    ``messages`` the first :data:`MAX_PROBLEMS` problems and ``total`` how many were found in all;
    ``problems`` is the same list in English, for logs and tests.
    """

    def __init__(self, source: Part, problems: Sequence[Part], total: int | None = None) -> None:
        self.source = source
        self.messages = list(problems[:MAX_PROBLEMS])
        self.total = max(total if total is not None else len(problems), len(self.messages))
        super().__init__(self._summary())

    @property
    def problems(self) -> list[str]:
        return [str(problem) for problem in self.messages]

    @property
    def more(self) -> int:
        return self.total - len(self.messages)

    def __reduce__(self) -> tuple[type[DatasetError], tuple[Part, list[Part], int]]:
        # The default reduce would call __init__ with the summary only; keep it picklable for
        # process pools.
        return (type(self), (self.source, self.messages, self.total))

    def _summary(self) -> Message:
        if not self.messages:
            return t("{source} can't be used.", source=self.source)
        if self.total == 1:
            return t("{source} can't be used: {problem}.", source=self.source, problem=self.messages[0])
        parts: list[Part] = [
            tn(
                "{source} can't be used ({count} problem):",
                "{source} can't be used ({count} problems):",
                self.total,
                source=self.source,
            )
        ]
        parts += [joined(["• ", problem]) for problem in self.messages]
        if self.more:
            parts.append(t("…and {count} more.", count=self.more))
        return lines(parts)


def label_from_positive(positive: bool) -> str:
    return "positive" if positive else "negative"


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_bytes(
    data: bytes, filename: str, *, default_label: str, limits: DatasetLimits = _DEFAULT_LIMITS
) -> ParsedDataset:
    """Parse one uploaded file; raises DatasetError naming every problem found."""
    return _parse_file(data, filename, _clean_default(default_label), limits, require_examples=True)


def parse_inline(text: str, *, default_label: str, limits: DatasetLimits = _DEFAULT_LIMITS) -> ParsedDataset:
    """One example per non-empty line of a message, all with the default label."""
    source = t("your message")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_file_bytes:
        raise DatasetError(source, [_too_big(size, limits.max_file_bytes)])
    builder = _Builder(_clean_default(default_label), limits)
    _parse_txt(text, builder)
    return builder.finish(source, empty=t("the message has no examples"))


UNLABELLED = ""
"""The label of a test example given without one (a dataset's examples always get a label)."""


def parse_test_bytes(data: bytes, filename: str, *, limits: DatasetLimits = _DEFAULT_LIMITS) -> list[Example]:
    """A test set from a file in any format /train reads; examples without a label get UNLABELLED."""
    parsed = _parse_file(data, filename, UNLABELLED, limits, require_examples=True)
    return _test_examples(parsed, _quote(PurePath(filename).name or filename))


def parse_test_json(text: str, *, source: Part, limits: DatasetLimits = _DEFAULT_LIMITS) -> list[Example]:
    """A test set typed into a command option as JSON: a list of texts or of {text, label} objects."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_file_bytes:
        raise DatasetError(source, [_too_big(size, limits.max_file_bytes)])
    builder = _Builder(UNLABELLED, limits)
    _parse_json(text, builder)
    return _test_examples(builder.finish(source, empty=t("it has no examples")), source)


def _test_examples(parsed: ParsedDataset, source: Part) -> list[Example]:
    if parsed.pairs:
        raise DatasetError(source, [t("prompt/response pairs can't be tested: give `text` (and `label`)")])
    return parsed.examples


def parse_directory(
    directory: Path, *, default_label: str, limits: DatasetLimits = _DEFAULT_LIMITS
) -> ParsedDataset:
    """Every supported file under ``directory`` (recursively, sorted by path), merged."""
    default = _clean_default(default_label)
    source = _quote(directory.name or "folder")
    files = _dataset_files(directory, source)
    total_size = sum(size for _, _, size in files)
    if total_size > limits.max_file_bytes * DIRECTORY_SIZE_FACTOR:
        limit = limits.max_file_bytes * DIRECTORY_SIZE_FACTOR
        raise DatasetError(
            source,
            [
                t(
                    "the folder's files are {size}, over the {limit} limit",
                    size=human_size(total_size),
                    limit=human_size(limit),
                )
            ],
        )
    builder = _Builder(default, limits)
    for relative, path, _ in files:
        _add_directory_file(builder, relative, path)
        if builder.full:
            break
    return builder.finish(source, empty=t("the folder has no examples"))


# ---------------------------------------------------------------------- building


class _Problems:
    """Keeps the first few problems and counts the rest."""

    def __init__(self) -> None:
        self.kept: list[Part] = []
        self.total = 0

    def add(self, message: Part, count: int = 1) -> None:
        self.total += count
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(message)

    def __bool__(self) -> bool:
        return self.total > 0


class _Builder:
    """Validates records as parsers find them and collects examples, pairs and problems."""

    def __init__(self, default_label: str, limits: DatasetLimits) -> None:
        self.default_label = default_label
        self.limits = limits
        self.examples: list[Example] = []
        self.pairs: list[Pair] = []
        self.problems = _Problems()
        self.full = False  # parsers stop reading once the example limit is passed

    def problem(self, message: Part) -> None:
        self.problems.add(message)

    def example(self, where: Message, text: object, label: object = None, *, word: str = "value") -> None:
        """Add one example; ``word`` names what held the text in problems: column, value or line."""
        clean = self._text(where, "text", text, word)
        tag = self._label(where, label)
        if clean is not None and tag is not None and self._room():
            self.examples.append(Example(clean, tag))

    def pair(self, where: Message, prompt: object, response: object, *, word: str = "value") -> None:
        clean_prompt = self._text(where, "prompt", prompt, word)
        clean_response = self._text(where, "response", response, word)
        if clean_prompt is not None and clean_response is not None and self._room():
            self.pairs.append(Pair(clean_prompt, clean_response))

    def absorb(self, parsed: ParsedDataset) -> None:
        for example in parsed.examples:
            if self._room():
                self.examples.append(example)
        for pair in parsed.pairs:
            if self._room():
                self.pairs.append(pair)

    def finish(self, source: Part, *, empty: Message | None) -> ParsedDataset:
        """The parsed dataset, or DatasetError; ``empty`` is the problem for finding nothing (None: allowed)."""
        labels = {example.label for example in self.examples}
        if len(labels) > self.limits.max_labels:
            self.problem(
                t(
                    "there are {count} different labels (at most {limit} are allowed)",
                    count=number(len(labels), 0),
                    limit=self.limits.max_labels,
                )
            )
        if empty is not None and not self.problems and not self.examples and not self.pairs:
            self.problem(empty)
        if self.problems:
            raise DatasetError(source, self.problems.kept, self.problems.total)
        return ParsedDataset(self.examples, self.pairs)

    def _text(self, where: Message, name: str, value: object, word: str) -> str | None:
        if not isinstance(value, str):
            self.problem(_not_text(where, name, value))
            return None
        clean = clean_text(value).strip()
        if not clean:
            self.problem(_empty(where, name, word))
            return None
        if len(clean) > self.limits.max_example_chars:
            self.problem(_too_long(where, name, word, len(clean), self.limits.max_example_chars))
            return None
        return clean

    def _label(self, where: Message, value: object) -> str | None:
        if value is None:
            return self.default_label
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.problem(_not_text(where, "label", value))
            return None
        clean = clean_text(str(value)).strip()
        if len(clean) > self.limits.max_label_chars:
            limit = self.limits.max_label_chars
            self.problem(
                tn(
                    "{where}: the label is longer than {count} character",
                    "{where}: the label is longer than {count} characters",
                    limit,
                    where=where,
                )
            )
            return None
        return clean or self.default_label

    def _room(self) -> bool:
        if len(self.examples) + len(self.pairs) < self.limits.max_examples:
            return True
        if not self.full:
            self.problem(t("there are more than {limit} examples", limit=number(self.limits.max_examples, 0)))
            self.full = True
        return False


# ---------------------------------------------------------------------- files


def _parse_file(
    data: bytes, filename: str, default_label: str, limits: DatasetLimits, *, require_examples: bool
) -> ParsedDataset:
    name = PurePath(filename).name or filename
    source = _quote(name)
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DatasetError(source, [_unsupported(suffix)])
    # Refuse before decoding, so a huge upload costs nothing more than its length check.
    if len(data) > limits.max_file_bytes:
        raise DatasetError(
            source,
            [
                t(
                    "the file is {size}, over the {limit} limit",
                    size=human_size(len(data)),
                    limit=human_size(limits.max_file_bytes),
                )
            ],
        )
    text = _decode(data, source)
    builder = _Builder(default_label, limits)
    _PARSERS[suffix](text, builder)
    return builder.finish(source, empty=t("the file has no examples") if require_examples else None)


def _unsupported(suffix: str) -> Message:
    formats = ", ".join(SUPPORTED_SUFFIXES)
    if not suffix:
        return t("files without an extension aren't supported; use {formats}", formats=formats)
    return t("`{suffix}` files aren't supported; use {formats}", suffix=_snippet(suffix), formats=formats)


def _decode(data: bytes, source: str) -> str:
    offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        position = exc.start + offset
        line = data.count(b"\n", 0, position) + 1
        problem = t(
            "{where}: the file is not valid UTF-8 (bad byte at offset {position}); save it as UTF-8",
            where=_line(line),
            position=position,
        )
        raise DatasetError(source, [problem]) from None


def _parse_txt(text: str, builder: _Builder) -> None:
    for line_number, line in enumerate(text.split("\n"), start=1):
        if builder.full:
            return
        if line.strip():
            builder.example(_line(line_number), line, word="line")


def _parse_jsonl(text: str, builder: _Builder) -> None:
    # split("\n"), not splitlines(): U+2028 and friends are legal inside JSON strings.
    for line_number, line in enumerate(text.split("\n"), start=1):
        if builder.full:
            return
        if not line.strip():
            continue
        where = _line(line_number)
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            # exc.msg is Python's own English ("Expecting value"): quoted as it is.
            builder.problem(
                t(
                    "{where}: invalid JSON ({error} at column {column})",
                    where=where,
                    error=exc.msg,
                    column=exc.colno,
                )
            )
            continue
        except (ValueError, RecursionError):
            builder.problem(t("{where}: invalid JSON (too deeply nested or a number too large)", where=where))
            continue
        _add_record(builder, where, value)


def _parse_json(text: str, builder: _Builder) -> None:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        builder.problem(
            t(
                "line {line}, column {column}: invalid JSON ({error})",
                line=exc.lineno,
                column=exc.colno,
                error=exc.msg,
            )
        )
        return
    except (ValueError, RecursionError):
        builder.problem(t("the JSON could not be read (too deeply nested or a number too large)"))
        return
    if not isinstance(value, list):
        start = _JSON_WHITESPACE.match(text, 0)
        line = text.count("\n", 0, start.end() if start else 0) + 1
        _add_record(builder, _line(line), value)
        return
    for line, item in zip(_array_item_lines(text), value, strict=True):
        if builder.full:
            return
        _add_record(builder, _line(line), item)


def _array_item_lines(text: str) -> Iterator[int]:
    """Line on which each item of a top-level JSON array starts (the text is known to be valid)."""
    decoder = json.JSONDecoder()
    position = _skip_json_whitespace(text, 0) + 1  # just past the "["
    line, counted = 1, 0
    while True:
        position = _skip_json_whitespace(text, position)
        if text[position] == "]":
            return
        line += text.count("\n", counted, position)
        counted = position
        yield line
        _, position = decoder.raw_decode(text, position)
        position = _skip_json_whitespace(text, position)
        if text[position] == ",":
            position += 1


def _skip_json_whitespace(text: str, position: int) -> int:
    match = _JSON_WHITESPACE.match(text, position)
    return match.end() if match else position


def _add_record(builder: _Builder, where: Message, value: object) -> None:
    """One JSON record: a string (text with the default label) or an object."""
    if isinstance(value, str):
        builder.example(where, value)
        return
    if not isinstance(value, dict):
        builder.problem(
            t(
                "{where}: expected an object with `text` (or `prompt` and `response`), not {type}",
                where=where,
                type=_json_type(value),
            )
        )
        return
    keys = {str(key).strip().lower(): item for key, item in value.items()}
    has_pair_key = "prompt" in keys or "response" in keys
    if "text" in keys and has_pair_key:
        builder.problem(t("{where}: use either `text` or `prompt` and `response`, not both", where=where))
    elif "text" in keys:
        builder.example(where, keys["text"], keys.get("label"))
    elif "prompt" in keys and "response" in keys:
        builder.pair(where, keys["prompt"], keys["response"])
    elif has_pair_key:
        missing = "response" if "prompt" in keys else "prompt"
        builder.problem(t("{where}: `{key}` is missing", where=where, key=missing))
    else:
        builder.problem(
            t("{where}: needs a `text` key (and optionally `label`), or `prompt` and `response`", where=where)
        )


# ---------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _CsvLayout:
    width: int
    text: int | None = None
    label: int | None = None
    prompt: int | None = None
    response: int | None = None


def _parse_csv(text: str, builder: _Builder) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_guess_delimiter(text), strict=True)
    rows = _csv_rows(reader, builder)
    header = next(rows, None)
    if header is None:
        return
    layout = _csv_layout(header[0], header[1], builder)
    if layout is None:
        return
    for start, row in rows:
        if builder.full:
            return
        _add_csv_row(builder, layout, _line(start), row)


def _guess_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    if "," in header:
        return ","
    if ";" in header:
        return ";"
    return "\t" if "\t" in header else ","


def _csv_rows(reader: Reader, builder: _Builder) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on (quoted cells may span lines)."""
    last_line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            builder.problem(joined([_line(last_line + 1), ": ", _csv_error(exc)]))
            return
        start, last_line = last_line + 1, reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row


def _csv_error(exc: csv.Error) -> Message:
    message = str(exc)
    if "field larger than field limit" in message:
        return t("a cell is far too long")
    # The csv module's own English detail, quoted as it is.
    return t("the CSV could not be read ({detail})", detail=_snippet(message))


def _csv_layout(line: int, header: list[str], builder: _Builder) -> _CsvLayout | None:
    names = [cell.strip().lower() for cell in header]
    repeated = sorted(name for name, count in Counter(names).items() if name and count > 1)
    where = _line(line)
    if repeated:
        builder.problem(
            t("{where}: the header repeats the column `{column}`", where=where, column=_snippet(repeated[0]))
        )
        return None
    index = {name: position for position, name in enumerate(names)}
    if "text" in index and ("prompt" in index or "response" in index):
        builder.problem(
            t(
                "{where}: the header has both `text` and `prompt`/`response` columns; use one kind",
                where=where,
            )
        )
        return None
    if "text" in index:
        return _CsvLayout(width=len(names), text=index["text"], label=index.get("label"))
    if "prompt" in index and "response" in index:
        return _CsvLayout(width=len(names), prompt=index["prompt"], response=index["response"])
    found = ", ".join(f"`{_snippet(name)}`" for name in names[:5] if name) or t("no column names")
    builder.problem(
        t(
            "{where}: the header needs a `text` column (and optionally `label`), "
            "or `prompt` and `response` columns; found {found}",
            where=where,
            found=found,
        )
    )
    return None


def _add_csv_row(builder: _Builder, layout: _CsvLayout, where: Message, row: list[str]) -> None:
    if len(row) != layout.width:
        builder.problem(
            t(
                "{where}: expected {expected} columns but found {found}",
                where=where,
                expected=layout.width,
                found=len(row),
            )
        )
    elif layout.text is not None:
        label = row[layout.label] if layout.label is not None else None
        builder.example(where, row[layout.text], label, word="column")
    elif layout.prompt is not None and layout.response is not None:
        builder.pair(where, row[layout.prompt], row[layout.response], word="column")


_PARSERS: dict[str, Callable[[str, _Builder], None]] = {
    ".csv": _parse_csv,
    ".json": _parse_json,
    ".jsonl": _parse_jsonl,
    ".txt": _parse_txt,
}


# ---------------------------------------------------------------------- folders


def _dataset_files(directory: Path, source: Part) -> list[tuple[str, Path, int]]:
    """(relative posix path, path, size) of supported files, sorted; symlinks and hidden names skipped."""
    found: list[tuple[str, Path, int]] = []
    stack: list[tuple[str, str]] = [(str(directory), "")]
    while stack:
        folder, prefix = stack.pop()
        for entry in _scan(folder, source):
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            relative = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, f"{relative}/"))
            elif (
                entry.is_file(follow_symlinks=False)
                and PurePath(entry.name).suffix.lower() in SUPPORTED_SUFFIXES
            ):
                found.append((relative, Path(entry.path), entry.stat(follow_symlinks=False).st_size))
                if len(found) > MAX_DIRECTORY_FILES:
                    raise DatasetError(
                        source, [t("the folder has more than {limit} data files", limit=MAX_DIRECTORY_FILES)]
                    )
    if not found:
        formats = ", ".join(SUPPORTED_SUFFIXES)
        raise DatasetError(source, [t("the folder has no {formats} files", formats=formats)])
    found.sort()
    return found


def _scan(folder: str, source: Part) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        raise DatasetError(source, [t("the folder could not be read")]) from None


def _add_directory_file(builder: _Builder, relative: str, path: Path) -> None:
    """Parse one file of a folder into the builder, prefixing its problems with its path."""
    try:
        data = _read_limited(path, builder.limits.max_file_bytes)
    except OSError:
        builder.problem(joined([relative, ": ", t("the file could not be read")]))
        return
    try:
        parsed = _parse_file(data, relative, builder.default_label, builder.limits, require_examples=False)
    except DatasetError as exc:
        for problem in exc.messages:
            builder.problem(joined([relative, ": ", problem]))
        if exc.more:
            builder.problems.add(
                joined([relative, ": ", t("…and {count} more", count=exc.more)]), count=exc.more
            )
        return
    builder.absorb(parsed)


def _read_limited(path: Path, limit: int) -> bytes:
    """Read at most one byte past the limit, so a file that grew is still refused cheaply."""
    fd = os.open(path, READ_NO_FOLLOW)
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit + 1)


# ---------------------------------------------------------------------- text helpers


def _clean_default(label: str) -> str:
    clean = label.strip()
    if not clean:
        raise ValueError("default_label must not be empty")
    return clean


def _quote(name: str) -> str:
    return f"`{_snippet(name, 80)}`"


def _snippet(text: str, limit: int = _SNIPPET_CHARS) -> str:
    """Member-supplied text made safe to quote: printable, backtick-free, short."""
    cleaned = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text).replace(
        "`", "'"
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _json_type(value: object) -> Part:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return t("a number")
    if isinstance(value, list):
        return t("a list")
    if isinstance(value, dict):
        return t("an object")
    return t("text") if isinstance(value, str) else type(value).__name__


def _line(line: int) -> Message:
    """Where in a file a problem is: every problem names its line."""
    return t("line {line}", line=line)


def _too_big(size: int, limit: int) -> Message:
    """A message or test set typed into a command that is over the size limit."""
    return t("it is {size}, over the {limit} limit", size=human_size(size), limit=human_size(limit))


def _not_text(where: Message, name: str, value: object) -> Message:
    return t("{where}: `{name}` must be text, not {type}", where=where, name=name, type=_json_type(value))


def _empty(where: Message, name: str, word: str) -> Message:
    """`word` says what held the text: a line, a CSV column or a JSON value (Russian genders differ)."""
    if word == "line":
        return t("{where}: the line is empty", where=where)
    if word == "column":
        return t("{where}: the `{name}` column is empty", where=where, name=name)
    return t("{where}: the `{name}` value is empty", where=where, name=name)


def _too_long(where: Message, name: str, word: str, length: int, limit: int) -> Message:
    fields = {"where": where, "name": name, "length": number(length, 0), "limit": number(limit, 0)}
    if word == "line":
        return tn(
            "{where}: the line is {length} character long (the limit is {limit})",
            "{where}: the line is {length} characters long (the limit is {limit})",
            length,
            **fields,
        )
    if word == "column":
        return tn(
            "{where}: the `{name}` column is {length} character long (the limit is {limit})",
            "{where}: the `{name}` column is {length} characters long (the limit is {limit})",
            length,
            **fields,
        )
    return tn(
        "{where}: the `{name}` value is {length} character long (the limit is {limit})",
        "{where}: the `{name}` value is {length} characters long (the limit is {limit})",
        length,
        **fields,
    )
