"""Benchmark: skill routing against arrival order, replaying real crowds over ten seeds.

For each data set (RTE, TEMP, D_PosSent in ``examples/crowd``) and seed, the same replays
``tapmark replay`` runs:

* ``arrival``: ``tapmark replay`` with no new flags (recorded answers in a random order);
* ``skill``: ``tapmark replay --routing skill --online 3`` (the best of three people online);
* ``arrival_online_model``: the routed replay with ``arrival`` routing, i.e. the online model
  and no choice (what the model alone changes, without routing);
* ``skill_all_online``: every person who answered the task in the record is online.

``labels_per_item`` counts the answers collected for the tasks that are not gold questions,
per such task; ``labels_per_item_with_gold`` adds the gold questions' answers (all of them are
revealed, in every mode). ``full_data_ds`` is Dawid-Skene on every recorded answer, scored on
all the gold. ``online_model`` times :class:`bot.quality.online.OnlineDawidSkene` on a
synthetic crowd: the rebuild from stored answers, one answer (the incremental step, without
the scheduled refresh) and one refresh (three full EM passes).
``python -m bench.routing --json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.quality import synthetic
from bot.quality.dawid_skene import dawid_skene
from bot.quality.online import OnlineDawidSkene, OnlineSettings
from bot.quality.replay import ReplayResult, replay
from bot.quality.replay_routing import replay_routed, weak_share
from bot.quality.routing import RoutingSettings
from cli.quality import Loaded, load

SETS = {  # data set: (accuracy at least, labels per item at most), the targets of issue 17
    "snow2008_rte": (0.923, 4.0),
    "snow2008_temp": (0.940, 3.5),
    "zheng2017_d_possent": (0.948, 3.6),
}

Run = Callable[[Loaded, int], ReplayResult]
ALL_ONLINE = 10**6

MODES: dict[str, Run] = {
    "arrival": lambda d, s: replay(d.answers, d.gold_items, d.gold_labels, seed=s),
    "skill": lambda d, s: replay_routed(d.answers, d.gold_items, d.gold_labels, seed=s),
    "arrival_online_model": lambda d, s: replay_routed(
        d.answers, d.gold_items, d.gold_labels, seed=s, routing=RoutingSettings("arrival")
    ),
    "skill_all_online": lambda d, s: replay_routed(
        d.answers, d.gold_items, d.gold_labels, seed=s, online=ALL_ONLINE
    ),
}


def _weak_used(d: Loaded, res: ReplayResult) -> float:
    assert res.revealed is not None
    used = res.revealed & ~np.isin(d.answers.items, res.gold_items)
    return weak_share(d.answers, used, d.gold_items, d.gold_labels)[0]


def measure(d: Loaded, mode: str, seeds: range) -> dict[str, Any]:
    """One mode over the seeds: means (and the spread of accuracy) and the time taken."""
    start = time.perf_counter()
    runs = [MODES[mode](d, s) for s in seeds]
    seconds = time.perf_counter() - start
    acc = np.asarray([r.accuracy for r in runs])
    return {
        "accuracy": round(float(acc.mean()), 4),
        "accuracy_sd": round(float(acc.std(ddof=1)) if acc.size > 1 else 0.0, 4),
        "labels_per_item": round(float(np.mean([r.labels_per_item for r in runs])), 3),
        "labels_per_item_with_gold": round(
            float(np.mean([r.labels_per_item_with_gold for r in runs])), 3
        ),
        "weak_answer_share": round(float(np.mean([_weak_used(d, r) for r in runs])), 3),
        "per_seed_accuracy": [round(float(a), 4) for a in acc],
        "seconds": round(seconds, 2),
    }


def online_cost(n_items: int, added: int = 5000) -> dict[str, Any]:
    """Rebuild on 90% of a synthetic crowd (500 workers, 5 answers per item), then time
    ``added`` answers one at a time (refreshes off) and one scheduled refresh."""
    answers, _ = synthetic(n_items=n_items, n_workers=500, n_classes=2, per_item=5, seed=0)
    cut = int(answers.n_answers * 0.9)
    start = time.perf_counter()
    model = OnlineDawidSkene.of(answers.subset(np.arange(cut)), OnlineSettings(refresh_every=10**9))
    rebuild = time.perf_counter() - start
    rest = range(cut, min(cut + added, answers.n_answers))
    start = time.perf_counter()
    for j in rest:
        model.add(int(answers.items[j]), int(answers.workers[j]), int(answers.labels[j]))
    per_answer = (time.perf_counter() - start) / len(rest)
    start = time.perf_counter()
    model.refresh()
    refresh = time.perf_counter() - start
    return {
        "answers": model.n_answers,
        "rebuild_s": round(rebuild, 3),
        "add_us": round(per_answer * 1e6, 1),
        "refresh_ms": round(refresh * 1e3, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.routing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 (default 10)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "examples" / "crowd",
        help="folder of the crowd data sets (default examples/crowd)",
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        print(
            f"bench.routing: unknown mode {unknown[0]!r} (known: {', '.join(MODES)})",
            file=sys.stderr,
        )
        return 2
    seeds = range(args.seeds)
    folder = args.data
    report: dict[str, Any] = {
        "benchmark": "routing",
        "seeds": f"0-{args.seeds - 1}",
        "gold_fraction": 0.1,
        "policy": {"min_overlap": 3, "max_overlap": 8, "confidence": 0.975},
        "routing": {"online": 3, "exploration": RoutingSettings().exploration},
        "sets": {},
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}",
    }
    for name, (target_acc, target_labels) in SETS.items():
        d = load(str(folder / f"{name}.answers.csv"), str(folder / f"{name}.gold.csv"))
        full = dawid_skene(d.answers).accuracy(d.gold_items, d.gold_labels)
        entry: dict[str, Any] = {
            "full_data_ds": round(full, 4),
            "recorded_labels_per_item": round(d.answers.n_answers / d.answers.n_items, 2),
            "target": {"accuracy": target_acc, "labels_per_item": target_labels},
        }
        for mode in modes:
            entry[mode] = measure(d, mode, seeds)
        if "skill" in entry:
            skill = entry["skill"]
            entry["skill_meets_target"] = (
                skill["accuracy"] >= target_acc and skill["labels_per_item"] <= target_labels
            )
            entry["skill_meets_target_with_gold"] = (
                skill["accuracy"] >= target_acc
                and skill["labels_per_item_with_gold"] <= target_labels
            )
        report["sets"][name] = entry
    report["online_model"] = [online_cost(n) for n in (10_000, 100_000)]
    if args.json:
        print(json.dumps(report))
    else:
        for name, entry in report["sets"].items():
            print(name, json.dumps(entry))
        print("online_model", json.dumps(report["online_model"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
