"""What models learn from: labelled examples and prompt/response pairs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """A text and the label the classifier should give it."""

    text: str
    label: str


@dataclass(frozen=True)
class Pair:
    """A prompt and the response the bot should give to it (or to a prompt like it)."""

    prompt: str
    response: str
