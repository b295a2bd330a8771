"""Labelled chat-like data for the training benchmarks, made up so that nothing is downloaded.

Three kinds, each a list of texts and a list of labels (`label00`, `label01`, ...):

* `synthetic`: Zipf-distributed shared words, a quarter topic words, some topic noise. Clean text.
* `with_typos`: the same sentences with member-like typos (a letter dropped, doubled, swapped with
  its neighbour or replaced by one next to it on the keyboard) in about one word in four.
* `russian`: Cyrillic sentences whose topic words are inflected. Each topic word is a stem with a
  Russian-like paradigm of endings (noun cases, verb persons, past tenses); a text seen in training
  uses only two of a stem's forms, and `russian(..., unseen_forms=True)` draws from all of them, as
  members write forms nobody taught. A feature that sees only whole words cannot match those.

Held-out evaluation data comes from the same call with a larger count (the first `n` are for training),
or from `russian(..., unseen_forms=True)` / `with_typos` on fresh sentences.
"""

from __future__ import annotations

import random

LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгдежзиклмнопрстуфхцчшщыэюя"
# Neighbours on a QWERTY/ЙЦУКЕН keyboard row: the commonest replacement typo.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")
NOUN_ENDINGS = ("а", "ы", "е", "у", "ой", "ам", "ами", "ах", "")
VERB_ENDINGS = ("ть", "ю", "ешь", "ет", "ем", "ете", "ют", "л", "ла", "ли")
ADJECTIVE_ENDINGS = ("ый", "ая", "ое", "ые", "ого", "ой", "ому", "ым", "ых")


def synthetic(count: int, labels: int, *, seed: int) -> tuple[list[str], list[str]]:
    """Chat-like sentences: Zipf-distributed shared words, a quarter topic words, some topic noise."""
    rng = random.Random(seed)
    common = [_pseudo_word(rng, LATIN) for _ in range(3000)]
    topics = [[_pseudo_word(rng, LATIN) for _ in range(150)] for _ in range(labels)]
    texts, targets = [], []
    for _ in range(count):
        label = rng.randrange(labels)
        words = [_draw(rng, common, topics, label) for _ in range(rng.randint(5, 20))]
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", ""]))
        targets.append(f"label{label:02d}")
    return texts, targets


def with_typos(texts: list[str], *, seed: int, rate: float = 0.25) -> list[str]:
    """`texts` with a typo in about `rate` of their words (words of three letters or more)."""
    rng = random.Random(seed)
    return [
        " ".join(_typo(rng, w) if len(w) > 2 and rng.random() < rate else w for w in t.split()) for t in texts
    ]


def russian(count: int, labels: int, *, seed: int, unseen_forms: bool = False) -> tuple[list[str], list[str]]:
    """Russian-like sentences with inflected topic words (see the module docstring)."""
    rng = random.Random(seed)
    vocabulary = random.Random(1_000 + labels)  # the same words for every seed: train and eval agree
    common = [_pseudo_word(vocabulary, CYRILLIC) for _ in range(3000)]
    topics = [[_lemma(vocabulary) for _ in range(150)] for _ in range(labels)]
    texts, targets = [], []
    for _ in range(count):
        label = rng.randrange(labels)
        words = []
        for _ in range(rng.randint(5, 20)):
            roll = rng.random()
            if roll < 0.32:
                topic = topics[label] if roll < 0.25 else rng.choice(topics)
                stem, endings, taught = rng.choice(topic)
                words.append(stem + rng.choice(endings if unseen_forms else taught))
            elif roll < 0.66:
                words.append(common[min(int(rng.paretovariate(1.1)) - 1, len(common) - 1)])
            else:
                words.append(rng.choice(common))
        texts.append(" ".join(words).capitalize() + rng.choice([".", "!", "?", ""]))
        targets.append(f"label{label:02d}")
    return texts, targets


def _lemma(rng: random.Random) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A stem, its paradigm, and the two forms of it that training data uses."""
    endings = rng.choice((NOUN_ENDINGS, VERB_ENDINGS, ADJECTIVE_ENDINGS))
    return _pseudo_word(rng, CYRILLIC, 4, 8), endings, tuple(rng.sample(endings, 2))


def _draw(rng: random.Random, common: list[str], topics: list[list[str]], label: int) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(topics[label])
    if roll < 0.32:  # a word from a random topic, so topics overlap and accuracy is not trivially 100%
        return rng.choice(rng.choice(topics))
    if roll < 0.66:
        return common[min(int(rng.paretovariate(1.1)) - 1, len(common) - 1)]
    return rng.choice(common)


def _typo(rng: random.Random, word: str) -> str:
    at = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:at] + word[at + 1 :]
    if kind == 1:
        return word[: at + 1] + word[at:]
    if kind == 2:
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    row = next((r for r in _ROWS if word[at].lower() in r), None)
    if row is None:
        return word
    index = row.index(word[at].lower())
    neighbour = row[index + rng.choice((-1, 1))] if 0 < index < len(row) - 1 else row[1 - min(index, 1)]
    return word[:at] + neighbour + word[at + 1 :]


def _pseudo_word(rng: random.Random, letters: str, shortest: int = 3, longest: int = 9) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(shortest, longest)))
