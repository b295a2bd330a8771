"""Benchmark: trainer-bot's training against a bare scikit-learn pipeline on the same synthetic data.

    python bench/train.py            # 10k and 100k examples (a few minutes on 2 cores)
    python bench/train.py --quick    # 2k and 10k examples

Every case runs in a fresh subprocess, so each peak RSS (ru_maxrss, which also sees numpy's and
scipy's allocations, unlike tracemalloc) belongs to that case alone. "base MB" is the RSS after imports
and data generation, before training; the difference to "peak MB" is what training itself cost.

Cases:
  trainer-bot train_model   the full entry point: held-out split, fit, evaluate, refit on everything
  trainer-bot classifier    one fit of the same classifier (like for like with the bare pipeline)
  sklearn bare              TfidfVectorizer() + LogisticRegression() with default settings

Accuracy is measured on 2,000 extra examples that no case trains on. "predict/s" is batch throughput
over those; "1-by-1 ms" is the latency of one `predict` call for a single text, as the bot makes them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _report import peak_mb, table  # bench/ is on sys.path when a benchmark runs
from datasets import synthetic

CASES = ("trainer-bot train_model", "trainer-bot classifier", "sklearn bare")
EVAL_SIZE = 2000
SINGLE_CALLS = 200
LABELS = 10
COLUMNS = ("case", "examples", "train s", "base MB", "peak MB", "accuracy", "predict/s", "1-by-1 ms")


def main() -> None:
    args = _parse_args()
    if args.case is not None:
        print(json.dumps(run_case(args.case, args.examples, args.labels)))
        return
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    rows = [_run_in_subprocess(case, size, args.labels) for size in sizes for case in CASES]
    print(table(rows, COLUMNS))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2k and 10k examples instead of 10k and 100k")
    parser.add_argument("--labels", type=int, default=LABELS, help="number of labels (default %(default)s)")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # internal: one case, JSON out
    parser.add_argument("--examples", type=int, default=10_000, help=argparse.SUPPRESS)
    return parser.parse_args()


def _run_in_subprocess(case: str, examples: int, labels: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", case, "--examples", str(examples), "--labels", str(labels)]
    print(f"running {case} on {examples:,} examples ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{case} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# One case, in its own process


def run_case(case: str, examples: int, labels: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore")  # the bare LogisticRegression's ConvergenceWarning is expected
    texts, targets = synthetic(examples + EVAL_SIZE, labels, seed=0)
    train_texts, train_targets = texts[:examples], targets[:examples]
    eval_texts, eval_targets = texts[examples:], targets[examples:]
    fit = _FITTERS[case]
    _import_everything()  # so that neither "base MB" nor "train s" depends on which case imports what
    base = peak_mb()
    started = time.perf_counter()
    predict = fit(train_texts, train_targets)
    seconds = time.perf_counter() - started
    peak = peak_mb()
    started = time.perf_counter()
    predicted = predict(eval_texts)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in eval_texts[:SINGLE_CALLS]:
        predict([text])
    single_seconds = (time.perf_counter() - started) / SINGLE_CALLS
    correct = sum(p == t for p, t in zip(predicted, eval_targets, strict=True))
    return {
        "case": case,
        "examples": examples,
        "train s": seconds,
        "base MB": base,
        "peak MB": peak,
        "accuracy": correct / len(eval_targets),
        "predict/s": len(eval_texts) / batch_seconds,
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


def _fit_bare(texts: list[str], labels: list[str]) -> Predict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(TfidfVectorizer(), LogisticRegression())
    pipeline.fit(texts, labels)
    return lambda batch: [str(label) for label in pipeline.predict(list(batch))]


_FITTERS: dict[str, Callable[[list[str], list[str]], Predict]] = {
    "trainer-bot train_model": _fit_train_model,
    "trainer-bot classifier": _fit_classifier,
    "sklearn bare": _fit_bare,
}


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # runs without an installed package
    main()
