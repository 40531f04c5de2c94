"""Storage: the Store contract, its report rows, and the engines behind them. Imports `domain`."""

from __future__ import annotations

from pathlib import Path

from storage.contract import Store, StoreError


class BadDatabaseURL(StoreError):
    pass


def open_store(url: str) -> Store:
    """A Store for a database URL; call ``open()`` or use ``async with``.

    ``sqlite:///PATH`` (SQLite, one machine) or ``postgresql://USER@HOST:PORT/DB`` (also
    ``postgres://``; PostgreSQL, several worker processes; ``?schema=NAME`` for a schema other
    than ``public``).
    """
    if url.startswith("sqlite:///"):
        from storage.sqlite import SqliteStore

        path = url.removeprefix("sqlite:///")
        if path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(Path(path).expanduser() if path != ":memory:" else path)
    if url.startswith(("postgresql://", "postgres://")):
        from storage.postgres import PostgresStore

        return PostgresStore(url)
    raise BadDatabaseURL(
        f"unknown database URL {url!r}: expected sqlite:///PATH or postgresql://USER@HOST/DB"
        " (TAPMARK_DATABASE_URL or --db)"
    )
