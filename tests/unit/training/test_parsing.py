"""Tests for trainer_bot.training.parsing: every format, every refusal (with line numbers) and folders."""

from __future__ import annotations

import codecs
import hashlib
import json
import pickle
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer_bot.ml.examples import Example, Pair
from trainer_bot.training.parsing import (
    MAX_PROBLEMS,
    SUPPORTED_SUFFIXES,
    DatasetError,
    DatasetLimits,
    ParsedDataset,
    checksum,
    label_from_positive,
    parse_bytes,
    parse_directory,
    parse_inline,
)

DEFAULT = "unlabelled"


def parse(text: str | bytes, filename: str, **kwargs: object) -> ParsedDataset:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bytes(data, filename, default_label=DEFAULT, **kwargs)  # type: ignore[arg-type]


def refusal(text: str | bytes, filename: str, **kwargs: object) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        parse(text, filename, **kwargs)
    return info.value


# ---------------------------------------------------------------------- small helpers


def test_label_from_positive() -> None:
    assert label_from_positive(True) == "positive"
    assert label_from_positive(False) == "negative"


def test_checksum_is_sha256_hex() -> None:
    assert checksum(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_parsed_dataset_len_counts_merge() -> None:
    first = ParsedDataset([Example("a", "x"), Example("b", "y"), Example("c", "x")], [])
    second = ParsedDataset([Example("d", "y")], [Pair("p", "r")])
    merged = first.merge(second)
    assert len(merged) == 5
    assert merged.label_counts() == {"x": 2, "y": 2}
    assert list(first.label_counts()) == ["x", "y"]  # most common first
    assert len(first) == 3  # merge does not mutate


def test_dataset_error_summary_and_cap() -> None:
    error = DatasetError("`f.csv`", [f"line {n}: bad" for n in range(1, 15)])
    assert len(error.problems) == MAX_PROBLEMS
    assert error.total == 14
    assert error.more == 4
    text = str(error)
    assert text.startswith("`f.csv` can't be used (14 problems):")
    assert "line 10: bad" in text and "line 11: bad" not in text
    assert text.endswith("…and 4 more.")


def test_dataset_error_pickles() -> None:
    error = DatasetError("`f.csv`", ["line 1: bad", "line 2: bad"], 7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.source, copy.problems, copy.total, str(copy)) == (
        error.source,
        error.problems,
        error.total,
        str(error),
    )


def test_default_label_must_not_be_empty() -> None:
    with pytest.raises(ValueError):
        parse_bytes(b"hello", "a.txt", default_label="  ")


# ---------------------------------------------------------------------- CSV


def test_csv_text_and_label() -> None:
    parsed = parse("text,label\nI love it,positive\nawful, negative \n", "r.csv")
    assert parsed.examples == [Example("I love it", "positive"), Example("awful", "negative")]
    assert parsed.pairs == []


def test_csv_text_only_takes_default_label() -> None:
    assert parse("text\nhello\nworld\n", "r.csv").examples == [
        Example("hello", DEFAULT),
        Example("world", DEFAULT),
    ]


def test_csv_empty_label_cell_takes_default() -> None:
    assert parse("text,label\nhello,\n", "r.csv").examples == [Example("hello", DEFAULT)]


def test_csv_header_is_case_and_space_insensitive_and_extra_columns_ignored() -> None:
    parsed = parse(" ID , Label ,TEXT \n1,cat,meow\n", "r.csv")
    assert parsed.examples == [Example("meow", "cat")]


def test_csv_quoted_fields_with_newlines_and_commas() -> None:
    parsed = parse('text,label\n"line one\nline two, still",a\n"say ""hi""",b\n', "r.csv")
    assert parsed.examples == [Example("line one\nline two, still", "a"), Example('say "hi"', "b")]


def test_csv_crlf_and_blank_lines() -> None:
    # Rows whose cells are all empty (",") count as blank lines, not as empty examples.
    parsed = parse("text,label\r\n\r\nhello,a\r\n,\r\nworld,b\r\n", "r.csv")
    assert [example.text for example in parsed.examples] == ["hello", "world"]


def test_csv_prompt_response_pairs() -> None:
    parsed = parse("Prompt,Response\nhi,hello there\nbye,see you\n", "chat.csv")
    assert parsed.pairs == [Pair("hi", "hello there"), Pair("bye", "see you")]
    assert parsed.examples == []
    assert len(parsed) == 2


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_semicolon_and_tab_delimiters(delimiter: str) -> None:
    parsed = parse(f"text{delimiter}label\nhello, world{delimiter}a\n", "r.csv")
    assert parsed.examples == [Example("hello, world", "a")]


def test_csv_missing_text_column() -> None:
    error = refusal("body,label\nhello,a\n", "r.csv")
    assert error.problems == [
        "line 1: the header needs a `text` column (and optionally `label`), "
        "or `prompt` and `response` columns; found `body`, `label`"
    ]


def test_csv_prompt_without_response() -> None:
    assert refusal("prompt\nhi\n", "r.csv").problems[0].startswith("line 1: the header needs")


def test_csv_both_text_and_prompt_is_ambiguous() -> None:
    assert "both `text` and `prompt`" in refusal("text,prompt,response\na,b,c\n", "r.csv").problems[0]


def test_csv_repeated_column() -> None:
    assert refusal("text,Text\na,b\n", "r.csv").problems == ["line 1: the header repeats the column `text`"]


def test_csv_row_problems_have_line_numbers() -> None:
    text = 'text,label\nok,a\n,b\n"multi\nline",a,extra\nfine,a\nshort\n   ,a\n'
    error = refusal(text, "r.csv")
    assert error.problems == [
        "line 3: the `text` column is empty",
        "line 4: expected 2 columns but found 3",
        "line 7: expected 2 columns but found 1",
        "line 8: the `text` column is empty",
    ]
    assert error.total == 4
    assert str(error).startswith("`r.csv` can't be used (4 problems):")


def test_csv_unterminated_quote() -> None:
    error = refusal('text\nok\n"never closed\nmore\n', "r.csv")
    assert error.problems[0].startswith("line 3: the CSV could not be read")


def test_csv_huge_cell_is_reported() -> None:
    error = refusal("text\n" + "x" * 200_000 + "\n", "r.csv")
    assert error.problems == ["line 2: a cell is far too long"]


def test_csv_header_only_has_no_examples() -> None:
    assert refusal("text,label\n", "r.csv").problems == ["the file has no examples"]


# ---------------------------------------------------------------------- JSON


def test_json_list_of_objects() -> None:
    data = json.dumps(
        [{"text": "a", "label": "x"}, {"Text": " b ", "LABEL": None}, {"text": "c", "label": 3}]
    )
    assert parse(data, "d.json").examples == [Example("a", "x"), Example("b", DEFAULT), Example("c", "3")]


def test_json_list_of_strings() -> None:
    assert parse('["one", "two"]', "d.json").examples == [Example("one", DEFAULT), Example("two", DEFAULT)]


def test_json_single_object_and_pairs() -> None:
    assert parse('{"text": "only", "label": "l"}', "d.json").examples == [Example("only", "l")]
    parsed = parse('[{"prompt": "hi", "response": "hey"}, {"text": "t"}]', "d.json")
    assert parsed.pairs == [Pair("hi", "hey")]
    assert parsed.examples == [Example("t", DEFAULT)]


def test_json_syntax_error_has_line_and_column() -> None:
    error = refusal('[\n  {"text": "a"},\n  {"text": }\n]', "d.json")
    assert error.problems == ["line 3, column 12: invalid JSON (Expecting value)"]


def test_json_item_problems_name_their_line() -> None:
    data = '[\n  {"text": "ok"},\n  {"text": 5},\n  {"label": "x"},\n  [1],\n  {"prompt": "p"},\n  {"text": "a", "label": true}\n]'
    assert refusal(data, "d.json").problems == [
        "line 3: `text` must be text, not a number",
        "line 4: needs a `text` key (and optionally `label`), or `prompt` and `response`",
        "line 5: expected an object with `text` (or `prompt` and `response`), not a list",
        "line 6: `response` is missing",
        "line 7: `label` must be text, not true/false",
    ]


def test_json_items_on_one_line_share_it() -> None:
    assert refusal('["ok", "", 3]', "d.json").problems == [
        "line 1: the `text` value is empty",
        "line 1: expected an object with `text` (or `prompt` and `response`), not a number",
    ]


@pytest.mark.parametrize("data", ["[]", "{}", "42", "null"])
def test_json_without_examples(data: str) -> None:
    assert refusal(data, "d.json").problems


def test_json_too_deep_is_refused_not_crashing() -> None:
    assert refusal("[" * 100_000 + "]" * 100_000, "d.json").problems


# ---------------------------------------------------------------------- JSONL


def test_jsonl_objects_and_strings() -> None:
    data = '{"text": "a", "label": "x"}\n\n"b"\r\n{"prompt": "p", "response": "r"}\n'
    parsed = parse(data, "d.jsonl")
    assert parsed.examples == [Example("a", "x"), Example("b", DEFAULT)]
    assert parsed.pairs == [Pair("p", "r")]


def test_jsonl_keeps_unicode_line_separators_inside_strings() -> None:
    assert parse('"a\u2028b"\n', "d.jsonl").examples == [Example("a\u2028b", DEFAULT)]


def test_jsonl_errors_name_the_line() -> None:
    data = '{"text": "a"}\n{"text": \n\n{"text": ""}\n[1, 2]\n'
    assert refusal(data, "d.jsonl").problems == [
        "line 2: invalid JSON (Expecting value at column 10)",
        "line 4: the `text` value is empty",
        "line 5: expected an object with `text` (or `prompt` and `response`), not a list",
    ]


# ---------------------------------------------------------------------- TXT and inline


def test_txt_one_example_per_line() -> None:
    parsed = parse("first\n\n  second  \r\nthird", "notes.TXT")
    assert parsed.examples == [
        Example("first", DEFAULT),
        Example("second", DEFAULT),
        Example("third", DEFAULT),
    ]


def test_inline_uses_default_label() -> None:
    assert parse_inline("a\n\nb\n", default_label=" spam ").examples == [
        Example("a", "spam"),
        Example("b", "spam"),
    ]


def test_inline_refusals() -> None:
    with pytest.raises(DatasetError, match="your message can't be used: the message has no examples"):
        parse_inline("\n  \n", default_label="x")
    with pytest.raises(DatasetError) as info:
        parse_inline("ok\n" + "x" * 11, default_label="x", limits=DatasetLimits(max_example_chars=10))
    assert info.value.problems == ["line 2: the line is 11 characters long (the limit is 10)"]
    with pytest.raises(DatasetError, match="over the"):
        parse_inline("x" * 100, default_label="x", limits=DatasetLimits(max_file_bytes=10))


# ---------------------------------------------------------------------- encoding


def test_bom_is_ignored_in_every_format() -> None:
    bom = codecs.BOM_UTF8
    assert parse(bom + b"text,label\nhi,a\n", "a.csv").examples == [Example("hi", "a")]
    assert parse(bom + b'["hi"]', "a.json").examples == [Example("hi", DEFAULT)]
    assert parse(bom + b'"hi"\n', "a.jsonl").examples == [Example("hi", DEFAULT)]
    assert parse(bom + b"hi\n", "a.txt").examples == [Example("hi", DEFAULT)]


def test_invalid_utf8_names_line_and_offset() -> None:
    error = refusal(b"text\nfine\nbad \xff here\n", "a.csv")
    assert error.problems == [
        "line 3: the file is not valid UTF-8 (bad byte at offset 14); save it as UTF-8",
    ]


def test_invalid_utf8_offset_counts_the_bom() -> None:
    error = refusal(codecs.BOM_UTF8 + b"\xc3", "a.txt")
    assert "offset 3" in error.problems[0]


# ---------------------------------------------------------------------- limits and refusals


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_has_no_examples(suffix: str) -> None:
    error = refusal(b"", f"empty{suffix}")
    assert error.problems == ["the file has no examples"] or error.problems[0].startswith("line 1")


def test_empty_txt_message() -> None:
    assert str(refusal(b"\n\n", "e.txt")) == "`e.txt` can't be used: the file has no examples."


@pytest.mark.parametrize("filename", ["data.xlsx", "README", "archive.csv.gz"])
def test_unsupported_suffix_names_supported_ones(filename: str) -> None:
    message = str(refusal(b"text\nhi\n", filename))
    assert "aren't supported" in message
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message


def test_suffix_is_case_insensitive() -> None:
    assert len(parse("text\nhi\n", "DATA.CSV")) == 1


def test_size_limit_refuses_before_decoding() -> None:
    limits = DatasetLimits(max_file_bytes=10)
    error = refusal(b"\xff" * 11, "big.txt", limits=limits)
    assert error.problems == ["the file is 11 bytes, over the 10 bytes limit"]
    assert len(parse(b"x" * 10, "ok.txt", limits=limits)) == 1


def test_too_long_example_refuses_whole_file() -> None:
    limits = DatasetLimits(max_example_chars=5)
    error = refusal("text\nshort\ntoo long\nok\n", "a.csv", limits=limits)
    assert error.problems == ["line 3: the `text` column is 8 characters long (the limit is 5)"]


def test_too_long_pair_is_refused() -> None:
    limits = DatasetLimits(max_example_chars=5)
    error = refusal('{"prompt": "p", "response": "far too long"}\n', "a.jsonl", limits=limits)
    assert error.problems == ["line 1: the `response` value is 12 characters long (the limit is 5)"]


def test_too_many_labels() -> None:
    rows = "\n".join(f"t{n},label{n}" for n in range(4))
    error = refusal("text,label\n" + rows, "a.csv", limits=DatasetLimits(max_labels=3))
    assert error.problems == ["there are 4 different labels (at most 3 are allowed)"]
    assert len(parse("text,label\n" + rows, "a.csv", limits=DatasetLimits(max_labels=4))) == 4


def test_too_long_label() -> None:
    error = refusal("text,label\nhi," + "l" * 11 + "\n", "a.csv", limits=DatasetLimits(max_label_chars=10))
    assert error.problems == ["line 2: the label is longer than 10 characters"]


def test_too_many_examples_stops_early() -> None:
    error = refusal("a\nb\nc\nd\n", "a.txt", limits=DatasetLimits(max_examples=2))
    assert error.problems == ["there are more than 2 examples"]


def test_problems_are_capped_with_a_count() -> None:
    error = refusal("text,label\n" + ",a\n" * 25, "a.csv")
    assert len(error.problems) == MAX_PROBLEMS
    assert error.total == 25
    assert error.problems[0] == "line 2: the `text` column is empty"
    assert str(error).endswith("…and 15 more.")


def test_error_quotes_only_the_file_name_safely() -> None:
    error = refusal(b"", "some/dir/`weird`.txt")
    assert str(error).startswith("`'weird'.txt` can't be used")


# ---------------------------------------------------------------------- directories


def _mixed_dir(root: Path) -> Path:
    root.mkdir()
    (root / "b.txt").write_text("plain line\n")
    (root / "a.csv").write_text("text,label\nfrom csv,cat\n")
    (root / "sub").mkdir()
    (root / "sub" / "c.jsonl").write_text('{"text": "from jsonl", "label": "dog"}\n')
    (root / "sub" / "d.json").write_text('[{"prompt": "p", "response": "r"}]')
    (root / "notes.md").write_text("ignored")
    (root / "empty.txt").write_text("")
    (root / ".hidden.txt").write_text("hidden\n")
    return root


def test_parse_directory_reads_every_supported_file_sorted(tmp_path: Path) -> None:
    parsed = parse_directory(_mixed_dir(tmp_path / "data"), default_label=DEFAULT)
    assert parsed.examples == [
        Example("from csv", "cat"),
        Example("plain line", DEFAULT),
        Example("from jsonl", "dog"),
    ]
    assert parsed.pairs == [Pair("p", "r")]


@pytest.mark.skipif(sys.platform == "win32", reason="needs symlinks")
def test_parse_directory_skips_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret\n")
    data = _mixed_dir(tmp_path / "data")
    (data / "link.txt").symlink_to(outside / "secret.txt")
    (data / "linkdir").symlink_to(outside)
    parsed = parse_directory(data, default_label=DEFAULT)
    assert "secret" not in [example.text for example in parsed.examples]


def test_parse_directory_refuses_whole_folder_with_file_prefixes(tmp_path: Path) -> None:
    data = _mixed_dir(tmp_path / "data")
    (data / "sub" / "bad.csv").write_text("text,label\nok,a\n,b\n")
    with pytest.raises(DatasetError) as info:
        parse_directory(data, default_label=DEFAULT)
    assert info.value.problems == ["sub/bad.csv: line 3: the `text` column is empty"]
    assert str(info.value).startswith("`data` can't be used")


def test_parse_directory_without_data_files(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.md").write_text("x")
    with pytest.raises(DatasetError, match=r"has no \.csv"):
        parse_directory(tmp_path / "d", default_label=DEFAULT)


def test_parse_directory_with_only_empty_files(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("")
    with pytest.raises(DatasetError, match="the folder has no examples"):
        parse_directory(tmp_path / "d", default_label=DEFAULT)


def test_parse_directory_total_size_limit(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    for index in range(5):
        (data / f"{index}.txt").write_text("x" * 9 + "\n")
    with pytest.raises(DatasetError, match="over the"):
        parse_directory(data, default_label=DEFAULT, limits=DatasetLimits(max_file_bytes=10))


def test_parse_directory_limits_apply_across_files(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "a.csv").write_text("text,label\na,one\nb,two\n")
    (data / "b.csv").write_text("text,label\nc,three\n")
    with pytest.raises(DatasetError, match="3 different labels"):
        parse_directory(data, default_label=DEFAULT, limits=DatasetLimits(max_labels=2))


def test_parse_directory_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="could not be read"):
        parse_directory(tmp_path / "missing", default_label=DEFAULT)


# ---------------------------------------------------------------------- robustness


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_arbitrary_bytes_parse_or_refuse(data: bytes, suffix: str) -> None:
    try:
        parsed = parse_bytes(data, f"x{suffix}", default_label=DEFAULT)
    except DatasetError as exc:
        assert 1 <= len(exc.problems) <= MAX_PROBLEMS
        assert str(exc)
        return
    assert len(parsed) > 0
    assert all(example.text and example.label for example in parsed.examples)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_arbitrary_text_parse_or_refuse(text: str, suffix: str) -> None:
    try:
        parsed = parse_bytes(
            text.encode("utf-8", errors="surrogatepass"), f"x{suffix}", default_label=DEFAULT
        )
    except DatasetError:
        return
    assert all(example.text == example.text.strip() for example in parsed.examples)
