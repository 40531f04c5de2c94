"""Figures for health checks and metrics: cheap counts over the whole database."""

from __future__ import annotations

from storage.rows import LiveCounts
from storage.sql.base import SqlBase


class HealthOps(SqlBase):
    async def ping(self) -> None:
        await self._one("SELECT 1")

    async def live_counts(self) -> LiveCounts:
        row = await self._one(
            "SELECT (SELECT COUNT(*) FROM answers) AS answers,"
            " (SELECT COUNT(*) FROM assignments WHERE status = 'leased') AS open_leases,"
            " (SELECT COUNT(*) FROM items i JOIN batches b ON b.id = i.batch_id"
            "  WHERE b.status = 'published' AND i.status = 'open' AND i.gold IS NULL"
            "  AND i.n_answers < i.n_target) AS items_waiting,"
            " (SELECT COUNT(*) FROM roles WHERE role = 'annotator' AND status = 'active'"
            "  AND waiting_since IS NOT NULL) AS annotators_waiting"
        )
        assert row is not None
        return LiveCounts(
            answers=int(row["answers"]),
            open_leases=int(row["open_leases"]),
            items_waiting=int(row["items_waiting"]),
            annotators_waiting=int(row["annotators_waiting"]),
        )
