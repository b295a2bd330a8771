"""Matching a question to a taught prompt: the contrast set's precision and recall, each check's reason,
word forms, and `Responder.nearest`."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import pytest

from trainer_bot.ml import Responder, fit_responder
from trainer_bot.ml.examples import Pair
from trainer_bot.ml.matching import Mismatch, mismatch, same_question
from trainer_bot.ml.responder import MAX_NEAREST
from trainer_bot.ml.wordforms import same_word, word

from .contrast_set import MUST_MATCH, MUST_NOT, TAUGHT


@pytest.fixture(scope="module")
def taught() -> Responder:
    return fit_responder([Pair(prompt, response) for prompt, response in TAUGHT.values()])


def test_the_contrast_set_is_answered_precisely(taught: Responder) -> None:
    assert len(MUST_MATCH) >= 40 and len(MUST_NOT) >= 40
    right = answered = 0
    for question, key in MUST_MATCH:
        response = taught.answer(question).response
        answered += response is not None
        right += response == TAUGHT[key].response
    false_answers = [question for question, _, _ in MUST_NOT if taught.answer(question).response is not None]
    answered += len(false_answers)
    precision, recall = right / answered, right / len(MUST_MATCH)
    print(
        f"\ncontrast set: precision {precision:.3f}, recall {recall:.3f} "
        f"({right} right of {answered} answered; {len(MUST_MATCH)} paraphrases, {len(MUST_NOT)} near misses)"
    )
    print("answered though they ask something else:", false_answers)
    assert precision >= 0.95 and recall >= 0.8


@pytest.mark.parametrize(
    ("question", "prompt", "reason"),
    [
        ("What is the capital of Germany?", "What is the capital of France?", Mismatch.NAME),
        ("what is the capital of germany", "what is the capital of france", Mismatch.SUBJECT),
        ("When is the meeting?", "Where is the meeting?", Mismatch.QUESTION_WORD),
        ("кто на встрече?", "Где встреча?", Mismatch.QUESTION_WORD),
        ("how are you", "who are you", Mismatch.QUESTION_WORD),
        ("Can't I stream here?", "Can I stream here?", Mismatch.NEGATION),
        ("Нельзя ли стримить?", "Можно ли стримить?", Mismatch.NEGATION),
        ("Who won the cup in 2014?", "Who won the cup in 2018?", Mismatch.NUMBER),
        ("is it on monday", "Is it on Friday?", Mismatch.NUMBER),
        ("сколько стоит в мае", "Сколько стоит в марте?", Mismatch.NUMBER),
        ("how old is your brother", "How old are you?", Mismatch.SUBJECT),
        ("what time is it", "What time does the server restart?", Mismatch.SUBJECT),
        ("Who is Alice?", "Who is Bob?", Mismatch.NAME),
    ],
)
def test_a_different_question_says_why(question: str, prompt: str, reason: Mismatch) -> None:
    assert mismatch(question, prompt) is reason


@pytest.mark.parametrize(
    ("question", "prompt"),
    [
        ("столицей Франции какой город является?", "Столица Франции?"),
        ("Франция: какая у неё столица?", "Какая столица Франции?"),
        ("capitol of france", "What is the capital of France?"),
        ("what's france's capital city?", "What is the capital of France?"),
        ("WHAT IS THE CAPITAL OF FRANCE", "What is the capital of France?"),
        ("when does the server restart", "What time does the server restart?"),
        ("во сколько начинается турнир", "Когда начинается турнир?"),
        ("не подскажешь, где встреча?", "Где встреча?"),
        ("кто-нибудь знает, где встреча?", "Где встреча?"),
        ("who won the 2018 world cup", "Who won the world cup in 2018?"),
        ("may I stream here", "May I stream here?"),
        ("What colour is the sky?", "<@1577388162886402048> what colour is the sky"),  # a stored turn
        ("capital of france", "What Is The Capital City Of France"),  # title case names nothing
        ("", ""),
    ],
)
def test_paraphrases_ask_the_same(question: str, prompt: str) -> None:
    assert same_question(question, prompt), mismatch(question, prompt)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("франции", "франция", True),
        ("столицей", "столица", True),
        ("capitol", "capital", True),
        ("colour", "color", True),
        ("recieve", "receive", True),
        ("австрия", "австралия", False),
        ("iran", "iraq", False),
        ("gambia", "zambia", False),
        ("price", "prize", False),
        ("france", "germany", False),
    ],
)
def test_word_forms(a: str, b: str, same: bool) -> None:
    assert same_word(word(a), word(b)) is same


def test_nearest_ranks_prompts_and_says_which_ask_the_same(taught: Responder) -> None:
    hits = taught.nearest("what is the capital of germany", 3)
    assert len(hits) == 3
    assert hits[0].matched_prompt == "What is the capital of France?" and hits[0].response == "Paris"
    assert hits[0].mismatch is Mismatch.NAME and not hits[0].matches
    assert [hit.similarity for hit in hits] == sorted((hit.similarity for hit in hits), reverse=True)
    [best] = taught.nearest("whats the capital of france", 1)
    assert best.matches and best.response == "Paris" and 0.45 < best.similarity <= 1.0


def test_nearest_is_bounded(taught: Responder) -> None:
    many = fit_responder([Pair(f"how are the cats of house {n}", str(n)) for n in range(MAX_NEAREST + 10)])
    assert len(many.nearest("cats", 1000)) == MAX_NEAREST
    assert taught.nearest("zzzz qqqq", 5) == []  # nothing in common is no neighbour
    small = fit_responder([Pair("hello there", "hi"), Pair("good night", "sleep well")])
    assert [hit.matched_prompt for hit in small.nearest("hello", 10)] == ["hello there"]
    with pytest.raises(ValueError, match="at least 1"):
        small.nearest("hello", 0)


def test_stored_responders_keep_their_fields(taught: Responder) -> None:
    # Responders are pickled into model files: a new attribute would be missing from every stored one.
    assert set(vars(taught)) == {"_pipeline", "_prompts", "_responses", "_matrix", "threshold"}
    restored = pickle.loads(pickle.dumps(taught))
    assert restored.answer("capitol of france").response == "Paris"
    assert restored.answer("capital of germany").response is None


def test_matching_answers_are_thread_safe(taught: Responder) -> None:
    questions = [question for question, _ in MUST_MATCH] + [question for question, _, _ in MUST_NOT]
    expected = [taught.answer(question) for question in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: [taught.answer(question) for question in questions], range(8)))
    assert all(result == expected for result in results)
