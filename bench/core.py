"""Benchmark of the answer cycle through the core on an SQLite file.

    python -m bench.core --annotators 500 --items 20000 --overlap 3 --json
    python -m bench.core ... --routing skill   # the same with skill routing on

Every simulated annotator joins, then loops: tap a label on the task on screen; the core stores
the answer and hands out the next task in the same event. All annotators run at once on one event
loop. The latency of a cycle is from the tap to the returned next screen, queueing included.

With ``--think-ms 0`` (the default) every annotator taps again the moment the next screen is
back, which measures the core's ceiling; latency then is mostly queueing (annotators / rate).
Annotators answer like a fair crowd (right 85% of the time), so most items finish at the
minimum overlap and some need more answers or end disputed, as in real work.
``--think-ms`` adds a random pause like a person reading, to see latency under a given load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import summary, task_screen
from bench.workers import annotate, run_workers
from bot.chat.events import Actor, Command
from bot.core import Core
from bot.judging.skills import refresh_skills
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import Store

PROJECT = """
name = "bench"
title = "Benchmark"
task = "single_choice"
labels = ["a", "b", "c"]
[quality]
min_overlap = {overlap}
max_overlap = {overlap}
gold_rate = {gold_rate}
routing = "{routing}"
"""


def batch(items: int, gold_every: int) -> bytes:
    lines = []
    for i in range(items):
        row: dict[str, Any] = {"id": f"i{i}", "data": {"text": f"item {i}"}}
        if gold_every and i % gold_every == 0:
            row["gold"] = "a"
        lines.append(json.dumps(row))
    return ("\n".join(lines) + "\n").encode()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tapmark-bench-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        async with open_store(url) as store:
            spec = parse_project(
                "bench.toml",
                PROJECT.format(
                    overlap=args.overlap, gold_rate=args.gold_rate, routing=args.routing
                ),
            )
            await save_project(store, spec, update=True)
            await import_batch(
                store,
                "bench",
                "bench.jsonl",
                batch(args.items, args.gold_every),
                True,
                batch_name=f"b{time.time_ns()}",
            )
            invite = await make_invite(store, "bench", Role.ANNOTATOR, None, None)
            if args.workers > 1:
                reports, elapsed = await run_workers(
                    url,
                    invite.code,
                    args.workers,
                    args.annotators // args.workers,
                    args.seed,
                    args.think_ms,
                )
                merged = [x for r in reports for x in r["latencies"]]
                return {**_head(url, args), **summary(merged, elapsed, "answers")}
            core = Core(store, rng=random.Random(args.seed))
            actors = [Actor("bench", f"u{i}", f"u{i}") for i in range(args.annotators)]
            screens = [
                task_screen(await core.handle(Command(a, "start", (invite.code,)))) for a in actors
            ]
            latencies: list[float] = []
            refreshes: list[float] = []
            refresher = asyncio.create_task(_refresh(store, args, refreshes))
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    annotate(core, a, s, random.Random(i), latencies, args.think_ms / 1000)
                    for i, (a, s) in enumerate(zip(actors, screens, strict=True))
                )
            )
            elapsed = time.perf_counter() - started
            refresher.cancel()
    figures = {**_head(url, args), **summary(latencies, elapsed, "answers")}
    if refreshes:
        figures["skill_refreshes"] = len(refreshes)
        figures["skill_refresh_ms_max"] = round(max(refreshes) * 1000, 1)
    return figures


async def _refresh(store: Store, args: argparse.Namespace, took: list[float]) -> None:
    """With skill routing, what the scheduler does: re-estimate the skill model every
    ``--refresh-s`` seconds while the annotators work."""
    if args.routing != "skill":
        return
    async with store.transaction() as tx:
        project = await tx.project_by_name("bench")
    assert project is not None
    while True:
        await asyncio.sleep(args.refresh_s)
        started = time.perf_counter()
        await refresh_skills(store, project, time.time())
        took.append(time.perf_counter() - started)


def _head(url: str, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "benchmark": "core",
        "engine": url.split(":", 1)[0],
        "workers": args.workers,
        "annotators": args.annotators,
        "items": args.items,
        "overlap": args.overlap,
        "think_ms": args.think_ms,
        "routing": args.routing,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--annotators", type=int, default=500)
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--overlap", type=int, default=3)
    parser.add_argument("--gold-rate", type=float, default=0.0)
    parser.add_argument("--gold-every", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause between a screen and the tap (default 0: flat out)",
    )
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes sharing the database, the annotators split "
        "among them (default 1: all in this process)",
    )
    parser.add_argument("--routing", choices=("arrival", "skill"), default="arrival")
    parser.add_argument(
        "--refresh-s",
        type=float,
        default=10.0,
        help="with --routing skill: seconds between re-estimates of the skill model "
        "(default 10; the scheduler's is 60)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
