"""PostgreSQL engine on asyncpg: a connection pool shared by the process, one connection per
transaction, for several worker processes on one database.

Transactions run at READ COMMITTED. What keeps concurrent workers correct is in the SQL: the
pick of an open item locks the item row and skips rows other workers hold; a tap reads its
lease with the item row locked, so answers to one item are counted one after another; the
counters move by relative updates under the row locks those updates take; the invariants (one
assignment per item and member, one answer per assignment, one open lease per member and
project) are unique constraints; and the statements that spend something (an invite use, a
link code, a lease being reclaimed) decide in one statement, with the row locked, whether it
is still there.

The URL is libpq's (``postgresql://user:password@host:port/database``); ``?schema=NAME`` keeps
the tables in that schema (created when missing) instead of ``public``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from storage.contract import Retryable, Store, StoreError, Tx
from storage.postgres.tx import PgTx
from storage.sql.migrations import numbered

POOL_MIN = 1
POOL_MAX = 10
MIGRATION_LOCK = 0x74617070
"""The first key of the advisory lock held while migrating (the second is the schema's hash);
other advisory locks of the application use other first keys."""

LEADER_LOCK = MIGRATION_LOCK + 1
"""The first key of the advisory lock the scheduler's leader holds (the second: the schema)."""

RETRYABLE = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class DatabaseUnavailable(StoreError):
    """The server refused or did not answer the connection."""


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations for PostgreSQL, in order."""
    return numbered("postgres")


def split_url(url: str) -> tuple[str, str | None]:
    """The DSN to give asyncpg and the schema named by ``?schema=``, if any."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    rest = [(key, value) for key, value in query if key != "schema"]
    schema = schemas[-1] if schemas else None
    if schema is not None and not _SCHEMA_NAME.match(schema):
        raise StoreError(f"bad schema name {schema!r} in the database URL: use letters, digits, _")
    scheme = "postgresql" if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(rest), "")), schema


def describe(url: str) -> str:
    """The URL without its password, fit for a message."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Return a connection to the pool as it is. Each use is one transaction whose locks and
    settings end with it (asyncpg still rolls back one left open), so the default reset, a round
    trip of RESET ALL and unlocks after every transaction, would find nothing to undo."""


class PostgresStore(Store):
    def __init__(self, url: str) -> None:
        self.url = url
        self.dsn, self.schema = split_url(url)
        self._pool: asyncpg.Pool | None = None
        self._leader: asyncpg.Connection | None = None
        self._settings = {"application_name": "tapmark"}
        if self.schema is not None:
            self._settings["search_path"] = f'"{self.schema}"'

    async def open(self) -> None:
        try:
            self._pool = await asyncpg.create_pool(
                self.dsn,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                server_settings=self._settings,
                reset=_keep_session,
            )
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            raise DatabaseUnavailable(
                f"cannot connect to PostgreSQL at {describe(self.url)}: {exc}"
            ) from exc
        try:
            await self._migrate()
        except BaseException:
            await self.close()
            raise

    async def try_lead(self) -> bool:
        """Hold a session advisory lock on a connection of its own. While the connection lives
        this process leads; when the process dies the server drops the connection and the
        lock with it, and the next worker to ask takes the lead."""
        if self._leader is not None:
            try:
                await self._leader.fetchval("SELECT 1")
                return True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                self._leader.terminate()
                self._leader = None
        try:
            conn = await asyncpg.connect(self.dsn, timeout=10, server_settings=self._settings)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            return False
        try:
            leads = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1, hashtext($2))", LEADER_LOCK, self.schema or ""
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            leads = False
        if leads:
            self._leader = conn
            return True
        await conn.close()
        return False

    async def close(self) -> None:
        if self._leader is not None:
            leader, self._leader = self._leader, None
            await leader.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        return self._pool

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(version)

    async def _migrate(self) -> None:
        """Apply the migrations not applied yet, all in one transaction, under an advisory lock,
        so workers starting together apply each migration once and the others wait for it."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock($1, hashtext($2))",
                MIGRATION_LOCK,
                self.schema or "",
            )
            if self.schema is not None:
                await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, applied_at double precision NOT NULL)"
            )
            current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
            for number, sql in migrations():
                if number > current:
                    await conn.execute(sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, applied_at)"
                        " VALUES ($1, extract(epoch FROM clock_timestamp()))",
                        number,
                    )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            tx = PgTx(conn)
            try:
                async with conn.transaction():
                    yield tx
                    if tx.failed is not None:
                        raise StoreError(
                            "a statement failed inside the transaction, so nothing was written"
                        ) from tx.failed
            except RETRYABLE as exc:
                raise Retryable(f"PostgreSQL rolled the transaction back: {exc}") from exc
