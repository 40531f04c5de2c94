"""What is particular to the PostgreSQL engine: placeholders, URLs, the schema mirroring
SQLite's, connection failures, and a transaction whose statement failed."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest

from domain.enums import Role
from storage import open_store
from storage.contract import Store, StoreError
from storage.postgres.base import dollar_params, rowcount
from storage.postgres.store import DatabaseUnavailable, describe, split_url
from storage.sqlite.store import migrations as sqlite_migrations
from tests.storage.postgres_server import connect, scratch_schema
from tests.storage.test_contract import spec

# --- placeholders, command tags, URLs ------------------------------------------------------


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("a = ?3 AND b = ?1 OR c = ?1 AND d = ?", "a = $3 AND b = $1 OR c = $1 AND d = $4"),
        ("SELECT '?', 'it''s ?', ? FROM t", "SELECT '?', 'it''s ?', $1 FROM t"),
        ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = $1'),
        ("SELECT 1 -- why?\nWHERE a = ?", "SELECT 1 -- why?\nWHERE a = $1"),
        ("SELECT /* ? */ ?", "SELECT /* ? */ $1"),
        ("DO $body$ SELECT '?' $body$; SELECT ?", "DO $body$ SELECT '?' $body$; SELECT $1"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_placeholders_become_numbered_outside_literals(sqlite: str, postgres: str) -> None:
    assert dollar_params(sqlite) == postgres


@pytest.mark.parametrize(
    ("status", "count"),
    [("UPDATE 3", 3), ("DELETE 0", 0), ("INSERT 0 1", 1), ("SELECT 12", 12), ("CREATE TABLE", 0)],
)
def test_the_row_count_comes_from_the_command_tag(status: str, count: int) -> None:
    assert rowcount(status) == count


def test_the_schema_parameter_is_taken_out_of_the_url() -> None:
    dsn, schema = split_url("postgres://u:secret@db:5433/tap?schema=staging&sslmode=disable")
    assert (dsn, schema) == ("postgresql://u:secret@db:5433/tap?sslmode=disable", "staging")
    assert split_url("postgresql://db/tap") == ("postgresql://db/tap", None)
    assert "secret" not in describe("postgresql://u:secret@db:5433/tap")
    with pytest.raises(StoreError, match="schema"):
        split_url("postgresql://db/tap?schema=x;drop")


async def test_a_server_that_does_not_answer_is_one_clear_error() -> None:
    with pytest.raises(DatabaseUnavailable, match="cannot connect") as caught:
        async with open_store("postgresql://u:secret@127.0.0.1:1/tap"):
            pass
    assert "secret" not in str(caught.value)


# --- the schema ----------------------------------------------------------------------------


def _names(engine: str) -> list[str]:
    folder = resources.files("storage").joinpath("migrations", engine)
    return sorted(e.name for e in folder.iterdir() if re.match(r"^\d{4}_.*\.sql$", e.name))


def test_the_migrations_mirror_sqlites_one_for_one() -> None:
    assert _names("postgres") == _names("sqlite")


@pytest.fixture
async def pg_store() -> AsyncIterator[Store]:
    async with scratch_schema() as url, open_store(url) as store:
        yield store


def _sqlite_columns(tmp_path: Path) -> dict[str, set[str]]:
    db = sqlite3.connect(tmp_path / "schema.db")
    try:
        for _, sql in sqlite_migrations():
            db.executescript(sql)
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: {r[1] for r in db.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        db.close()


async def test_the_schema_has_sqlites_tables_and_columns(pg_store: Store, tmp_path: Path) -> None:
    async with pg_store.transaction() as tx:
        rows = await cast(Any, tx).conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'"
        )
    postgres: dict[str, set[str]] = {}
    for r in rows:
        postgres.setdefault(r["table_name"], set()).add(r["column_name"])
    expected = _sqlite_columns(tmp_path)
    expected["identities"].add("rowid")
    assert postgres == expected


async def test_each_migration_is_recorded_once(pg_store: Store) -> None:
    async with pg_store.transaction() as tx:
        rows = await cast(Any, tx).conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
    assert [r[0] for r in rows] == [n for n, _ in sqlite_migrations()]


async def test_the_tables_live_in_the_urls_schema() -> None:
    async with scratch_schema() as url, open_store(url):
        schema = url.rsplit("schema=", 1)[1]
        conn = await connect()
        try:
            where = await conn.fetch(
                "SELECT DISTINCT table_schema FROM information_schema.tables"
                " WHERE table_name = 'items'"
            )
        finally:
            await conn.close()
    assert schema in {r[0] for r in where}


# --- a failed statement --------------------------------------------------------------------


async def test_a_transaction_whose_statement_failed_is_not_reported_committed(
    pg_store: Store,
) -> None:
    """SQLite undoes one failed statement and goes on; PostgreSQL aborts the transaction and
    would turn the COMMIT into a rollback. A caller that swallowed the error learns it."""
    with pytest.raises(StoreError, match="nothing was written"):
        async with pg_store.transaction() as tx:
            await tx.create_project(spec(), 0.0)
            try:
                await tx.create_invite(999_999, Role.ANNOTATOR, None, None, 0.0)
            except Exception:
                pass
    async with pg_store.transaction() as tx:
        assert await tx.projects() == []
