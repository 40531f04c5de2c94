"""The PostgreSQL primitives under the shared SQL operation groups (asyncpg)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from storage.sql.base import Duplicate, Row, SqlBase


@lru_cache(maxsize=2048)
def dollar_params(sql: str) -> str:
    """SQLite placeholders as PostgreSQL's: ``?`` becomes ``$n`` and ``?n`` becomes ``$n``.

    A bare ``?`` takes the number after the largest one used so far, as SQLite numbers it, so
    ``?3 ... ?`` reads ``$3 ... $4``. String literals, quoted identifiers, dollar-quoted bodies
    and comments are copied untouched.
    """
    out: list[str] = []
    i, n, largest = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(sql[i:end])
            i = end
        elif ch == "$" and (tag := _dollar_tag(sql, i)) is not None:
            end = sql.find(tag, i + len(tag))
            end = n if end < 0 else end + len(tag)
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            j = i + 1
            while j < n and sql[j].isdigit():
                j += 1
            number = int(sql[i + 1 : j]) if j > i + 1 else largest + 1
            largest = max(largest, number)
            out.append(f"${number}")
            i = j
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _dollar_tag(sql: str, start: int) -> str | None:
    """The ``$tag$`` opening a dollar-quoted string at `start`, if one does."""
    end = start + 1
    while end < len(sql) and (sql[end].isalnum() or sql[end] == "_"):
        end += 1
    if end < len(sql) and sql[end] == "$" and not sql[start + 1 : end].isdigit():
        return sql[start : end + 1]
    return None


def rowcount(status: str) -> int:
    """The row count in a command tag such as ``UPDATE 3`` or ``INSERT 0 1`` (0 if none)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


WAITS_LOCK = 0x74617077
"""The first key of the per-project advisory locks on waiting lists (``lock_waits``)."""


class PgBase(SqlBase):
    """Statements run on one connection inside the store's transaction.

    A guarded statement runs in a savepoint, so a constraint that refuses it raises Duplicate
    and the transaction goes on. An unguarded statement that fails aborts the transaction:
    ``failed`` records that, so the store refuses to report a commit that PostgreSQL would
    turn into a rollback.
    """

    lock_pick = "FOR UPDATE OF i SKIP LOCKED"
    lock_item = "FOR UPDATE OF i, a"
    lock_skip = "FOR UPDATE SKIP LOCKED"
    lock_row = "FOR UPDATE"
    lock_waits = f"SELECT pg_advisory_xact_lock({WAITS_LOCK}, ?::integer)"

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__()
        self.conn = conn
        self.failed: BaseException | None = None

    async def _one(
        self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False
    ) -> Row | None:
        query, args = dollar_params(sql), tuple(params)
        if guarded:
            try:
                async with self.conn.transaction():
                    return await self.conn.fetchrow(query, *args)
            except asyncpg.UniqueViolationError as exc:
                raise Duplicate(str(exc)) from exc
        try:
            return await self.conn.fetchrow(query, *args)
        except asyncpg.PostgresError as exc:
            self.failed = exc
            raise

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        try:
            return list(await self.conn.fetch(dollar_params(sql), *params))
        except asyncpg.PostgresError as exc:
            self.failed = exc
            raise

    async def _exec(self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False) -> int:
        query, args = dollar_params(sql), tuple(params)
        if guarded:
            try:
                async with self.conn.transaction():
                    return rowcount(await self.conn.execute(query, *args))
            except asyncpg.UniqueViolationError as exc:
                raise Duplicate(str(exc)) from exc
        try:
            return rowcount(await self.conn.execute(query, *args))
        except asyncpg.PostgresError as exc:
            self.failed = exc
            raise

    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        try:
            await self.conn.executemany(dollar_params(sql), rows)
        except asyncpg.PostgresError as exc:
            self.failed = exc
            raise

    async def _ids_copied(self, table: str, column: str) -> None:
        await self._one(
            f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX({column}), 0) + 1, false)"
            f" FROM {table}",
            (table, column),
        )
