"""The engines the storage tests run against, and what a test may know about each.

PostgreSQL runs against TAPMARK_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), each test in a schema of its own that is dropped
after it; its tests are skipped when no server answers there.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import asyncpg

from storage.contract import Tx
from storage.postgres.base import dollar_params
from tests.storage.postgres_server import scratch_schema


@dataclass(frozen=True)
class Engine:
    """What a contract test may know about the engine under test."""

    name: str
    url: str
    integrity_errors: tuple[type[BaseException], ...]

    def migration_numbers(self) -> list[int]:
        folder = resources.files("storage").joinpath("migrations", self.name)
        numbers = []
        for entry in folder.iterdir():
            match = re.match(r"^(\d{4})_.*\.sql$", entry.name)
            if match:
                numbers.append(int(match.group(1)))
        return sorted(numbers)

    raw_sql: Callable[[Tx, str, Sequence[Any]], Awaitable[list[tuple[Any, ...]]]]

    async def raw(self, tx: Tx, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement (``?`` placeholders) on the transaction's connection."""
        return await self.raw_sql(tx, sql, params)


async def _sqlite_raw(tx: Tx, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    db = cast(Any, tx).db
    async with db.execute(sql, tuple(params)) as cur:
        return [tuple(row) for row in await cur.fetchall()]


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[Engine]:
    yield Engine(
        "sqlite", f"sqlite:///{tmp_path / 'contract.db'}", (sqlite3.IntegrityError,), _sqlite_raw
    )


async def _postgres_raw(tx: Tx, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    conn = cast(Any, tx).conn
    return [tuple(row) for row in await conn.fetch(dollar_params(sql), *params)]


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[Engine]:
    async with scratch_schema() as url:
        yield Engine("postgres", url, (asyncpg.IntegrityConstraintViolationError,), _postgres_raw)


ENGINES: dict[str, Callable[[Path], AbstractAsyncContextManager[Engine]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}
