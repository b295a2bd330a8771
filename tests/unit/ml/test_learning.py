"""ML service: classifier, responder, training report and split fallback, evaluation, progress."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from trainer_bot.errors import UserError
from trainer_bot.ml import (
    DEFAULT_THRESHOLD,
    MAX_LABELS,
    NotTrainedError,
    TrainedModel,
    TrainingError,
    TrainingReport,
    evaluate,
    format_confusion,
    train_model,
)
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.ml.fitting import stratified_holdout

TOPICS = {
    "sports": "football goal striker referee match stadium coach league tennis racket marathon hockey",
    "cooking": "recipe oven garlic pasta soup butter flour bake onion sauce kitchen spices",
    "tech": "laptop keyboard python server compiler linux database router browser kernel cloud chip",
}
TEMPLATES = [
    "I really like the {a} and the {b}",
    "yesterday my {a} was next to a {b}",
    "do you know anything about {a} or {b}?",
    "the {a} is better than any {b}",
    "{a} {b} {c}!",
    "Tell me more about the {a}, the {b} and the {c}",
]


def topic_examples(per_label: int, seed: int) -> list[Example]:
    """Templated sentences whose only signal is the topic's vocabulary (templates are shared)."""
    rng = random.Random(seed)
    examples = []
    for label, vocabulary in TOPICS.items():
        words = vocabulary.split()
        for _ in range(per_label):
            a, b, c = rng.sample(words, 3)
            text = rng.choice(TEMPLATES).format(a=a, b=b, c=c)
            examples.append(Example(text.upper() if rng.random() < 0.1 else text, label))
    rng.shuffle(examples)
    return examples


@pytest.fixture(scope="module")
def topics() -> tuple[TrainedModel, TrainingReport]:
    return train_model(topic_examples(40, seed=1), [], seed=0)


# Classifier and report


def test_synthetic_topics_are_learned_well_above_chance(topics: tuple[TrainedModel, TrainingReport]) -> None:
    model, report = topics
    assert report.accuracy is not None and report.accuracy > 0.9
    assert report.macro_f1 is not None and report.macro_f1 > 0.9
    assert report.labels == sorted(TOPICS) == list(model.labels)
    assert (report.examples, report.pairs) == (120, 0)
    assert (report.train_size, report.test_size) == (96, 24)  # 20% of each label's 40
    assert set(report.per_label) == set(TOPICS)
    assert sum(scores["support"] for scores in report.per_label.values()) == report.test_size
    for scores in report.per_label.values():
        assert set(scores) == {"precision", "recall", "f1", "support"}
        assert all(0.0 <= scores[key] <= 1.0 for key in ("precision", "recall", "f1"))
    assert report.seconds > 0 and report.notes == []
    assert model.has_classifier and not model.has_responder


def test_final_model_generalises_to_fresh_sentences(topics: tuple[TrainedModel, TrainingReport]) -> None:
    model, _ = topics
    fresh = topic_examples(20, seed=99)
    predictions = model.predict([example.text for example in fresh])
    correct = sum(p.label == e.label for p, e in zip(predictions, fresh, strict=True))
    assert correct / len(fresh) > 0.9
    assert all(1 / 3 <= p.confidence <= 1.0 for p in predictions)  # max of 3 probabilities
    assert model.predict([]) == []


RUSSIAN_TOPICS = {
    "погода": "дождь снег ветер гроза солнце туман мороз жара облака радуга ливень метель",
    "еда": "борщ пирог блины гречка пельмени суп каша салат котлета сметана вареники компот",
}
RUSSIAN_TEMPLATES = [
    "я думаю, что {a} лучше, чем {b}",
    "сегодня {a}, а завтра {b}",
    "расскажи про {a} и {b}",
    "{a}, {b} и {c}",
]


def test_russian_text_is_classified() -> None:
    rng = random.Random(8)
    examples = [
        Example(
            rng.choice(RUSSIAN_TEMPLATES).format(
                **dict(zip("abc", rng.sample(words.split(), 3), strict=True))
            ),
            label,
        )
        for label, words in RUSSIAN_TOPICS.items()
        for _ in range(20)
    ]
    model, report = train_model(examples, [])
    assert report.labels == ["еда", "погода"]
    assert report.accuracy is not None and report.accuracy > 0.9
    # Unseen inflections and capitals: "ДОЖДЯ", "блинов", "сметаной", "пирога".
    predictions = model.predict(["Какого ДОЖДЯ и ветра ждать?", "хочу блинов со сметаной", "Ещё пирога?"])
    assert [p.label for p in predictions] == ["погода", "еда", "еда"]
    # Case and the ё/е spellings are the same text to the model.
    same = model.predict(["ЕЩЁ ПИРОГА", "еще пирога"])
    assert same[0] == same[1]


def test_single_label_is_refused_with_a_member_readable_error() -> None:
    examples = [Example("good bot", "praise"), Example("nice bot", "praise")]
    with pytest.raises(TrainingError) as caught:
        train_model(examples, [])
    assert isinstance(caught.value, UserError)
    assert (
        str(caught.value) == "training needs at least two labels; add negative examples with positive=false"
    )


def test_no_data_is_refused() -> None:
    with pytest.raises(TrainingError, match="nothing to train on"):
        train_model([], [])


def test_too_many_labels_are_refused() -> None:
    examples = [Example(f"text {i}", f"label{i}") for i in range(MAX_LABELS + 1)]
    with pytest.raises(TrainingError, match=f"at most {MAX_LABELS} labels"):
        train_model(examples, [])


def test_texts_without_words_are_refused() -> None:
    with pytest.raises(TrainingError, match="no words"):
        train_model([Example("!!!", "a"), Example("   ", "b"), Example("?", "b")], [])


def test_predictions_are_thread_safe(topics: tuple[TrainedModel, TrainingReport]) -> None:
    model, _ = topics
    texts = [example.text for example in topic_examples(10, seed=7)]
    expected = model.predict(texts)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: model.predict(texts), range(16)))
    assert all(result == expected for result in results)


# Split fallback


def test_holdout_is_stratified_and_seeded() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"] * 2 + ["d"]
    holdout = stratified_holdout(labels, 0.2, seed=3)
    held = [labels[i] for i in holdout.test]
    assert sorted(held) == ["a", "a", "b", "c"]  # 20% of 10, 1 of 5, 1 of 2, none of 1
    assert sorted(holdout.train + holdout.test) == list(range(len(labels)))
    assert holdout == stratified_holdout(labels, 0.2, seed=3)
    assert (
        len(holdout.notes) == 1 and "single example" in str(holdout.notes[0]) and "d" in str(holdout.notes[0])
    )


def test_labels_with_one_example_are_trained_but_not_evaluated() -> None:
    examples = [*topic_examples(5, seed=2), Example("a lonely example", "rare")]
    model, report = train_model(examples, [])
    assert "rare" in model.labels and "rare" in report.labels
    assert "rare" not in report.per_label and report.accuracy is not None
    assert report.test_size == 3 and report.train_size == 13
    assert any("rare" in str(note) for note in report.notes)


def test_metrics_are_skipped_when_nothing_can_be_held_out() -> None:
    model, report = train_model([Example("i love it", "pos"), Example("i hate it", "neg")], [])
    assert report.accuracy is None and report.macro_f1 is None and report.per_label == {}
    assert (report.train_size, report.test_size) == (2, 0)
    assert "accuracy is not available" in str(report.notes[0])
    assert model.predict(["love love"])[0].label == "pos"


# Responder

FAQ = [
    Pair("What is the capital of France?", "Paris"),
    Pair("How do I reset my password?", "Use /reset in any channel"),
    Pair("Who won the world cup in 2018?", "France"),
    Pair("What time does the server restart?", "At 04:00 UTC"),
    Pair("When is the meeting?", "Friday"),
    Pair("Where is the meeting?", "Voice channel 2"),
    Pair("what's your favourite colour", "blue"),
    Pair("how old are you", "one year"),
    Pair("Как тебя зовут?", "Меня зовут Бот"),
    Pair("Какая столица России?", "Москва"),
]


@pytest.fixture(scope="module")
def faq() -> TrainedModel:
    model, report = train_model([], FAQ)
    assert report.accuracy is None and report.labels == [] and report.pairs == len(FAQ)
    return model


@pytest.mark.parametrize(
    ("question", "response"),
    [
        ("what's the capital of france", "Paris"),
        ("What is the capital city of France?", "Paris"),
        ("i forgot my password, how to reset it", "Use /reset in any channel"),
        ("who won the 2018 world cup", "France"),
        ("when does the server restart", "At 04:00 UTC"),
        ("when's the meeting", "Friday"),
        ("where's the meeting?", "Voice channel 2"),
        ("what is your favorite color", "blue"),
        ("how old r u", "one year"),
        ("как зовут тебя?", "Меня зовут Бот"),
        ("столица россии", "Москва"),
    ],
)
def test_paraphrased_prompts_find_their_answer(faq: TrainedModel, question: str, response: str) -> None:
    answer = faq.answer(question)
    assert answer.response == response
    assert answer.similarity >= DEFAULT_THRESHOLD and answer.matched_prompt is not None


@pytest.mark.parametrize(
    "question",
    [
        "how do I bake sourdough bread",
        "what is the weather like tomorrow",
        "Какая сегодня погода?",
        "the quick brown fox jumps over the lazy dog",
        "is it going to rain",
        "play some music",
        "how do I install python",
        "",
    ],
)
def test_unrelated_prompts_get_no_answer(faq: TrainedModel, question: str) -> None:
    answer = faq.answer(question)
    assert answer.response is None and answer.matched_prompt is None
    assert 0.0 <= answer.similarity < DEFAULT_THRESHOLD


def test_threshold_can_be_overridden(faq: TrainedModel) -> None:
    similarity = faq.answer("capital of france?").similarity
    assert faq.answer("capital of france?", threshold=similarity - 0.01).response == "Paris"
    assert faq.answer("capital of france?", threshold=similarity + 0.01).response is None
    assert faq.answer("What is the capital of France?", threshold=1.01).response is None
    # A low threshold alone no longer lets an unrelated question through: it must ask the same thing.
    assert faq.answer("is it going to rain", threshold=0.05).response is None


def test_a_later_pair_for_the_same_prompt_is_a_correction() -> None:
    model, _ = train_model(
        [], [Pair("Best pizza?", "pineapple"), Pair("hi", "hello"), Pair("best  PIZZA?", "margherita")]
    )
    assert model.answer("best pizza").response == "margherita"


def test_models_hold_only_what_they_were_trained_on(
    topics: tuple[TrainedModel, TrainingReport], faq: TrainedModel
) -> None:
    classifier_only, _ = topics
    assert classifier_only.answer("What is the capital of France?").response is None
    with pytest.raises(NotTrainedError):
        faq.predict(["anything"])


def test_examples_and_pairs_train_both_parts() -> None:
    model, report = train_model(topic_examples(5, seed=4), FAQ[:2])
    assert model.has_classifier and model.has_responder
    assert (report.examples, report.pairs) == (15, 2)
    assert model.answer("reset my password").response == "Use /reset in any channel"


# Progress


@pytest.mark.parametrize(
    ("examples", "pairs"),
    [
        (topic_examples(5, seed=5), FAQ),
        (topic_examples(5, seed=5), []),
        ([], FAQ),
        ([Example("x", "a"), Example("y", "b")], []),
    ],
    ids=["both", "examples", "pairs", "no-holdout"],
)
def test_progress_fractions_increase_and_end_at_one(examples: list[Example], pairs: list[Pair]) -> None:
    calls: list[tuple[float, str]] = []
    train_model(examples, pairs, progress=lambda fraction, stage: calls.append((fraction, stage)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions == sorted(set(fractions)) and fractions[-1] == 1.0 and fractions[0] > 0.0
    assert calls[0][1] == "preparing" and calls[-1][1] == "done"


def test_an_exception_from_progress_aborts_training() -> None:
    def cancel(fraction: float, stage: str) -> None:
        if stage == "fitting":
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        train_model(topic_examples(5, seed=6), [], progress=cancel)


# Evaluation


def test_evaluate_without_labels_only_predicts(topics: tuple[TrainedModel, TrainingReport]) -> None:
    model, _ = topics
    result = evaluate(model, ["the striker scored a goal", "garlic pasta in the oven"])
    assert [item.predicted for item in result.items] == ["sports", "cooking"]
    assert all(item.expected is None and item.correct is None for item in result.items)
    assert result.accuracy is None and result.macro_f1 is None and result.confusion == []
    assert result.misclassified == [] and result.per_label == {}


def test_evaluate_with_labels_scores_and_builds_a_confusion_matrix(
    topics: tuple[TrainedModel, TrainingReport],
) -> None:
    model, _ = topics
    texts = [
        "the striker scored a goal",
        "garlic pasta in the oven",
        "linux kernel on my laptop",
        "tennis racket",
    ]
    labels = ["sports", "cooking", "cooking", "gardening"]  # one mistake, one label the model never saw
    result = evaluate(model, texts, labels)
    assert [item.correct for item in result.items] == [True, True, False, False]
    assert result.accuracy == pytest.approx(0.5)
    assert [item.text for item in result.misclassified] == texts[2:]
    assert result.confusion_labels == ["cooking", "sports", "tech", "gardening"]
    assert result.confusion == [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]]
    assert result.per_label["gardening"]["support"] == 1.0 and result.per_label["gardening"]["recall"] == 0.0
    assert result.macro_f1 is not None and 0.0 < result.macro_f1 < 1.0


def test_evaluate_refuses_mismatched_lengths(topics: tuple[TrainedModel, TrainingReport]) -> None:
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        evaluate(topics[0], ["a", "b"], ["sports"])


def test_format_confusion_renders_an_aligned_table() -> None:
    table = format_confusion([[12, 0], [3, 7]], ["cats", "a very long label name indeed"], max_label_width=10)
    assert table.splitlines() == [
        "↓ →           1  2",
        "1 cats       12  .",
        "2 a very lo…  3  7",
    ]
    assert format_confusion([], []) == "(no labels)"
    with pytest.raises(ValueError, match="square"):
        format_confusion([[1, 2]], ["a"])


def test_few_held_out_examples_are_called_unreliable() -> None:
    examples = [Example(f"good {n}", "positive") for n in range(4)] + [
        Example(f"bad {n}", "negative") for n in range(4)
    ]
    _, report = train_model(examples, [])
    assert report.test_size == 2
    assert any(
        "only 2 held-out examples" in str(note) and "not reliable" in str(note) for note in report.notes
    )
    _, plenty = train_model(examples * 15, [])
    assert not any("not reliable" in note for note in plenty.notes)
