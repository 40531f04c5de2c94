"""CLI commands over the label-quality mathematics: ``aggregate`` and ``replay``.

The main CLI calls :func:`register` with its sub-parsers and then ``args.func(args)``, which
returns the exit code. Bad input (missing file, missing column, empty file, malformed row)
prints one line on stderr naming the file, and the line or field when relevant, and exits 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.quality.agreement import krippendorff_alpha
from bot.quality.encoding import Answers, Codebook, IntArray, encode
from bot.quality.methods import (
    DEFAULT_METHOD,
    METHODS,
    aggregate,
    cross_fitted_accuracy,
    describe,
    uses_gold,
)
from bot.quality.overlap import OverlapPolicy
from bot.quality.replay import ReplayResult, replay
from bot.quality.replay_routing import replay_routed, weak_share
from bot.quality.routing import ROUTINGS, RoutingSettings
from cli.common import Commands, Heading, TopParser
from cli.files import OutputError, replace_text

ANSWER_COLUMNS = ("worker", "task", "label")
GOLD_COLUMNS = ("task", "label")
DEFAULT_POLICY = OverlapPolicy()


class InputError(Exception):
    """A problem with an input file, worded for the person who gave it."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """Answers (and gold, when given) read from CSV and encoded."""

    answers: Answers
    book: Codebook
    gold_items: IntArray
    gold_labels: IntArray
    gold_rows: int


def read_rows(path: str, columns: Sequence[str]) -> list[tuple[str, ...]]:
    """The given columns of a CSV file with a header, as tuples of stripped strings.

    Raises :class:`InputError` naming the file (and line, field) for a missing or unreadable
    file, an empty file, a missing column, a short row, an empty value, or no data rows.
    """
    p = Path(path)
    try:
        handle = p.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from None
    rows: list[tuple[str, ...]] = []
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or not any(h.strip() for h in header):
                raise InputError(
                    f"{path}: empty file (expected a header line: {','.join(columns)})"
                )
            names = [h.strip().lower() for h in header]
            missing = [c for c in columns if c not in names]
            if missing:
                raise InputError(
                    f"{path}: line 1: missing column {missing[0]!r} "
                    f"(header has: {','.join(h.strip() for h in header)})"
                )
            index = [names.index(c) for c in columns]
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                line = reader.line_num
                if len(row) <= max(index):
                    field = columns[next(i for i, j in enumerate(index) if j >= len(row))]
                    raise InputError(f"{path}: line {line}: missing field {field!r}")
                values = tuple(row[j].strip() for j in index)
                for name, value in zip(columns, values, strict=True):
                    if not value:
                        raise InputError(f"{path}: line {line}: empty field {name!r}")
                rows.append(values)
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        except csv.Error as exc:
            raise InputError(f"{path}: line {reader.line_num}: bad CSV: {exc}") from None
    if not rows:
        raise InputError(f"{path}: no data rows after the header")
    return rows


def load(answers_path: str, gold_path: str | None) -> Loaded:
    """Read and encode the answers file and, when given, the gold file."""
    rows = read_rows(answers_path, ANSWER_COLUMNS)
    gold: dict[Hashable, Hashable] = {}
    if gold_path is not None:
        for task, label in read_rows(gold_path, GOLD_COLUMNS):
            gold[task] = label
    answers, book = encode(((w, t, lab) for w, t, lab in rows), extra_classes=gold.values())
    gold_items, gold_labels = book.encode_gold(gold)
    return Loaded(answers, book, gold_items, gold_labels, len(gold))


def _fmt(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 6)


def run_aggregate(args: argparse.Namespace) -> int:
    """``tapmark aggregate``: consensus labels for every task."""
    data = load(args.answers, args.gold)
    has_gold = args.gold is not None and data.gold_items.size > 0
    if args.method == "ds_gold" and not has_gold:
        raise InputError("method 'ds_gold' needs --gold with labels for some of the tasks")
    gold = (data.gold_items, data.gold_labels) if has_gold and uses_gold(args.method) else None
    result = aggregate(data.answers, args.method, gold, args.seed)
    accuracy: float | None = None
    evaluation = None
    if args.gold is not None:
        if uses_gold(args.method) and has_gold:
            acc = cross_fitted_accuracy(
                data.answers, args.method, data.gold_items, data.gold_labels, 5, args.seed
            )
            evaluation = "5-fold cross-fitted: each gold task scored by a run without it"
        else:
            acc = result.accuracy(data.gold_items, data.gold_labels)
            evaluation = "direct"
        accuracy = _fmt(acc)
    if args.out:
        write_labels(args.out, data.book, result.labels, result.confidence)
    alpha = krippendorff_alpha(data.answers)
    if args.json:
        print(
            json.dumps(
                {
                    "method": result.method,
                    "items": data.answers.n_items,
                    "workers": data.answers.n_workers,
                    "answers": data.answers.n_answers,
                    "classes": [str(c) for c in data.book.classes],
                    "accuracy": accuracy,
                    "gold_items": int(data.gold_items.size) if args.gold else None,
                    "evaluation": evaluation,
                    "mean_confidence": _fmt(float(result.confidence.mean())),
                    "ties": int(result.ties.sum()),
                    "iterations": result.iterations,
                    "krippendorff_alpha": _fmt(alpha),
                }
            )
        )
        return 0
    a = data.answers
    print(
        f"{result.method} ({describe(result.method)}): {a.n_items} tasks, {a.n_workers} workers,"
        f" {a.n_answers} answers, {a.n_classes} classes"
    )
    print(f"Krippendorff's alpha: {alpha:.3f}")
    low = int(np.sum(result.confidence < 0.9))
    print(f"mean confidence {float(result.confidence.mean()):.3f}; {low} tasks under 0.9")
    if accuracy is not None:
        print(
            f"accuracy against {args.gold}: {accuracy:.4f} on {data.gold_items.size} tasks"
            + (" (cross-fitted)" if evaluation and evaluation != "direct" else "")
        )
    if args.out:
        print(f"labels written to {args.out}")
    return 0


def write_labels(
    path: str, book: Codebook, labels: IntArray, confidence: np.ndarray[Any, Any]
) -> None:
    """Write ``task,label,confidence`` rows, one per task, through a temporary file that
    replaces `path` only once it is whole."""
    try:
        with replace_text(path) as handle:
            writer = csv.writer(handle)
            writer.writerow(["task", "label", "confidence"])
            for task, label, conf in zip(
                book.items, book.decode_labels(labels), confidence, strict=True
            ):
                writer.writerow([task, label, f"{float(conf):.6f}"])
    except OutputError as exc:
        raise InputError(str(exc)) from None


def run_replay(args: argparse.Namespace) -> int:
    """``tapmark replay``: simulate dynamic overlap (and routing) on recorded answers."""
    if not 0.0 <= args.gold_fraction < 1.0:
        raise InputError("--gold-fraction must be at least 0 and below 1")
    if args.online < 1:
        raise InputError("--online must be at least 1")
    try:
        policy = OverlapPolicy(args.min_overlap, args.max_overlap, args.confidence)
    except ValueError as exc:
        raise InputError(f"bad policy: {exc}") from None
    try:
        routing = RoutingSettings(args.routing, args.exploration)
    except ValueError as exc:
        raise InputError(f"bad routing: {exc}") from None
    data = load(args.answers, args.gold)
    if data.gold_items.size == 0:
        raise InputError(f"{args.gold}: none of its tasks appear in {args.answers}")
    a = data.answers
    if args.routing == "skill":
        res = replay_routed(
            a, data.gold_items, data.gold_labels, policy, args.gold_fraction, args.seed,
            args.online, routing,
        )  # fmt: skip
    else:
        res = replay(a, data.gold_items, data.gold_labels, policy, args.gold_fraction, args.seed)
    n_items = a.n_items - res.gold_items.size
    weak_used, weak_recorded = _weak(data, res)
    if args.json:
        print(
            json.dumps(
                {
                    "accuracy": _fmt(res.accuracy),
                    "labels_per_item": _fmt(res.labels_per_item),
                    "labels_per_item_with_gold": _fmt(res.labels_per_item_with_gold),
                    "items": n_items,
                    "evaluated_items": int(res.eval_items.size),
                    "gold_items": int(res.gold_items.size),
                    "gold_answers": res.gold_answers,
                    "answers_available": int(a.n_answers - res.gold_answers),
                    "status": res.counts_by_status(),
                    "policy": {
                        "min_overlap": policy.min_overlap,
                        "max_overlap": policy.max_overlap,
                        "confidence": policy.confidence,
                    },
                    "routing": args.routing,
                    "online": args.online if args.routing == "skill" else None,
                    "exploration": args.exploration if args.routing == "skill" else None,
                    "weak_answer_share": {"used": _fmt(weak_used), "recorded": _fmt(weak_recorded)},
                    "gold_fraction": args.gold_fraction,
                    "seed": args.seed,
                }
            )
        )
        return 0
    print(
        f"replayed {n_items} tasks ({res.gold_items.size} more served as gold questions with"
        f" {res.gold_answers} answers)"
    )
    print(
        f"policy: min {policy.min_overlap}, max {policy.max_overlap},"
        f" confidence {policy.confidence}"
    )
    if args.routing == "skill":
        print(
            f"routing: skill, choosing among {args.online} people online per task,"
            f" exploration {args.exploration}"
        )
    print(f"labels per task: {res.labels_per_item:.2f}")
    print(f"labels per task with the gold questions' answers: {res.labels_per_item_with_gold:.2f}")
    print(f"accuracy: {res.accuracy:.4f} on {res.eval_items.size} tasks with gold")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in res.counts_by_status().items()))
    print(
        f"answers from annotators under 60% on gold: {weak_used:.0%} of those used,"
        f" {weak_recorded:.0%} of those recorded"
    )
    return 0


def _weak(data: Loaded, res: ReplayResult) -> tuple[float, float]:
    """:func:`weak_share` of the answers used for the tasks that were not gold questions."""
    a = data.answers
    revealed = res.revealed if res.revealed is not None else np.zeros(a.n_answers, dtype=bool)
    used = revealed & ~np.isin(a.items, res.gold_items)
    return weak_share(a, used, data.gold_items, data.gold_labels)


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn input problems into one line on stderr and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except InputError as exc:
            print(f"tapmark {args.quality_command}: error: {exc}", file=sys.stderr)
            return 1

    run.__doc__ = func.__doc__
    return run


def register(sub: Commands) -> None:
    """Add the ``aggregate`` and ``replay`` sub-commands to the main CLI."""
    agg = sub.add(
        Heading.RESULTS,
        "aggregate",
        help="consensus labels from crowd answers",
        description="Aggregate crowd answers (CSV with columns worker,task,label) into one "
        "label per task.",
    )
    agg.add_argument("answers", metavar="ANSWERS.csv")
    agg.add_argument("--gold", metavar="GOLD.csv", help="known labels (columns task,label)")
    agg.add_argument(
        "--method",
        choices=METHODS,
        default=DEFAULT_METHOD,
        help=f"aggregation method (default {DEFAULT_METHOD})",
    )
    agg.add_argument("--json", action="store_true", help="print one JSON object")
    agg.add_argument("--out", metavar="FILE", help="write task,label,confidence CSV")
    agg.add_argument("--seed", type=int, default=0, help="seed for tie-breaking")
    agg.set_defaults(func=_guarded(run_aggregate), quality_command="aggregate")

    rep = sub.add(
        Heading.RESULTS,
        "replay",
        help="replay recorded answers through dynamic overlap",
        description="Replay real answers through the dynamic-overlap policy: a share of the "
        "gold tasks serve as gold questions, the rest get their answers one at a time until "
        "the policy stops. With --routing skill, each next answer comes from the best of "
        "--online people drawn among those who answered the task in the record.",
    )
    rep.add_argument("answers", metavar="ANSWERS.csv")
    rep.add_argument("--gold", metavar="GOLD.csv", required=True)
    rep.add_argument("--gold-fraction", type=float, default=0.1)
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--min-overlap", type=int, default=DEFAULT_POLICY.min_overlap)
    rep.add_argument("--max-overlap", type=int, default=DEFAULT_POLICY.max_overlap)
    rep.add_argument("--confidence", type=float, default=DEFAULT_POLICY.confidence)
    rep.add_argument(
        "--routing",
        choices=ROUTINGS,
        default="arrival",
        help="arrival: the recorded answers in a random order (default); skill: routing by "
        "the online Dawid-Skene estimates",
    )
    rep.add_argument(
        "--online",
        type=int,
        default=3,
        metavar="K",
        help="with --routing skill: people online for a task at each step (default 3)",
    )
    rep.add_argument(
        "--exploration",
        type=float,
        default=RoutingSettings().exploration,
        help="with --routing skill: chance of picking the least-known person online "
        f"(default {RoutingSettings().exploration})",
    )
    rep.set_defaults(func=_guarded(run_replay), quality_command="replay")


def _standalone(argv: Sequence[str]) -> int:
    """Run the commands without the main CLI (for tests): ``_standalone(["aggregate", ...])``."""
    parser = TopParser(prog="tapmark")
    register(parser.commands)
    args = parser.parse_args(list(argv))
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)
