"""Benchmark: trainer-bot's training against the same feature pipeline fitted by bare scikit-learn.

    python bench/train.py                   # synthetic 10k and 100k, typos 10k, russian 10k (minutes)
    python bench/train.py --quick           # 2k examples of each data set
    python bench/train.py --data russian    # one data set (synthetic, typos, russian or all)

Sides, each in its own child process per pair, interleaved (train_model, classifier, bare, defaults,
train_model, ...) for `--pairs` pairs, so each peak RSS (ru_maxrss, which also sees numpy's and scipy's
allocations) belongs to that side alone and a slow spell of the machine hits every side (--quick leaves
out "defaults"):
  train_model   trainer-bot's full entry point: held-out split, fit, evaluate, refit on everything
  classifier    trainer-bot's one-step `fit_classifier` (like for like with the bare pipeline)
  bare          `build_pipeline(n, seed=0, labels=k).fit(texts, labels)`: the bot's own features and model, fitted
                once by bare scikit-learn with none of the bot's checks, splits or wrapping (the baseline)
  defaults      TfidfVectorizer() + LogisticRegression() with default settings (informative only)

Data (bench/datasets.py, 10 labels): "synthetic" clean text, evaluated on more of the same; "typos" the
same sentences with typos (seed 1), evaluated on fresh ones with other typos (seed 2); "russian" inflected
Cyrillic text, evaluated on word forms that training never shows. Accuracy is measured on 2,000 texts no
side trains on. "predict/s" is batch throughput over those; "1-by-1 ms" is the latency of one `predict`
call for a single text, as the bot makes them. "base MB" is the RSS after imports and data, before
training. The parent prints min/median/max over the pairs and bot/bare ratios of the medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from _pairs import (  # bench/ is on sys.path when a benchmark runs
    Comparison,
    Runs,
    add_pair_arguments,
    compare,
    comparison_table,
    interleave,
    run_child,
    write_summary,
)
from _report import peak_mb, table
from datasets import russian, synthetic, with_typos

SIDES = ("train_model", "classifier", "bare", "defaults")
DATA_SETS = ("synthetic", "typos", "russian")
FULL_SIZES = {"synthetic": (10_000, 100_000), "typos": (10_000,), "russian": (10_000,)}
QUICK_SIZE = 2_000
EVAL_SIZE = 2000
SINGLE_CALLS = 200
LABELS = 10
FIGURES = ("train s", "base MB", "peak MB", "accuracy", "predict/s", "1-by-1 ms")


class Case(NamedTuple):
    data: str
    examples: int

    def __str__(self) -> str:
        return f"{self.data} {self.examples // 1000}k"


def main() -> None:
    args = _parse_args()
    if args.side is not None:
        print(json.dumps(run_side(args.side, Case(args.data, args.examples), args.labels)))
        return
    comparisons: list[Comparison] = []
    side_rows: list[dict[str, Any]] = []
    # The defaults' LogisticRegression is the slowest side on small sets: informative only, so --quick skips it.
    sides = SIDES[:-1] if args.quick else SIDES
    for case in _cases(args.data, quick=args.quick):
        print(f"{case}:", file=sys.stderr, flush=True)
        runs = interleave(
            args.pairs, lambda side, c=case: run_child(_child_arguments(side, c, args.labels)), sides
        )
        comparisons.extend(_comparisons(case, runs))
        side_rows.extend(_side_rows(case, runs, sides))
    title = f"training on {args.labels} labels, {args.pairs} pairs of processes"
    print(f"{title} (medians over the pairs)\n")
    print(table(side_rows, ("case", "side", *FIGURES)))
    print(
        "\nbot/bare: ratio of the medians; pairs: range of the per-pair ratios; bare = build_pipeline().fit\n"
    )
    print(comparison_table(comparisons))
    write_summary(args.json_summary, "train", title, comparisons)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_pair_arguments(parser)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} examples of each data set")
    parser.add_argument("--data", choices=(*DATA_SETS, "all"), default="all", help="(default %(default)s)")
    parser.add_argument("--labels", type=int, default=LABELS, help="number of labels (default %(default)s)")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)  # (child) one side, JSON out
    parser.add_argument("--examples", type=int, default=10_000, help=argparse.SUPPRESS)
    return parser.parse_args()


def _cases(data: str, *, quick: bool) -> list[Case]:
    names = DATA_SETS if data == "all" else (data,)
    return [Case(name, size) for name in names for size in ((QUICK_SIZE,) if quick else FULL_SIZES[name])]


def _child_arguments(side: str, case: Case, labels: int) -> list[str]:
    return [
        __file__,
        "--side",
        side,
        "--data",
        case.data,
        "--examples",
        str(case.examples),
        "--labels",
        str(labels),
    ]


def _comparisons(case: Case, runs: Runs) -> list[Comparison]:
    def values(side: str, figure: str) -> list[float]:
        return [run[figure] for run in runs[side]]

    classifier = ("classifier", "one fit")
    wanted = [
        ("accuracy", classifier),
        ("train s", ("train_model", "train_model")),
        ("train s", classifier),
        ("peak MB", ("train_model", "train_model")),
        ("peak MB", classifier),
        ("predict/s", classifier),
        ("1-by-1 ms", classifier),
    ]
    return [
        compare(f"{case}: {figure}, {named}", values(side, figure), values("bare", figure))
        for figure, (side, named) in wanted
    ]


def _side_rows(case: Case, runs: Runs, sides: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"case": str(case), "side": side, **{f: statistics.median(r[f] for r in runs[side]) for f in FIGURES}}
        for side in sides
    ]


# One side, in its own process


class Data(NamedTuple):
    train_texts: list[str]
    train_labels: list[str]
    eval_texts: list[str]
    eval_labels: list[str]


def load(case: Case, labels: int) -> Data:
    examples = case.examples
    if case.data == "russian":
        train_texts, train_labels = russian(examples, labels, seed=0)
        eval_texts, eval_labels = russian(EVAL_SIZE, labels, seed=99, unseen_forms=True)
        return Data(train_texts, train_labels, eval_texts, eval_labels)
    texts, targets = synthetic(examples + EVAL_SIZE, labels, seed=0)  # the first `examples` train
    train_texts, eval_texts = texts[:examples], texts[examples:]
    if case.data == "typos":
        train_texts, eval_texts = with_typos(train_texts, seed=1), with_typos(eval_texts, seed=2)
    return Data(train_texts, targets[:examples], eval_texts, targets[examples:])


def run_side(side: str, case: Case, labels: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore")  # the default LogisticRegression's ConvergenceWarning is expected
    data = load(case, labels)
    fit = _FITTERS[side]
    _import_everything()  # so that neither "base MB" nor "train s" depends on which side imports what
    base = peak_mb()
    started = time.perf_counter()
    predict = fit(data.train_texts, data.train_labels)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    started = time.perf_counter()
    predicted = predict(data.eval_texts)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in data.eval_texts[:SINGLE_CALLS]:
        predict([text])
    single_seconds = (time.perf_counter() - started) / SINGLE_CALLS
    correct = sum(p == t for p, t in zip(predicted, data.eval_labels, strict=True))
    return {
        "train s": seconds,
        "base MB": base,
        "peak MB": peak,
        "accuracy": correct / len(data.eval_labels),
        "predict/s": len(data.eval_texts) / batch_seconds,
        "1-by-1 ms": single_seconds * 1000,
    }


Predict = Callable[[Sequence[str]], list[str]]


def _import_everything() -> None:
    import sklearn.feature_extraction.text
    import sklearn.linear_model
    import sklearn.pipeline

    import trainer_bot.ml

    del sklearn, trainer_bot


def _fit_train_model(texts: list[str], labels: list[str]) -> Predict:
    from trainer_bot.ml import train_model
    from trainer_bot.ml.examples import Example

    model, _ = train_model([Example(t, label) for t, label in zip(texts, labels, strict=True)], [], seed=0)
    return lambda batch: [p.label for p in model.predict(batch)]


def _fit_classifier(texts: list[str], labels: list[str]) -> Predict:
    from trainer_bot.ml import fit_classifier

    classifier = fit_classifier(texts, labels, seed=0)
    return lambda batch: [p.label for p in classifier.predict(batch)]


def _fit_bare_pipeline(texts: list[str], labels: list[str]) -> Predict:
    from trainer_bot.ml.classifier import build_pipeline

    pipeline = build_pipeline(len(texts), seed=0, labels=len(set(labels)))  # as the bot sizes its features
    pipeline.fit(texts, labels)
    return lambda batch: [str(label) for label in pipeline.predict(list(batch))]


def _fit_sklearn_defaults(texts: list[str], labels: list[str]) -> Predict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression())
    pipeline.fit(texts, labels)
    return lambda batch: [str(label) for label in pipeline.predict(list(batch))]


_FITTERS: dict[str, Callable[[list[str], list[str]], Predict]] = {
    "train_model": _fit_train_model,
    "classifier": _fit_classifier,
    "bare": _fit_bare_pipeline,
    "defaults": _fit_sklearn_defaults,
}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # runs without an installed package
    main()
