"""The SQLite transaction object: the shared operation groups on one aiosqlite connection."""

from __future__ import annotations

from storage.contract import Tx
from storage.sql.ops import SqlOps
from storage.sqlite.base import SqliteBase


class SqliteTx(SqlOps, SqliteBase, Tx):
    pass
