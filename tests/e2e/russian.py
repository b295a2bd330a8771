"""What a Russian-speaking member reads must be Russian: an English word in it fails the test.

Left out of the check: code (spans and blocks), URLs, Discord's mentions and timestamps, file names, model
versions, the names Russian uses as they are (Discord, CSV, JSON, macro-F1), and what the test itself supplied
(`allowed`: its labels, a transcript of English speech).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_PROSE = [
    re.compile(r"```.*?(?:```|\Z)", re.DOTALL),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"<?https?://[^\s>]+>?", re.IGNORECASE),
    # <@id> <#id> <@&id> <:emoji:id> </command:id> <t:unix:R>
    re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+|/[^:>]+:\d+|t:-?\d+(?::[a-zA-Z])?)>"),
    re.compile(r"[\w./-]+\.(?:csv|jsonl?|txt|png|ogg|zip)\b", re.IGNORECASE),
    re.compile(r"\bv\d{4}(?:-[0-9A-Za-z]+)*"),
]
_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
_RUSSIAN_LETTER = re.compile(r"[А-Яа-яЁё]")
# Names a Russian text uses as they are (brands, formats, a metric).
RUSSIAN_AS_IS = frozenset({"discord", "csv", "json", "jsonl", "txt", "macro", "utf"})


def english_words(text: str, allowed: Iterable[str] = ()) -> list[str]:
    """The English words of `text` outside code, links, file names, versions and `allowed`'s words."""
    for pattern in _NOT_PROSE:
        text = pattern.sub(" ", text)
    known = RUSSIAN_AS_IS | {word.lower() for phrase in allowed for word in _ENGLISH_WORD.findall(phrase)}
    return [word for word in _ENGLISH_WORD.findall(text) if word.lower() not in known]


def assert_russian(text: str, *, allowed: Iterable[str] = ()) -> None:
    """Fails on English in `text`, and on text with no Russian at all (an empty or code-only answer)."""
    words = english_words(text, allowed)
    assert not words, f"English {words} in what a Russian member reads: {text!r}"
    assert _RUSSIAN_LETTER.search(text), f"no Russian in what a Russian member reads: {text!r}"
