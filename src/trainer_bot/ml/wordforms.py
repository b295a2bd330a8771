"""When two words are forms of the same word: the same stem, or one typo apart.

Stems come from the Snowball stemmers (Russian for Cyrillic words, English otherwise): "Франции",
"Франция" and "столицей"/"столица" share stems, which no fixed edit distance gets right without also
joining "Австрия" and "Австралия" (Snowball: "австр" vs "австрал"). A typo is one insertion, deletion,
substitution or swap of neighbours ("capitol", "colour"/"color", "recieve"), allowed only when the
first letters agree (typos rarely hit it, and "Gambia"/"Zambia" differ there) and the words are long
enough that one letter does not make another common word: 5 letters for an insertion or deletion, 6
for a substitution or swap ("price"/"prize" and "rules"/"roles" stay apart, "Iran"/"Iraq" too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_CYRILLIC = re.compile(r"[а-яё]")
_MIN_TYPO_LENGTH = 5  # an insertion or a deletion
_MIN_SUBSTITUTION_LENGTH = 6  # a substitution or a swap: same length, so more often another real word


@dataclass(frozen=True)
class Word:
    text: str  # normalised (casefolded) word
    stem: str


@lru_cache(maxsize=8192)
def word(text: str) -> Word:
    """`text` must already be normalised (see `normalize.normalize_text`)."""
    language = "russian" if _CYRILLIC.search(text) else "english"
    # A Snowball stemmer keeps the word being stemmed in its own fields, so one instance shared by worker
    # threads could mix two words up; a new one per word costs well under a microsecond.
    return Word(text, snowballstemmer.stemmer(language).stemWord(text))


def same_word(a: Word, b: Word) -> bool:
    if a.stem == b.stem:
        return True
    return _one_typo_apart(a.text, b.text) or _one_typo_apart(a.stem, b.stem)


def _one_typo_apart(a: str, b: str) -> bool:
    if a[:1] != b[:1] or abs(len(a) - len(b)) > 1:
        return False
    shorter = min(len(a), len(b))
    if shorter < (_MIN_TYPO_LENGTH if len(a) != len(b) else _MIN_SUBSTITUTION_LENGTH):
        return False
    return _edit_distance(a, b) <= 1


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein plus swaps of neighbouring letters."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]
