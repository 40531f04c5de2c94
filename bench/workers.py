"""Several worker processes on one database, each with its own simulated annotators.

The parent (`run_workers`) prepares the project, batch and invite, then starts N processes of
``python -m bench.workers`` that share nothing but the database URL. Each joins its annotators,
waits for a common start time, labels until no task is left and prints one JSON line: how many
answers it stored, its latencies and its start and end. With ``--confirmed FILE`` a worker appends
``user item`` to FILE for every answer the core confirmed ("Saved ✓"), flushed at once, so a test
can kill it with SIGKILL and check that every confirmed answer survived. With ``--lead`` it also
runs the scheduler with the store's leader lock and writes ``leader <pid>`` to stderr when it
becomes the leader.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from bench.common import choose, task_screen
from bot.chat.actions import Screen, Toast
from bot.chat.events import Actor, Command, Tap
from bot.core import Core
from bot.jobs.scheduler import Scheduler
from storage import open_store

SAVED = "Saved ✓"


async def annotate(
    core: Core,
    actor: Actor,
    screen: Screen | None,
    rng: random.Random,
    latencies: list[float],
    think_s: float = 0.0,
    confirmed: TextIO | None = None,
) -> None:
    """One simulated person: tap a label on each task until none is left, pausing `think_s`
    on average before each tap; each tap's latency goes to `latencies`."""
    while screen is not None:
        if think_s:
            await asyncio.sleep(rng.expovariate(1 / think_s))
        number = re.search(r"item (\d+)", screen.text)
        token = screen.buttons()[choose(screen, rng)].token
        started = time.perf_counter()
        actions = await core.handle(Tap(actor, token, None))
        latencies.append(time.perf_counter() - started)
        if (
            confirmed is not None
            and number is not None
            and any(isinstance(a, Toast) and a.text == SAVED for a in actions)
        ):
            confirmed.write(f"{actor.user_id} {number.group(1)}\n")
            confirmed.flush()
        screen = task_screen(actions)


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    confirmed = open(args.confirmed, "a", encoding="utf-8") if args.confirmed else None
    async with open_store(args.db) as store:
        core = Core(store, rng=random.Random(args.seed))
        scheduler = None
        if args.lead:

            async def lead() -> bool:
                leads = await store.try_lead()
                if leads and not state["leader"]:
                    print(f"leader {os.getpid()}", file=sys.stderr, flush=True)
                state["leader"] = leads
                return leads

            state = {"leader": False}
            scheduler = Scheduler(store, is_leader=lead, interval=0.3)
            scheduler.start()
        actors = [
            Actor("bench", f"{args.prefix}{i}", f"{args.prefix}{i}") for i in range(args.annotators)
        ]
        screens = [
            task_screen(await core.handle(Command(a, "start", (args.invite,)))) for a in actors
        ]
        await asyncio.sleep(max(0.0, args.start_at - time.time()))
        latencies: list[float] = []
        started = time.time()
        await asyncio.gather(
            *(
                annotate(
                    core,
                    a,
                    s,
                    random.Random(args.seed * 100_000 + i),
                    latencies,
                    args.think_ms / 1000,
                    confirmed,
                )
                for i, (a, s) in enumerate(zip(actors, screens, strict=True))
            )
        )
        ended = time.time()
        if scheduler is not None and args.linger:
            await asyncio.sleep(args.linger)
        if scheduler is not None:
            await scheduler.stop()
    if confirmed is not None:
        confirmed.close()
    return {"answers": len(latencies), "latencies": latencies, "started": started, "ended": ended}


async def spawn(
    db: str,
    invite: str,
    prefix: str,
    annotators: int,
    start_at: float,
    seed: int,
    extra: tuple[str, ...] = (),
    think_ms: float = 0.0,
) -> asyncio.subprocess.Process:
    """Start one worker process; read its JSON line from stdout when it ends."""
    root = Path(__file__).resolve().parents[1]
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.workers",
        "--db",
        db,
        "--invite",
        invite,
        "--prefix",
        prefix,
        "--annotators",
        str(annotators),
        "--start-at",
        str(start_at),
        "--seed",
        str(seed),
        "--think-ms",
        str(think_ms),
        *extra,
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_workers(
    db: str, invite: str, workers: int, annotators: int, seed: int, think_ms: float = 0.0
) -> tuple[list[dict[str, Any]], float]:
    """Run `workers` processes of `annotators` each to the end; their reports and the span
    from the first start to the last end, in seconds."""
    start_at = time.time() + 2.0 + 0.5 * workers
    procs = [
        await spawn(db, invite, f"w{w}u", annotators, start_at, seed + w, think_ms=think_ms)
        for w in range(workers)
    ]
    reports = []
    for proc in procs:
        out, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed ({proc.returncode}): {err.decode()[-2000:]}")
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    span = max(r["ended"] for r in reports) - min(r["started"] for r in reports)
    return reports, span


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--invite", required=True)
    parser.add_argument("--prefix", default="u")
    parser.add_argument("--annotators", type=int, default=100)
    parser.add_argument("--start-at", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--think-ms", type=float, default=0.0)
    parser.add_argument("--confirmed", help="append each confirmed answer to this file")
    parser.add_argument("--lead", action="store_true", help="run the scheduler as a candidate")
    parser.add_argument(
        "--linger",
        type=float,
        default=0.0,
        help="seconds to stay up after the work is done (with --lead)",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(worker(args))), flush=True)


if __name__ == "__main__":
    main()
