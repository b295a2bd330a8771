"""Fitting text into Discord messages."""

from __future__ import annotations

import re

from trainer_bot.i18n import Message, t, tn

DISCORD_MESSAGE_LIMIT = 2000
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
# Characters Discord's Markdown gives meaning to (at the start of a line too: headings, quotes, lists).
_MARKDOWN = re.compile(r"[\\*_~`|>#\[\]()<@:-]")


def split_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Split on line boundaries into chunks of at most `limit` characters.

    A single line longer than the limit is cut at its last space before the limit (or hard, if it has
    none), so no chunk is ever refused by Discord.
    """
    chunks: list[str] = []
    current = ""
    for line in text.splitlines():
        for piece in _cut_long_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                chunks.append(current)
            current = piece
    if current.strip():
        chunks.append(current)
    return chunks


def _cut_long_line(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        cut = cut if cut > 0 else limit
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def clean_text(text: str) -> str:
    """Text as members' input is kept: lone surrogates (valid in JSON escapes and in Python strings,
    but not in UTF-8, so no database or file could store them) and NUL (which PostgreSQL cannot store)
    become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def without_mention(text: str, user_id: int) -> str:
    """The text without mentions of `user_id` (how members address the bot), stripped."""
    return re.sub(rf"<@!?{user_id}>", "", text).strip()


def escape_markdown(text: str) -> str:
    """Member-supplied text quoted in a message, shown as typed: no bold, links, headings or masked text."""
    return _MARKDOWN.sub(r"\\\g<0>", text)


def inline_code(value: str) -> str:
    """A member-supplied value shown as `code` in Markdown: a backtick inside would end the span."""
    return "`" + value.replace("`", "ˋ").replace("\n", " ") + "`"


def human_size(size: int) -> Message:
    """A byte count as members read it: 512 bytes, 4.0 KB, 25.0 MB ("25,0 МБ" in Russian)."""
    if size < 1024:
        return tn("{count} byte", "{count} bytes", size)
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return _with_unit(value, unit)
        value /= 1024
    return _with_unit(value, "GB")


def _with_unit(value: float, unit: str) -> Message:
    # One decimal, always shown; the decimal separator is part of each translation ("{whole},{tenth} МБ").
    whole, tenth = divmod(round(value * 10), 10)
    if unit == "KB":
        return t("{whole}.{tenth} KB", whole=whole, tenth=tenth)
    if unit == "MB":
        return t("{whole}.{tenth} MB", whole=whole, tenth=tenth)
    return t("{whole}.{tenth} GB", whole=whole, tenth=tenth)


def truncate_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> str:
    """`text` cut to its first lines that fit one message, with "…" to show something was left out."""
    if len(text) <= limit:
        return text
    return split_message(text, limit - 2)[0] + "\n…"
