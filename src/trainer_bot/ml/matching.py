"""Whether a prompt found by similarity really asks the same question as the message.

Character n-grams make "what is the capital of Germany?" look like "what is the capital of France?":
only one word differs. So after the similarity threshold a match must also pass these checks (`reading`
says what each text holds, `wordforms` when two words are one):

- the same kind of question: "when is the meeting" is not "where is the meeting" (a "what" question
  only clashes with one that has no "what": "what time" counts as "when");
- both negated or neither: "can I stream here?" is not "can't I stream here?";
- the same numbers and dates: "the world cup in 2014" is not "in 2018", "on Friday" not "on Monday";
- every name in one (a capitalised word mid-sentence, or one in capitals) is in the other;
- content words: a word of the question swapped for another (both sides have a word the other lacks,
  "capital of france" / "capital of germany") is a different question, and so is a question that adds
  as many words as it shares ("how old are you" / "how old is your brother"), while fewer additions are a
  paraphrase ("what's france's capital city?").

Measured on the contrast set in tests/unit/ml/contrast_set.py (54 paraphrases, 53 near misses, English
and Russian about half each), as precision and recall of "answered with the right response":
similarity alone 0.505 / 0.963 (almost every near miss answered); these checks 0.978 / 0.833. The
misses are synonyms ("author" for "wrote", "reboot" for "restart") and a Russian verb's other aspect
("начнется"/"начинается"); the one false answer is "least favourite colour". Alternatives measured:
- word forms: exact words 0.974 / 0.685; typo tolerance alone 0.976 / 0.759; Snowball stems alone 0.977
  / 0.796; both 0.978 / 0.833. Cutting words to their first 4 letters instead of stemming gets 0.815
  recall here but joins "Австрия" and "Австралия", "population" and "popular": Snowball
  (`snowballstemmer`: pure Python, a 100 KB wheel, no dependencies, Sphinx's stemmer) earns its place;
- tolerating a swapped word when it is at most a third of the words: 0.887 / 0.870 (lowercase "who won
  the football world cup in qatar" then gets the answer for "in russia"); not checking added words at
  all: 0.920 / 0.852; checking them on the question's side only: 0.958 / 0.852 ("what time is it" then
  gets the server's restart time);
- each check left out: without question words 0.882, negation 0.882, numbers 0.865, names 0.957 precision.
"""

from __future__ import annotations

from enum import StrEnum

from trainer_bot.ml.reading import read
from trainer_bot.ml.wordforms import Word, same_word


class Mismatch(StrEnum):
    """Why a similar prompt is not the same question."""

    QUESTION_WORD = "asks for something else (who/where/when...)"
    NEGATION = "one is negated"
    NUMBER = "different numbers or dates"
    NAME = "a name only one of them has"
    SUBJECT = "different words for its subject"


def mismatch(question: str, prompt: str) -> Mismatch | None:
    """None when `prompt` asks what `question` asks, else the first difference found."""
    asked, taught = read(question), read(prompt)
    if asked.asks and taught.asks and not asked.asks & taught.asks:
        return Mismatch.QUESTION_WORD
    if asked.negated != taught.negated:
        return Mismatch.NEGATION
    if asked.numbers != taught.numbers:
        return Mismatch.NUMBER
    if _missing(asked.names, taught.content) or _missing(taught.names, asked.content):
        return Mismatch.NAME
    extra_asked, extra_taught = (
        _missing(asked.content, taught.content),
        _missing(taught.content, asked.content),
    )
    if extra_asked and extra_taught:
        return Mismatch.SUBJECT  # a word swapped for another: "France" for "Germany"
    for words, extra in ((asked.content, extra_asked), (taught.content, extra_taught)):
        if extra and len(words) - len(extra) <= len(extra):
            return Mismatch.SUBJECT  # as many new words as shared ones: a question about something else
    return None


def same_question(question: str, prompt: str) -> bool:
    return mismatch(question, prompt) is None


def _missing(words: tuple[Word, ...], others: tuple[Word, ...]) -> list[Word]:
    return [word for word in words if not any(same_word(word, other) for other in others)]
