"""SQLite: figures for progress and reports, and the export."""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.entities import Result
from storage.rows import (
    AgreementCount,
    BatchPace,
    ExportAnswer,
    ExportRow,
    MemberStats,
    ProjectStats,
)
from storage.sql.base import ITEM_COLUMNS, SqlBase, item_from

LOG_PAGE = 5000
"""Rows `answer_log` reads at a time."""

_MEMBER_STATS = """
SELECT COUNT(*) AS answers,
       COUNT(*) FILTER (WHERE an.at >= ?3) AS answers_since,
       COUNT(*) FILTER (WHERE an.correct IS NOT NULL) AS gold_total,
       COUNT(*) FILTER (WHERE an.correct = 1) AS gold_correct,
       (SELECT COUNT(*) FROM assignments s WHERE s.project_id = ?1 AND s.member_id = ?2
          AND s.status = 'skipped') AS skipped
FROM answers an WHERE an.project_id = ?1 AND an.member_id = ?2
"""


class ReportOps(SqlBase):
    async def member_stats(self, project_id: int, member_id: int, since: float) -> MemberStats:
        row = await self._one(_MEMBER_STATS, (project_id, member_id, since))
        assert row is not None
        return MemberStats(**dict(row))

    async def all_member_stats(self, project_id: int) -> dict[str, MemberStats]:
        rows = await self._all(
            "SELECT m.pseudonym, COUNT(an.id) AS answers,"
            " COUNT(*) FILTER (WHERE an.correct IS NOT NULL) AS gold_total,"
            " COUNT(*) FILTER (WHERE an.correct = 1) AS gold_correct"
            " FROM roles r JOIN members m ON m.id = r.member_id"
            " LEFT JOIN answers an ON an.member_id = m.id AND an.project_id = r.project_id"
            " WHERE r.project_id = ? AND r.role = 'annotator'"
            " GROUP BY m.id ORDER BY m.id",
            (project_id,),
        )
        return {
            r["pseudonym"]: MemberStats(
                answers=r["answers"], gold_total=r["gold_total"], gold_correct=r["gold_correct"]
            )
            for r in rows
        }

    async def project_stats(self, project_id: int) -> ProjectStats:
        row = await self._one(
            "SELECT COUNT(*) FILTER (WHERE gold IS NULL) AS items,"
            " COUNT(*) FILTER (WHERE gold IS NOT NULL) AS gold_items,"
            " COUNT(*) FILTER (WHERE gold IS NULL AND status = 'done') AS done,"
            " COUNT(*) FILTER (WHERE status = 'disputed') AS disputed,"
            " COALESCE(SUM(n_answers), 0) AS answers FROM items WHERE project_id = ?",
            (project_id,),
        )
        members = await self._one(
            "SELECT COUNT(DISTINCT member_id) FROM roles WHERE project_id = ?", (project_id,)
        )
        assert row is not None and members is not None
        return ProjectStats(**dict(row), members=members[0])

    async def export_rows(self, project_id: int) -> AsyncIterator[ExportRow]:
        answers: dict[int, list[ExportAnswer]] = {}
        for r in await self._all(
            "SELECT an.item_id, m.pseudonym, an.value, an.time_ms, an.at, an.excluded"
            " FROM answers an"
            " JOIN members m ON m.id = an.member_id WHERE an.project_id = ? ORDER BY an.id",
            (project_id,),
        ):
            answers.setdefault(r["item_id"], []).append(
                ExportAnswer(
                    annotator=r["pseudonym"],
                    label=r["value"],
                    time_ms=r["time_ms"],
                    at=r["at"],
                    excluded=r["excluded"],
                )
            )
        results = {
            r["item_id"]: Result(**dict(r))
            for r in await self._all(
                "SELECT r.item_id, r.label, r.confidence, r.method FROM results r"
                " JOIN items i ON i.id = r.item_id WHERE i.project_id = ?",
                (project_id,),
            )
        }
        prefixed = ", ".join(f"i.{c.strip()}" for c in ITEM_COLUMNS.split(","))
        for row in await self._all(
            f"SELECT {prefixed} FROM items i WHERE i.project_id = ? ORDER BY i.id", (project_id,)
        ):
            item = item_from(row)
            yield ExportRow(
                item=item, result=results.get(item.id), answers=answers.get(item.id, [])
            )

    async def answer_log(
        self, project_id: int, since: float, until: float | None = None
    ) -> AsyncIterator[tuple[int, float, int]]:
        window = " AND at < ?" if until is not None else ""
        bound = (until,) if until is not None else ()
        member, after = 0, 0
        while True:
            rows = await self._all(
                "SELECT id, member_id, at, time_ms FROM answers"
                f" WHERE project_id = ? AND at >= ?{window}"
                " AND (member_id > ? OR (member_id = ? AND id > ?))"
                " ORDER BY member_id, id LIMIT ?",
                (project_id, since, *bound, member, member, after, LOG_PAGE),
            )
            for r in rows:
                yield int(r["member_id"]), float(r["at"]), int(r["time_ms"])
            if len(rows) < LOG_PAGE:
                return
            member, after = int(rows[-1]["member_id"]), int(rows[-1]["id"])

    async def agreement_counts(self, project_id: int) -> dict[int, AgreementCount]:
        rows = await self._all(
            "SELECT an.member_id, COUNT(*) AS compared,"
            " COUNT(*) FILTER (WHERE an.value = r.label) AS agreed"
            " FROM answers an JOIN items i ON i.id = an.item_id"
            " JOIN results r ON r.item_id = an.item_id"
            " WHERE an.project_id = ? AND i.gold IS NULL AND i.status = 'done'"
            " GROUP BY an.member_id",
            (project_id,),
        )
        return {
            int(r["member_id"]): AgreementCount(agreed=r["agreed"], compared=r["compared"])
            for r in rows
        }

    async def counted_answers(self, project_id: int) -> list[tuple[int, int, int, str]]:
        rows = await self._all(
            "SELECT i.batch_id, an.item_id, an.member_id, an.value"
            " FROM answers an JOIN items i ON i.id = an.item_id"
            " WHERE an.project_id = ? AND i.gold IS NULL AND an.excluded IS NULL ORDER BY an.id",
            (project_id,),
        )
        return [(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]

    async def batch_pace(self, project_id: int, since: float) -> dict[int, BatchPace]:
        pace: dict[int, BatchPace] = {}
        for r in await self._all(
            "SELECT i.batch_id, COUNT(*) AS recent, MIN(an.at) AS first_at"
            " FROM answers an JOIN items i ON i.id = an.item_id"
            " WHERE an.project_id = ? AND an.at >= ? AND i.gold IS NULL AND an.excluded IS NULL"
            " GROUP BY i.batch_id",
            (project_id, since),
        ):
            pace[int(r["batch_id"])] = BatchPace(
                recent_answers=r["recent"], first_recent=float(r["first_at"])
            )
        for r in await self._all(
            "SELECT batch_id, COALESCE(SUM(CASE WHEN n_target > n_answers"
            " THEN n_target - n_answers ELSE 0 END), 0) AS needed"
            " FROM items WHERE project_id = ? AND gold IS NULL AND status = 'open'"
            " GROUP BY batch_id",
            (project_id,),
        ):
            batch_id = int(r["batch_id"])
            pace[batch_id] = pace.get(batch_id, BatchPace()).model_copy(
                update={"needed": int(r["needed"])}
            )
        return pace
