"""Every SQL operation group in one class, for an engine's transaction object to build on."""

from __future__ import annotations

from storage.sql.audit import AuditOps
from storage.sql.health import HealthOps
from storage.sql.media import MediaOps
from storage.sql.members import MemberOps
from storage.sql.projects import ProjectOps
from storage.sql.reports import ReportOps
from storage.sql.review import ReviewOps
from storage.sql.schedule import ScheduleOps
from storage.sql.skills import SkillOps
from storage.sql.work import WorkOps


class SqlOps(
    ProjectOps,
    MemberOps,
    WorkOps,
    ReportOps,
    ReviewOps,
    ScheduleOps,
    AuditOps,
    HealthOps,
    MediaOps,
    SkillOps,
):
    """The shared operations; an engine adds its primitives (a ``SqlBase`` subclass)."""
