"""What the language model is given for one answer: the guild's persona, what the guild taught that is
relevant to this message, the classifier's opinion as a hint, and the conversation so far.

Everything here is plain text in, chat messages out, bounded in size: the material and the history are
cut to fit a character budget (about four characters a token), the oldest history first, so a long
reply chain or a guild with thousands of corrections cannot push the question out of the context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from trainer_bot.llm.messages import ChatMessage

MaterialKind = Literal["correction", "taught", "liked"]
_KIND_NAMES: dict[MaterialKind, str] = {
    "correction": "a member's correction",
    "taught": "taught by the server",
    "liked": "an answer members liked",
}
MAX_ITEM_CHARS = 400  # one taught answer; longer ones are cut, the rest of the budget goes to others
CYRILLIC_SHARE = 0.3  # above this share of letters the message is treated as Russian


@dataclass(frozen=True)
class Material:
    """One thing the guild taught that may help with this message."""

    kind: MaterialKind
    prompt: str
    answer: str


@dataclass(frozen=True)
class HistoryTurn:
    """One earlier message of the reply chain, oldest first."""

    role: Literal["user", "assistant"]
    text: str


@dataclass(frozen=True)
class Grounding:
    persona: str
    material: Sequence[Material] = ()
    hint: str | None = None  # e.g. "the classifier says: positive (92% sure)"
    history: Sequence[HistoryTurn] = ()


def answer_language(text: str) -> str:
    """The language to answer in: Russian when the message is mostly Cyrillic, else English."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "English"
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return "Russian" if cyrillic / len(letters) > CYRILLIC_SHARE else "English"


def grounded_messages(grounding: Grounding, question: str, *, budget_chars: int) -> list[ChatMessage]:
    """System prompt with persona, material and hint; then the history that fits; then the question."""
    system = _system_prompt(grounding, question, budget_chars // 2)
    question_message = ChatMessage("user", question)
    left = budget_chars - len(system) - len(question)
    history: list[ChatMessage] = []
    for turn in reversed(grounding.history):  # newest first: the oldest are dropped when space runs out
        if len(turn.text) > left:
            break
        history.insert(0, ChatMessage(turn.role, turn.text))
        left -= len(turn.text)
    return [ChatMessage("system", system), *history, question_message]


def _system_prompt(grounding: Grounding, question: str, budget_chars: int) -> str:
    parts = [grounding.persona.strip()]
    lines: list[str] = []
    used = sum(len(part) for part in parts)
    for item in grounding.material:
        line = (
            f"- ({_KIND_NAMES[item.kind]}) Q: {_one_line(item.prompt)} "
            f"A: {_one_line(item.answer)[:MAX_ITEM_CHARS]}"
        )
        if used + len(line) > budget_chars:
            break
        lines.append(line)
        used += len(line)
    if lines:
        parts.append(
            "What this server taught you (use an answer only if its question asks the same as the "
            "member's message):\n" + "\n".join(lines)
        )
    if grounding.hint:
        parts.append(f"Hint from the server's text classifier: {grounding.hint}.")
    parts.append(f"Answer in {answer_language(question)}, in at most a few sentences.")
    return "\n\n".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())
