"""Fixtures shared by the suite: a real SQLite file per test, the core, console people."""

from __future__ import annotations

import json
import random
import socket
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.console.recorder import Recorder
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import Store, Tx
from tests.storage.postgres_server import connect, scratch_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "reviews"

PROJECT_TOML = """
name = "{name}"
title = "Test sentiment"
task = "single_choice"
labels = ["pos", "neg", "neu"]
instructions = "How does the writer feel?"
lease_minutes = 30

[quality]
min_overlap = {overlap}
max_overlap = {max_overlap}
gold_rate = {gold_rate}
{extra}
"""


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tapmark.db'}"


@pytest.fixture
async def store(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Store]:
    """A real SQLite file; or, for a test parametrized with ``indirect=["store"]`` and the
    value "postgres", a PostgreSQL schema of its own (skipped when no server answers)."""
    if getattr(request, "param", "sqlite") == "postgres":
        (await connect()).terminate()
        async with scratch_schema() as url, open_store(url) as s:
            yield s
        return
    async with open_store(db_url) as s:
        yield s


BOTH_ENGINES = pytest.mark.parametrize("store", ["sqlite", "postgres"], indirect=True)
"""Run a test that uses the `store` fixture on SQLite and on PostgreSQL."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(store: Store, clock: Clock) -> Core:
    return Core(store, clock=clock, rng=random.Random(7))


@pytest.fixture
def recorder(core: Core) -> Recorder:
    return Recorder(core)


def batch_lines(n: int, gold_every: int = 0, prefix: str = "i") -> bytes:
    rows = []
    for i in range(n):
        row: dict[str, object] = {"id": f"{prefix}{i}", "data": {"text": f"item number {i}"}}
        if gold_every and i % gold_every == 0:
            row["gold"] = "pos"
            row["explanation"] = "It says so."
        rows.append(json.dumps(row))
    return ("\n".join(rows) + "\n").encode()


@pytest.fixture
def make_project(store: Store) -> Callable[..., object]:
    """Create a project with a published batch; returns an invite code for annotators."""

    async def make(
        items: int = 10,
        overlap: int = 3,
        gold_rate: float = 0.0,
        gold_every: int = 0,
        name: str = "t",
        max_overlap: int | None = None,
        extra: str = "",
    ) -> str:
        text = PROJECT_TOML.format(
            name=name,
            overlap=overlap,
            gold_rate=gold_rate,
            max_overlap=overlap if max_overlap is None else max_overlap,
            extra=extra,
        )
        await save_project(store, parse_project("test.toml", text), update=False)
        await import_batch(store, name, "b1.jsonl", batch_lines(items, gold_every), True)
        invite = await make_invite(store, name, Role.ANNOTATOR, None, None)
        return invite.code

    return make


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def break_answers(db_url: str, broken: bool) -> None:
    """Hide (or bring back) the answers table of the SQLite file: the core then fails on any
    answer, as it would on a database that went away."""
    path = db_url.removeprefix("sqlite:///")
    names = ("answers", "answers_hidden") if broken else ("answers_hidden", "answers")
    with sqlite3.connect(path) as conn:
        conn.execute(f"ALTER TABLE {names[0]} RENAME TO {names[1]}")


async def raw(tx: Tx, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """One statement through the transaction's own SQL primitive (either engine; `?`
    placeholders), for a test that looks at what the contract does not show."""
    return [tuple(r) for r in await tx._all(sql, args)]  # type: ignore[attr-defined]
