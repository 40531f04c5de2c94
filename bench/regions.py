"""Benchmark: region consensus throughput.

``python -m bench.regions --json`` judges 100,000 items, each with 3 annotators' answers of 5
boxes (stored strings, as the core holds them), through `bot.quality.regions.judge_regions`:
parse, match, skill-weighted median, confidences, the done / more / disputed decision. The
answers are seeded: 5 boxes per item on a 1280 × 960 picture, each annotator's edges off by a
few pixels, one box in ten missed.

``crowd`` is quality, not speed: the simulated crowd of `bot.quality.regions.crowd` (10
annotators, one a spammer, about a fifth careless) on 200 synthetic pictures of each task type,
the consensus's mean IoU against the truth beside the median annotator's.

The JSON has one object per section under ``"sections"``; other measurements (the annotation
page's timings) add their own section to `SECTIONS`. ``--only NAME`` runs one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from bot.quality.overlap import OverlapPolicy
from bot.quality.regions import judge_regions
from bot.quality.regions.crowd import simulate
from tasks.regions.answer import Region, dumps
from tasks.regions.synth import TASKS

WIDTH, HEIGHT = 1280, 960


def answers(items: int, annotators: int, boxes: int, seed: int) -> list[list[str]]:
    """Stored answers, ``items`` lists of ``annotators`` strings."""
    rng = random.Random(seed)
    out = []
    for _ in range(items):
        truth = []
        for _ in range(boxes):
            w, h = rng.uniform(30, 200), rng.uniform(30, 200)
            truth.append((rng.uniform(0, WIDTH - w), rng.uniform(0, HEIGHT - h), w, h))
        drawn = []
        for _ in range(annotators):
            regions = []
            for x, y, w, h in truth:
                if rng.random() < 0.1:
                    continue
                x0 = min(max(x + rng.gauss(0, 3), 0.0), WIDTH - 10.0)
                y0 = min(max(y + rng.gauss(0, 3), 0.0), HEIGHT - 10.0)
                x1 = min(max(x + w + rng.gauss(0, 3), x0 + 5), WIDTH)
                y1 = min(max(y + h + rng.gauss(0, 3), y0 + 5), HEIGHT)
                regions.append(
                    Region(
                        0,
                        "car",
                        "box",
                        round(x0, 1),
                        round(y0, 1),
                        round(x1 - x0, 1),
                        round(y1 - y0, 1),
                    )
                )
            drawn.append(dumps(regions))
        out.append(drawn)
    return out


def consensus(args: argparse.Namespace) -> dict[str, Any]:
    data = answers(args.items, args.annotators, args.boxes, args.seed)
    accuracy = [0.9, 0.8, 0.7, 0.85, 0.75, 0.95, 0.65, 0.8][: args.annotators]
    accuracy += [0.8] * (args.annotators - len(accuracy))
    policy = OverlapPolicy(min(3, args.annotators), max(5, args.annotators), 0.9)
    latencies = []
    statuses: dict[str, int] = {}
    start = time.perf_counter()
    for values in data:
        t0 = time.perf_counter()
        verdict = judge_regions(values, accuracy, policy)
        latencies.append(time.perf_counter() - t0)
        statuses[verdict.status] = statuses.get(verdict.status, 0) + 1
    seconds = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    return {
        "items": args.items,
        "annotators": args.annotators,
        "boxes": args.boxes,
        "seconds": round(seconds, 3),
        "items_per_s": round(args.items / seconds, 1),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[max(0, int(len(ms) * 0.99) - 1)], 3),
        "statuses": dict(sorted(statuses.items())),
    }


def crowd(args: argparse.Namespace) -> dict[str, Any]:
    out = {}
    for task in TASKS:
        report = simulate(task, crowd=args.crowd, items=args.crowd_items, seed=args.seed)
        out[task] = {k: v for k, v in report.items() if k != "annotators"}
    return out


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "consensus": consensus,
    "crowd": crowd,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=3)
    parser.add_argument("--boxes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crowd", type=int, default=10, help="annotators in the crowd section")
    parser.add_argument("--crowd-items", type=int, default=200)
    parser.add_argument(
        "--only",
        choices=sorted(SECTIONS),
        action="append",
        help="run only these sections (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "regions",
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "sections": {
            name: run(args) for name, run in SECTIONS.items() if not args.only or name in args.only
        },
    }
    if args.json:
        print(json.dumps(report))
    else:
        for name, figures in report["sections"].items():
            print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
