"""What the scheduler keeps: the runs it made (once each), reminder mutes, and the day's answer
counts its messages are about."""

from __future__ import annotations

from storage.sql.base import Duplicate, SqlBase


class ScheduleOps(SqlBase):
    async def claim_run(self, job: str, key: str, now: float) -> bool:
        try:
            await self._exec(
                "INSERT INTO job_runs (job, run_key, ran_at) VALUES (?,?,?)",
                (job, key, now),
                guarded=True,
            )
        except Duplicate:
            return False
        return True

    async def set_muted(self, project_id: int, member_id: int, muted: bool, now: float) -> bool:
        if muted:
            return bool(
                await self._exec(
                    "INSERT INTO mutes (project_id, member_id, muted_at) VALUES (?,?,?)"
                    " ON CONFLICT (project_id, member_id) DO NOTHING",
                    (project_id, member_id, now),
                )
            )
        return bool(
            await self._exec(
                "DELETE FROM mutes WHERE project_id = ? AND member_id = ?", (project_id, member_id)
            )
        )

    async def muted_members(self, project_id: int) -> set[int]:
        rows = await self._all("SELECT member_id FROM mutes WHERE project_id = ?", (project_id,))
        return {int(r[0]) for r in rows}

    async def answer_counts(self, project_id: int, since: float) -> dict[int, int]:
        rows = await self._all(
            "SELECT member_id, COUNT(*) FROM answers WHERE project_id = ? AND at >= ?"
            " GROUP BY member_id",
            (project_id, since),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def prune(self, tokens_before: float, sent_before: float) -> int:
        tokens = await self._exec("DELETE FROM tokens WHERE created_at < ?", (tokens_before,))
        sent = await self._exec(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?", (sent_before,)
        )
        return tokens + sent
