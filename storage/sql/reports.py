"""SQLite: figures for progress and reports, and the export."""

from __future__ import annotations

from collections.abc import AsyncIterator

from storage.models import ExportAnswer, ExportRow, MemberStats, ProjectStats, Result
from storage.sql.base import ITEM_COLUMNS, SqlBase, item_from

_MEMBER_STATS = """
SELECT COUNT(*) AS answers,
       COALESCE(SUM(an.at >= ?3), 0) AS answers_since,
       COALESCE(SUM(an.correct IS NOT NULL), 0) AS gold_total,
       COALESCE(SUM(an.correct = 1), 0) AS gold_correct,
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
            " COALESCE(SUM(an.correct IS NOT NULL), 0) AS gold_total,"
            " COALESCE(SUM(an.correct = 1), 0) AS gold_correct"
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
            "SELECT COALESCE(SUM(gold IS NULL), 0) AS items,"
            " COALESCE(SUM(gold IS NOT NULL), 0) AS gold_items,"
            " COALESCE(SUM(gold IS NULL AND status = 'done'), 0) AS done,"
            " COALESCE(SUM(status = 'disputed'), 0) AS disputed,"
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
                ExportAnswer(annotator=r["pseudonym"], label=r["value"], time_ms=r["time_ms"],
                             at=r["at"], excluded=r["excluded"])
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
