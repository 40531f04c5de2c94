"""Several worker processes on one PostgreSQL database: the invariants under concurrency, under a
worker killed with SIGKILL, and the scheduler's leader moving when its process dies."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bench.core import PROJECT, batch
from bench.workers import run_workers, spawn
from bot.jobs.scheduler import reclaim_leases
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tests.storage.postgres_server import connect, scratch_schema


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    (await connect()).terminate()  # skips, saying why, when no server answers
    async with scratch_schema() as url:
        yield url


async def prepare(url: str, items: int, overlap: int = 3, routing: str = "arrival") -> str:
    async with open_store(url) as store:
        spec = parse_project(
            "bench.toml", PROJECT.format(overlap=overlap, gold_rate=0.0, routing=routing)
        )
        await save_project(store, spec, update=False)
        await import_batch(store, "bench", "b.jsonl", batch(items, 0), True)
        return (await make_invite(store, "bench", Role.ANNOTATOR, None, None)).code


async def stored(store: Store) -> tuple[dict[str, list[str]], int]:
    """Each item's annotators, and the number of open leases."""
    async with store.transaction() as tx:
        project = await tx.project_by_name("bench")
        assert project is not None
        who = {
            r.item.ext_id: [a.annotator for a in r.answers]
            async for r in tx.export_rows(project.id)
        }
        leases = (await tx.live_counts()).open_leases
    return who, leases


@pytest.mark.parametrize("routing", ["arrival", "skill"])
async def test_four_workers_keep_every_item_at_exactly_its_overlap(
    pg_url: str, routing: str
) -> None:
    code = await prepare(pg_url, items=300, routing=routing)
    reports, _ = await run_workers(pg_url, code, workers=4, annotators=100, seed=3)
    assert sum(r["answers"] for r in reports) == 900
    async with open_store(pg_url) as store:
        who, leases = await stored(store)
    assert len(who) == 300 and leases == 0
    assert {item: len(people) for item, people in who.items()} == dict.fromkeys(who, 3)
    assert all(len(set(people)) == 3 for people in who.values())


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def until(condition: Callable[[], bool], within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def read_leader(proc: asyncio.subprocess.Process, within: float) -> int:
    assert proc.stderr is not None
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        line = await asyncio.wait_for(proc.stderr.readline(), deadline - time.monotonic())
        if line.startswith(b"leader "):
            return int(line.split()[1])
        if not line:
            break
    raise AssertionError("the worker never became the leader")


async def test_a_killed_worker_loses_nothing_confirmed_and_the_leader_moves(
    pg_url: str, tmp_path: Path
) -> None:
    code = await prepare(pg_url, items=400)
    confirmed = tmp_path / "confirmed.txt"
    lead = ("--lead", "--linger", "20", "--confirmed", str(confirmed))
    start_at = time.time() + 3
    first = await spawn(pg_url, code, "a", 40, start_at, 1, lead)
    assert await read_leader(first, 30) == first.pid
    second = await spawn(pg_url, code, "b", 40, start_at, 2, lead)
    await until(lambda: sum(line.startswith("a") for line in lines_of(confirmed)) >= 20)
    first.send_signal(signal.SIGKILL)
    await first.wait()

    assert await read_leader(second, 15) == second.pid
    async with open_store(pg_url) as store:
        _, leases = await stored(store)
        assert leases > 0
        assert await reclaim_leases(store, time.time() + 2 * 3600) > 0

    again = await spawn(pg_url, code, "a", 40, time.time(), 1, ("--confirmed", str(confirmed)))
    out, err = await asyncio.wait_for(again.communicate(), 120)
    assert again.returncode == 0, err.decode()[-2000:]
    _, err = await asyncio.wait_for(second.communicate(), 60)
    assert second.returncode == 0, err.decode()[-3000:]

    async with open_store(pg_url) as store:
        who, leases = await stored(store)
        async with store.transaction() as tx:
            project = await tx.project_by_name("bench")
            assert project is not None
            members = {m.member.id: m.member.name for m in await tx.project_members(project.id)}
            pseudonyms = {(await tx.member(m)).pseudonym: name for m, name in members.items()}
    given: Counter[tuple[str, str]] = Counter()
    for line in confirmed.read_text().splitlines():
        user, number = line.split()
        given[(user, f"i{number}")] += 1
    stored_pairs = {(pseudonyms[p], item) for item, people in who.items() for p in people}
    assert set(given) <= stored_pairs
    assert max(given.values()) == 1
    assert {len(p) for p in who.values()} == {3} and leases == 0
    assert json.loads(out.decode().splitlines()[-1])["answers"] > 0
