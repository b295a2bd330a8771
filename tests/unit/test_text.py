from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trainer_bot.text import human_size, split_message, truncate_message, without_mention


def test_short_text_is_one_message() -> None:
    assert split_message("hello\nworld") == ["hello\nworld"]


def test_splits_on_line_boundaries() -> None:
    lines = [f"{n:03d} " + "x" * 95 for n in range(50)]  # 99 characters a line
    chunks = split_message("\n".join(lines), limit=1000)
    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert [line for chunk in chunks for line in chunk.split("\n")] == lines


def test_overlong_line_is_cut_at_a_space() -> None:
    chunks = split_message("word " * 100, limit=50)
    assert all(len(chunk) <= 50 for chunk in chunks)
    assert " ".join(chunks).split() == ["word"] * 100


def test_blank_text_gives_no_messages() -> None:
    assert split_message("\n \n") == []


@given(st.text(), st.integers(min_value=5, max_value=300))
def test_no_chunk_exceeds_the_limit_and_no_word_is_lost(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join("".join(text.splitlines()).split())


def test_human_size() -> None:
    assert [str(human_size(n)) for n in (0, 1023, 4096, 25 * 1024**2, 3 * 1024**3)] == [
        "0 bytes",
        "1023 bytes",
        "4.0 KB",
        "25.0 MB",
        "3.0 GB",
    ]


def test_member_text_quoted_in_a_message_shows_as_typed() -> None:
    from trainer_bot.text import escape_markdown, inline_code

    typed = "**free nitro** at [link](http://x) ||spoiler|| <@123> # title `code`"
    escaped = escape_markdown(typed)
    assert "**" not in escaped.replace("\\*", "") and "\\[link\\]" in escaped and "\\<\\@123\\>" in escaped
    assert escape_markdown("plain words, no marks!") == "plain words, no marks!"
    assert inline_code("a`b\nc") == "`aˋb c`"


def test_text_that_no_database_could_store_is_cleaned() -> None:
    from trainer_bot.text import clean_text

    assert clean_text("a\ud800b\x00c") == "a\ufffdb\ufffdc"
    assert clean_text("Привет 🎵") == "Привет 🎵"


def test_mentions_of_the_bot_are_removed_and_others_kept() -> None:
    assert without_mention("<@42> what time is it <@!42>?", 42) == "what time is it ?"
    assert without_mention("ask <@7> about it", 42) == "ask <@7> about it"


def test_truncated_text_keeps_its_first_whole_lines_and_says_it_was_cut() -> None:
    lines = [f"line {n:03d} " + "x" * 90 for n in range(50)]
    cut = truncate_message("\n".join(lines), limit=1000)
    assert len(cut) <= 1000 and cut.endswith("\n…")
    assert cut.removesuffix("\n…").split("\n") == lines[: len(cut.split("\n")) - 1]
    assert truncate_message("short") == "short"
