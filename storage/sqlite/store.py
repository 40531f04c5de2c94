"""SQLite engine on aiosqlite: one connection per process, WAL, foreign keys, busy timeout.

Transactions start with BEGIN IMMEDIATE, so a writer takes the database lock up front and two
processes sharing the file queue on the busy timeout instead of failing half-way. Inside one
process an asyncio lock serialises transactions on the single connection.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from storage.contract import Store, Tx
from storage.sql.migrations import numbered
from storage.sqlite.tx import SqliteTx

BUSY_TIMEOUT_MS = 10_000


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations for SQLite, in order."""
    return numbered("sqlite")


class SqliteStore(Store):
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """A store that fails to open closes its connection: aiosqlite's thread would keep
        the process from exiting."""
        db = await aiosqlite.connect(self.path, isolation_level=None)
        self._db = db
        try:
            db.row_factory = aiosqlite.Row
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _write_ahead_log(db)
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def schema_version(self) -> int:
        rows = list(await self.db.execute_fetchall("PRAGMA user_version"))
        return int(rows[0][0]) if rows else 0

    async def _migrate(self) -> None:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                current = await self.schema_version()
                for number, sql in migrations():
                    if number > current:
                        for statement in _statements(sql):
                            await self.db.execute(statement)
                        await self.db.execute(f"PRAGMA user_version = {number}")
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self.db)
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            else:
                await self.db.execute("COMMIT")


async def _write_ahead_log(db: aiosqlite.Connection) -> None:
    """Switch the file to WAL. Several processes opening a fresh file at once race on this
    switch, and SQLite may answer "database is locked" at once rather than after the busy
    timeout, so the switch is tried again until the timeout has passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (executescript would commit the open transaction).

    A trigger body holds semicolons of its own, so pieces are joined until SQLite calls the
    statement complete.
    """
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    statements: list[str] = []
    current = ""
    for piece in "\n".join(lines).split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                statements.append(current.strip())
            current = ""
    return statements
