"""Benchmark: our Dawid-Skene against Crowd-Kit's on one million synthetic answers.

Both run on the same seeded data (100,000 items, 2,000 workers, 4 classes, 10 answers per
item) with the same stopping rule: the mean log-likelihood per answer gains less than 1e-5
(Crowd-Kit's default), at most 100 rounds, started from majority vote.

``python -m bench.quality --json`` prints one JSON object. Crowd-Kit is optional: it is
imported here only, and when it is missing its figures are ``null`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any

import numpy as np

from bot.quality.dawid_skene import EMSettings, dawid_skene
from bot.quality.encoding import Answers, FloatArray, IntArray


def synthetic(
    n_items: int = 100_000,
    n_workers: int = 2_000,
    n_classes: int = 4,
    per_item: int = 10,
    seed: int = 0,
) -> tuple[Answers, IntArray]:
    """Seeded synthetic crowd: ``per_item`` distinct workers per item, each worker a random
    confusion matrix (accuracy between 0.35 and 0.95, errors spread by a Dirichlet draw;
    one worker in ten a spammer who answers at random). Returns the answers and the truth."""
    rng = np.random.default_rng(seed)
    prior = rng.dirichlet(np.full(n_classes, 5.0))
    truth = rng.choice(n_classes, size=n_items, p=prior).astype(np.int64)
    acc = rng.uniform(0.35, 0.95, size=n_workers)
    errors = rng.dirichlet(np.ones(n_classes - 1), size=(n_workers, n_classes))
    conf = np.empty((n_workers, n_classes, n_classes))
    for k in range(n_classes):
        others = [c for c in range(n_classes) if c != k]
        conf[:, k, k] = acc
        conf[:, k, others] = (1.0 - acc)[:, None] * errors[:, k, :]
    spam = rng.random(n_workers) < 0.1
    conf[spam] = 1.0 / n_classes
    workers = rng.integers(0, n_workers, size=(n_items, per_item))
    while True:  # redraw rows that picked a worker twice
        s = np.sort(workers, axis=1)
        dup = np.any(s[:, 1:] == s[:, :-1], axis=1)
        if not dup.any():
            break
        workers[dup] = rng.integers(0, n_workers, size=(int(dup.sum()), per_item))
    items = np.repeat(np.arange(n_items, dtype=np.int64), per_item)
    w = workers.reshape(-1).astype(np.int64)
    cum = np.cumsum(conf[w, truth[items]], axis=1)
    labels = (rng.random(items.size)[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int64)
    return Answers(items, w, labels, n_items, n_workers, n_classes), truth


def _ours(answers: Answers, truth: IntArray, tol: float) -> dict[str, Any]:
    start = time.perf_counter()
    result = dawid_skene(answers, max_iter=100, tol=tol)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "accuracy": round(float(np.mean(result.labels == truth)), 6),
        "iterations": result.iterations,
        "max_iter": 100,
        "tol": tol,
    }


def _crowdkit(answers: Answers, truth: IntArray) -> dict[str, Any]:
    try:
        import pandas as pd
        from crowdkit.aggregation import DawidSkene
    except ImportError as exc:
        return {"seconds": None, "accuracy": None, "reason": f"crowd-kit not installed: {exc}"}
    frame = pd.DataFrame(
        {"worker": answers.workers, "task": answers.items, "label": answers.labels}
    )
    start = time.perf_counter()
    model = DawidSkene(n_iter=100, tol=1e-5)
    labels = model.fit_predict(frame)
    seconds = time.perf_counter() - start
    predicted: FloatArray = labels.reindex(np.arange(answers.n_items)).to_numpy()
    return {
        "seconds": round(seconds, 3),
        "accuracy": round(float(np.mean(predicted == truth)), 6),
        "iterations": len(model.loss_history_),
        "max_iter": 100,
        "tol": 1e-5,
        "version": _version("crowd-kit"),
    }


def _version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.quality")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2_000)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--per-item", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-crowdkit", action="store_true")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    answers, truth = synthetic(args.items, args.workers, args.classes, args.per_item, args.seed)
    generate = time.perf_counter() - start
    # Same stopping rule as Crowd-Kit (mean log-likelihood per answer gains < 1e-5, at most
    # 100 rounds); also timed with our tighter library default.
    ours = _ours(answers, truth, tol=1e-5)
    ours_default = _ours(answers, truth, tol=EMSettings().tol)
    if args.skip_crowdkit:
        theirs: dict[str, Any] = {"seconds": None, "accuracy": None, "reason": "skipped"}
    else:
        theirs = _crowdkit(answers, truth)
    ratio = (
        round(theirs["seconds"] / ours["seconds"], 2)
        if theirs.get("seconds") and ours["seconds"]
        else None
    )
    report = {
        "benchmark": "dawid_skene",
        "answers": answers.n_answers,
        "items": answers.n_items,
        "workers": answers.n_workers,
        "classes": answers.n_classes,
        "seed": args.seed,
        "generate_seconds": round(generate, 3),
        "tapmark": ours,
        "tapmark_default_tol": ours_default,
        "crowdkit": theirs,
        "speedup": ratio,
        "accuracy_difference": (
            round(ours["accuracy"] - theirs["accuracy"], 6)
            if theirs.get("accuracy") is not None
            else None
        ),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
