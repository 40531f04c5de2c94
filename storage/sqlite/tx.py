"""The SQLite transaction object: the shared operation groups on one aiosqlite connection."""

from __future__ import annotations

from storage.contract import Tx
from storage.sql.members import MemberOps
from storage.sql.projects import ProjectOps
from storage.sql.reports import ReportOps
from storage.sql.work import WorkOps
from storage.sqlite.base import SqliteBase


class SqliteTx(ProjectOps, MemberOps, WorkOps, ReportOps, SqliteBase, Tx):
    pass
