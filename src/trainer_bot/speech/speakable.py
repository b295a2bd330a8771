"""Turn a chat message into text worth reading aloud.

Discord markup (mentions, custom emoji, code, URLs, markdown) is noise when spoken: a synthesizer would
spell out snowflake ids and asterisks. Line breaks become sentence breaks so list items get a pause.
"""

from __future__ import annotations

import re

_CODE_BLOCK = re.compile(
    r"```.*?(?:```|\Z)", re.DOTALL
)  # an unclosed block runs to the end, as Discord shows it
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\(<?\S+?>?\)")
_URL = re.compile(r"<?\b(?:https?://|www\.)[^\s>]+>?", re.IGNORECASE)
# Custom emoji <:name:id> <a:name:id>, mentions <@id> <@!id> <@&id> <#id>, command mentions </name:id>,
# timestamps <t:unix> <t:unix:R>.
_DISCORD_TOKEN = re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+|/[\w -]+:\d+|t:-?\d+(?::[a-zA-Z])?)>")
_LINE_PREFIX = re.compile(r"^\s*(?:#{1,3}\s+|-#\s+|>>>\s*|>\s*|[-*+]\s+)")
_MARKERS = re.compile(r"\*{1,3}|~~|\|\||__|(?<!\w)_|_(?!\w)")
# Removing a mention from "hi <@1>, <@2>!" leaves stray punctuation behind; these tidy it up.
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[,.!?;:…])")
_DANGLING_PUNCTUATION = re.compile(r"[,;:]+(?=[,.!?;:…]|$)")
_SENTENCE_END = re.compile(r"[.!?…](?=\s|$)")
_SPEAKABLE = re.compile(r"\w")
_CLAUSE_PUNCTUATION = ".!?…:;,"


def clean_for_speech(text: str, max_chars: int) -> str:
    """The speakable part of `text`, at most `max_chars` long; empty when nothing speakable is left."""
    text = _CODE_BLOCK.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _DISCORD_TOKEN.sub(" ", text)
    lines = (_MARKERS.sub("", _LINE_PREFIX.sub("", line)) for line in text.splitlines())
    text = " ".join(_as_sentence(_tidy(line)) for line in lines if _SPEAKABLE.search(line))
    return _cap(text, max_chars)


def _tidy(line: str) -> str:
    line = _SPACE_BEFORE_PUNCTUATION.sub("", " ".join(line.split()))
    return _DANGLING_PUNCTUATION.sub("", line).lstrip(",;:. ")


def _as_sentence(line: str) -> str:
    return line if line.endswith(tuple(_CLAUSE_PUNCTUATION)) else line + "."


def spoken_parts(speakable: str, *, first_chars: int, part_chars: int) -> list[str]:
    """Already cleaned text in parts cut at sentence ends (else at whole words): the first at most
    `first_chars` long, so it can be heard while the rest is synthesised, the others `part_chars`."""
    parts: list[str] = []
    rest = speakable
    while rest:
        part = _cap(rest, part_chars if parts else first_chars)
        parts.append(part)
        rest = rest[len(part) :].lstrip()
    return parts


def _cap(text: str, max_chars: int) -> str:
    """Cut at the last sentence end that keeps at least half the budget, else at the last whole word."""
    if len(text) <= max_chars:
        return text
    head = text[: max_chars + 1]  # one extra character tells whether the last word is complete
    ends = [match.end() for match in _SENTENCE_END.finditer(head) if match.end() <= max_chars]
    if ends and ends[-1] >= max_chars // 2:
        return text[: ends[-1]]
    if not _SPEAKABLE.match(text[max_chars]):
        cut = text[:max_chars]  # the budget ends right after a whole word
    else:
        space = head.rfind(" ")
        cut = text[:space] if space > 0 else text[:max_chars]
    return cut.rstrip(" ,;:-–—")
