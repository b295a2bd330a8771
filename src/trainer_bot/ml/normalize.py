"""Text normalisation shared by the classifier and the responder.

Pickled models reference these functions by their qualified name, so renaming or moving them breaks
every saved model: add new functions instead of changing the behaviour of existing ones.
"""

from __future__ import annotations

import re
import unicodedata

# \w is unicode-aware in Python 3, so Cyrillic, accented Latin and digits are all word characters.
WORD_PATTERN = r"(?u)\b\w+\b"
_WORD_RE = re.compile(WORD_PATTERN)

# Function words that say little about *which* question was asked. The responder drops them so that
# "how do I bake bread" does not look like "how do I reset my password" just because of "how do I".
_ENGLISH_STOP_WORDS = """
a an the and or but if of at by for with about to from in on into over under up down out off
is are was were be been being am do does did doing have has had having will would shall should
can could may might must i me my mine myself you your yours yourself he him his she her hers it its
we us our they them their this that these those there here not no so too very just than then also
s t re ll ve d m don doesn didn isn aren wasn weren please tell let lets
"""
_RUSSIAN_STOP_WORDS = """
и а но или да нет не ни же ли бы то это этот эта эти тот та те я ты он она оно мы вы они меня
тебя его ее нас вас их мне тебе ему ей нам вам им мой твой свой наш ваш моя твоя в во на с со к ко
по о об от до из у за для про под над при без через есть был была было были будет быть ну вот там
тут здесь уже еще только очень так тоже скажи пожалуйста
"""
# Question words are noise in character n-grams but tell "when is the meeting" from "where is the
# meeting", so the responder keeps them as whole words only (see `content_words`).
_QUESTION_WORDS = """
what whats how who whom whose which where when why
что как кто где когда куда откуда почему зачем какой какая какое какие который сколько чем
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())
STOP_WORDS = frozenset((_ENGLISH_STOP_WORDS + _RUSSIAN_STOP_WORDS).split()) | QUESTION_WORDS


def normalize_text(text: str) -> str:
    """NFKC + casefold, and "ё" folded to "е" (Russian writers use both spellings interchangeably)."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")


def content_text(text: str) -> str:
    """The normalised words minus all stop words, falling back gracefully when nothing is left.

    A text made only of stop words ("who are you") keeps all its words, and one with no word
    characters at all (emoji, "???") keeps its normalised text, so neither becomes an empty vector.
    """
    return _without_stop_words(text, keep=frozenset())


def content_words(text: str) -> str:
    """Like `content_text`, but question words stay (as long as some other content word is there)."""
    return _without_stop_words(text, keep=QUESTION_WORDS)


def _without_stop_words(text: str, *, keep: frozenset[str]) -> str:
    normalized = normalize_text(text)
    words = _WORD_RE.findall(normalized)
    if any(word not in STOP_WORDS for word in words):
        return " ".join(word for word in words if word not in STOP_WORDS or word in keep)
    return " ".join(words) if words else normalized.strip()
