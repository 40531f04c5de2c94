"""The SQLite transaction object: every operation group on one connection."""

from __future__ import annotations

from storage.contract import Tx
from storage.sqlite.members import MemberOps
from storage.sqlite.projects import ProjectOps
from storage.sqlite.reports import ReportOps
from storage.sqlite.work import WorkOps


class SqliteTx(ProjectOps, MemberOps, WorkOps, ReportOps, Tx):
    pass
