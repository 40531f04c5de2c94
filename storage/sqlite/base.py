"""The SQLite primitives under the shared SQL operation groups."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from storage.sql.base import Duplicate, Row, SqlBase


def _unique(exc: sqlite3.IntegrityError) -> bool:
    """Whether a unique constraint (not a foreign key or a check) refused the statement."""
    return getattr(exc, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    )


class SqliteBase(SqlBase):
    def __init__(self, db: aiosqlite.Connection) -> None:
        super().__init__()
        self.db = db

    async def _one(
        self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False
    ) -> Row | None:
        try:
            rows = await self.db.execute_fetchall(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            if guarded and _unique(exc):
                raise Duplicate(str(exc)) from exc
            raise
        for row in rows:
            return row
        return None

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        return list(await self.db.execute_fetchall(sql, tuple(params)))

    async def _exec(self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False) -> int:
        """Each call is one trip to aiosqlite's thread; the cursor is left to the collector
        rather than closed, which would cost a second trip."""
        try:
            cur = await self.db.execute(sql, tuple(params))
        except sqlite3.IntegrityError as exc:
            if guarded and _unique(exc):
                raise Duplicate(str(exc)) from exc
            raise
        return int(cur.rowcount)

    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.db.executemany(sql, rows)
