"""Leases, answers, flags and waits for work: the hot path of labeling, on both engines."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from domain.entities import Answer, Assignment, Flag, Item, LeaseView, Project
from storage.contract import PROMISE_S, Conflict, NotFound
from storage.rows import GoldCount, MemberStats
from storage.sql.base import (
    ASSIGNMENT_COLUMNS,
    ITEM_COLUMNS,
    SqlBase,
    assignment_from,
    item_from,
    new_lease,
    parse_spec,
)

_FLAG = "id, project_id, item_id, member_id, kind, reason, status, created_at, waiting_since"
_ANSWER = "id, assignment_id, item_id, member_id, value, time_ms, at, correct, excluded"
_A = ", ".join(f"a.{c.strip()}" for c in ASSIGNMENT_COLUMNS.split(","))
_I = ", ".join(f"i.{c.strip()} AS i_{c.strip()}" for c in ITEM_COLUMNS.split(","))

_LEASE = """
INSERT INTO assignments (project_id, item_id, member_id, status, is_gold, shown_at, expires_at)
SELECT ?, pick.id, ?, 'leased', ?, ?, ?
FROM ({pick}) AS pick
WHERE EXISTS (SELECT 1 FROM roles r WHERE r.project_id = ? AND r.member_id = ?
              AND r.role = 'annotator' AND r.status = 'active' AND {qualified}
              AND r.guide_version >= (SELECT COALESCE(MAX(g.version), 0) FROM guidelines g
                                      WHERE g.project_id = r.project_id))
ON CONFLICT DO NOTHING
RETURNING id, item_id
"""

_PICK_OPEN = """
SELECT i.id FROM items i JOIN batches b ON b.id = i.batch_id
WHERE i.project_id = ? {only} AND i.status = 'open' AND i.gold IS NULL AND b.status = 'published'
  AND i.n_load < i.n_target
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.member_id = ?)
ORDER BY i.n_answers DESC, i.id
LIMIT 1 {lock}
"""

_PICK_GOLD = """
SELECT i.id FROM items i JOIN batches b ON b.id = i.batch_id
WHERE i.project_id = ? AND i.gold IS NOT NULL AND b.status = 'published'
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.member_id = ?)
ORDER BY random()
LIMIT 1 {lock}
"""


_OPEN_ITEM = """SELECT 1 FROM items i JOIN batches b ON b.id = i.batch_id
WHERE i.project_id = {project} AND i.status = 'open' AND i.gold IS NULL
  AND b.status = 'published' AND i.n_load < i.n_target
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.member_id = {member})"""

_OPEN_FOR = _OPEN_ITEM.format(project="?", member="?") + " LIMIT 1"

_PROMISED = """(SELECT COUNT(*) FROM roles w WHERE w.project_id = i.project_id
  AND w.woken_item = i.id AND w.woken_at >= ? AND w.waiting_since IS NULL AND w.status = 'active'
  AND NOT EXISTS (SELECT 1 FROM assignments wa WHERE wa.project_id = w.project_id
                  AND wa.member_id = w.member_id AND wa.shown_at >= w.woken_at))"""

_WAITING = """
SELECT r.member_id FROM roles r
WHERE r.project_id = ? AND r.role = 'annotator' AND r.waiting_since IS NOT NULL
  AND r.status = 'active' AND r.qualification IN ('none', 'passed')
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.project_id = r.project_id
                  AND a.member_id = r.member_id AND a.status = 'leased')
ORDER BY r.waiting_since, r.member_id
"""

_PROMISE_FOR = f"""
SELECT i.id FROM items i JOIN batches b ON b.id = i.batch_id
WHERE i.project_id = ? AND i.status = 'open' AND i.gold IS NULL AND b.status = 'published'
  AND i.n_load + {_PROMISED} < i.n_target
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.member_id = ?)
ORDER BY i.n_answers DESC, i.id
LIMIT 1
"""

_WAKE = """
UPDATE roles SET waiting_since = NULL, woken_item = ?, woken_at = ?
WHERE project_id = ? AND member_id = ? AND role = 'annotator' AND waiting_since IS NOT NULL
"""

_STOP_WAITING = """
UPDATE roles SET waiting_since = NULL, woken_at = NULL,
  woken_item = CASE WHEN woken_at IS NULL THEN NULL ELSE woken_item END
WHERE project_id = ? AND member_id = ? AND role = 'annotator'
RETURNING woken_item
"""
"""Ends a wait and the wake's promise with it: the right-hand sides read the row as it was,
so what comes back is the item of a promise not yet ended (NULL when there was none)."""

_STRANDED = """
SELECT i.id FROM items i JOIN batches b ON b.id = i.batch_id
WHERE i.project_id = ? AND i.status = 'open' AND i.gold IS NULL AND b.status = 'published'
  AND i.n_load < i.n_target {one}
  AND (SELECT COUNT(*) FROM roles j WHERE j.project_id = i.project_id AND j.role = 'annotator')
      - (SELECT COUNT(*) FROM assignments p JOIN roles pr ON pr.project_id = p.project_id
         AND pr.member_id = p.member_id AND pr.role = 'annotator' AND pr.status = 'active'
         WHERE p.item_id = i.id AND p.status IN ('skipped', 'reported')) >= i.n_target
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.status = 'leased')
  AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.project_id = i.project_id
                  AND r.role = 'annotator' AND r.status = 'active' AND r.qualification != 'failed'
                  AND NOT EXISTS (SELECT 1 FROM assignments a
                                  WHERE a.item_id = i.id AND a.member_id = r.member_id))
ORDER BY i.id
"""

_REOPEN = """
UPDATE items SET status = 'open'
WHERE project_id = ? AND status = 'disputed' AND gold IS NULL AND n_answers < n_target
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = items.id AND a.member_id = ?)
RETURNING id
"""

_BATCH_FIGURES = """,
 (SELECT bt.n_items FROM batches bt WHERE bt.id = items.batch_id) AS batch_items,
 (SELECT COALESCE(SUM(ba.answers), 0) FROM batch_answers ba
  WHERE ba.batch_id = items.batch_id AND ba.member_id = ?2) AS batch_answers"""


@lru_cache(maxsize=8)
def _lease_sql(gold: bool, lock: str, one: bool = False) -> str:
    """Real work waits for a passed qualification; the qualification itself is gold. With
    `one`, the pick of real work is of one given item (its id the parameter after the
    project's)."""
    if gold:
        return _LEASE.format(
            pick=_PICK_GOLD.format(lock=lock).strip(), qualified="r.qualification != 'failed'"
        )
    return _LEASE.format(
        pick=_PICK_OPEN.format(lock=lock, only="AND i.id = ?" if one else "").strip(),
        qualified="r.qualification IN ('none', 'passed')",
    )


def lease_one_sql(lock: str) -> str:
    """The lease of one given item to a member, under the conditions of any pick of real
    work; parameters: project, member, 0, now, expiry, project, item, member, project,
    member."""
    return _lease_sql(False, lock, one=True)


class WorkOps(SqlBase):
    async def reclaim_expired(self, project_id: int, now: float) -> int:
        return await self._end_leases(
            "project_id = ? AND expires_at < ?", (project_id, now), skip_busy=True
        )

    async def set_waiting(self, project_id: int, member_id: int, since: float) -> bool:
        if self.lock_waits:
            await self._exec(self.lock_waits, (project_id,))
        await self._exec(
            "UPDATE roles SET waiting_since = ?, woken_item = NULL WHERE project_id = ?"
            " AND member_id = ? AND role = 'annotator'",
            (since, project_id, member_id),
        )
        return await self._one(_OPEN_FOR, (project_id, member_id)) is not None

    async def stop_waiting(
        self, project_id: int, member_id: int, taking: int | None = None
    ) -> None:
        row = await self._one(_STOP_WAITING, (project_id, member_id))
        if row is not None and row[0] is not None and int(row[0]) != taking:
            self.freed.add(project_id)

    async def step_away(self, project_id: int, member_id: int) -> bool:
        ended = await self._end_leases("project_id = ? AND member_id = ?", (project_id, member_id))
        await self.stop_waiting(project_id, member_id)
        return ended > 0

    async def wake_waiting(self, project_id: int, now: float) -> list[int]:
        """Longest waiting first, each waiting person is promised a slot of an item they may
        take and that has a slot left once the promises still holding are counted; the
        first item in the order a pick takes them. Greedy, so when it ends nobody still
        waiting could be given any slot left (the promise of a wake is not a lease: whoever
        asks first takes the slot, and someone who finds nothing waits again)."""
        if self.lock_waits:
            await self._exec(self.lock_waits, (project_id,))
        woken: list[int] = []
        for row in await self._all(_WAITING, (project_id,)):
            member_id = int(row[0])
            item = await self._one(_PROMISE_FOR, (project_id, now - PROMISE_S, member_id))
            if item is None:
                continue
            if await self._exec(_WAKE, (int(item[0]), now, project_id, member_id)):
                woken.append(member_id)
        return sorted(woken)

    async def stranded_items(self, project_id: int, item_id: int | None = None) -> list[int]:
        one, params = "", [project_id]
        if item_id is not None:
            one, params = "AND i.id = ?", [*params, item_id]
        return [int(r[0]) for r in await self._all(_STRANDED.format(one=one), params)]

    async def reopen_stranded(self, project_id: int, member_id: int, resolution: str) -> list[int]:
        ids = [int(r[0]) for r in await self._all(_REOPEN, (project_id, member_id))]
        if ids:
            self.freed.add(project_id)
            await self._many("DELETE FROM results WHERE item_id = ?", [(i,) for i in ids])
            await self._many(
                "UPDATE flags SET status = 'resolved', resolution = ? WHERE item_id = ?"
                " AND kind = 'disputed' AND status = 'open'",
                [(resolution, i) for i in ids],
            )
        return sorted(ids)

    async def open_assignment(self, project_id: int, member_id: int) -> Assignment | None:
        row = await self._one(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments"
            " WHERE member_id = ? AND status = 'leased' AND project_id = ? LIMIT 1",
            (member_id, project_id),
        )
        return None if row is None else assignment_from(row)

    async def assign(
        self,
        project_id: int,
        member_id: int,
        gold: bool,
        now: float,
        lease_s: float,
        *,
        wait: bool = True,
    ) -> Assignment | None:
        return await self._lease(project_id, member_id, gold, now, lease_s, self.lock_pick)

    async def _lease(
        self,
        project_id: int,
        member_id: int,
        gold: bool,
        now: float,
        lease_s: float,
        lock: str,
        *,
        guarded: bool = False,
    ) -> Assignment | None:
        """Lease with `lock` after the pick's LIMIT 1 (see ``SqlBase.lock_pick``). A unique
        constraint that refuses the row leaves no row either, like an empty pick: the member's
        open lease, if they now hold one, tells the two apart (a constraint is only hit when a
        concurrent transaction of theirs leased first). `guarded` runs it in a savepoint (see
        ``SqlBase._one``), for a pick whose lock wait may time out."""
        row = await self._one(
            _lease_sql(gold, lock),
            (
                project_id,
                member_id,
                int(gold),
                now,
                now + lease_s,
                project_id,
                member_id,
                project_id,
                member_id,
            ),
            guarded=guarded,
        )
        if row is None:
            if await self.open_assignment(project_id, member_id) is not None:
                raise Conflict("the member already holds an unanswered lease here")
            return None
        return new_lease(int(row[0]), project_id, int(row[1]), member_id, gold, now, lease_s)

    async def assignment(self, assignment_id: int) -> Assignment | None:
        row = await self._one(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = ?", (assignment_id,)
        )
        return None if row is None else assignment_from(row)

    async def lease_view(self, assignment_id: int) -> LeaseView | None:
        row = await self._one(
            f"SELECT {_A}, {_I}, p.name AS p_name, p.title AS p_title, p.spec AS p_spec,"
            " (SELECT r.status FROM roles r WHERE r.project_id = a.project_id"
            "  AND r.member_id = a.member_id AND r.role = 'annotator') AS r_status"
            " FROM assignments a JOIN items i ON i.id = a.item_id"
            f" JOIN projects p ON p.id = a.project_id WHERE a.id = ? {self.lock_item}",
            (assignment_id,),
        )
        if row is None:
            return None
        assignment = assignment_from(row)
        item = item_from(row, prefix="i_")
        project = Project(
            id=assignment.project_id,
            name=row["p_name"],
            title=row["p_title"],
            spec=parse_spec(row["p_spec"]),
        )
        return LeaseView(
            assignment=assignment, item=item, project=project, role_status=row["r_status"]
        )

    async def screen_item(
        self, item_id: int, project_id: int, member_id: int, since: float, batch: bool = False
    ) -> tuple[Item, MemberStats]:
        row = await self._one(
            f"SELECT {ITEM_COLUMNS}, (SELECT COALESCE(SUM(h.answers), 0) FROM answer_hours h"
            " WHERE h.project_id = ?3 AND h.member_id = ?2) AS answers,"
            " (SELECT COALESCE(SUM(h.answers), 0) FROM answer_hours h WHERE h.project_id = ?3"
            " AND h.member_id = ?2 AND h.hour >= ?4) AS answers_since"
            f"{_BATCH_FIGURES if batch else ''} FROM items WHERE id = ?1",
            (item_id, member_id, project_id, int(since // 3600)),
        )
        if row is None:
            raise NotFound(f"no item with id {item_id}")
        stats = MemberStats(answers=row["answers"], answers_since=row["answers_since"])
        if batch:
            stats.batch_items, stats.batch_answers = row["batch_items"], row["batch_answers"]
        return item_from(row), stats

    async def answer_of(self, assignment_id: int) -> Answer | None:
        row = await self._one(
            f"SELECT {_ANSWER} FROM answers WHERE assignment_id = ?",
            (assignment_id,),
        )
        return None if row is None else Answer(**dict(row))

    async def record_answer(
        self, assignment: Assignment, value: str, now: float, correct: bool | None
    ) -> Answer:
        time_ms = max(0, round((now - assignment.shown_at) * 1000))
        row = await self._one(
            "INSERT INTO answers (assignment_id, project_id, item_id, member_id, value,"
            " time_ms, at, correct, target_before) VALUES (?,?,?,?,?,?,?,?,"
            " (SELECT n_target FROM items WHERE id = ?)) ON CONFLICT DO NOTHING RETURNING id",
            (
                assignment.id,
                assignment.project_id,
                assignment.item_id,
                assignment.member_id,
                value,
                time_ms,
                now,
                None if correct is None else int(correct),
                assignment.item_id,
            ),
        )
        if row is None:
            raise Conflict(f"assignment {assignment.id} already has an answer")
        return Answer(
            id=int(row[0]),
            assignment_id=assignment.id,
            item_id=assignment.item_id,
            member_id=assignment.member_id,
            value=value,
            time_ms=time_ms,
            at=now,
            correct=correct,
        )

    async def last_answer(self, project_id: int, member_id: int) -> Answer | None:
        row = await self._one(
            f"SELECT {', '.join('an.' + c.strip() for c in _ANSWER.split(','))}"
            " FROM answers an JOIN roles r ON r.project_id = an.project_id"
            " AND r.member_id = an.member_id AND r.role = 'annotator'"
            " WHERE an.project_id = ? AND an.member_id = ? AND an.id > r.undo_floor"
            " ORDER BY an.id DESC LIMIT 1",
            (project_id, member_id),
        )
        return None if row is None else Answer(**dict(row))

    async def withdraw_answer(self, answer_id: int, now: float, lease_s: float) -> Assignment:
        row = await self._one(
            "SELECT a.item_id, i.status FROM answers a JOIN items i ON i.id = a.item_id"
            f" WHERE a.id = ? {self.lock_row}",
            (answer_id,),
        )
        if row is None:
            raise NotFound(f"no answer with id {answer_id}")
        if row[1] != "open":
            raise Conflict(f"the answer's item is {row[1]}")
        gone = await self._one(
            "DELETE FROM answers WHERE id = ? RETURNING assignment_id, project_id, item_id,"
            " member_id, at, target_before, excluded",
            (answer_id,),
        )
        assert gone is not None
        assignment_id, project_id, item_id, member_id = (int(gone[i]) for i in range(4))
        counted = gone["excluded"] is None
        await self._exec(
            "UPDATE items SET n_answers = n_answers - ?, n_target = COALESCE(?, n_target)"
            " WHERE id = ?",
            (int(counted), gone["target_before"], item_id),
        )
        hour = (project_id, member_id, int(float(gone["at"]) // 3600))
        await self._exec(
            "UPDATE answer_hours SET answers = answers - 1"
            " WHERE project_id = ? AND member_id = ? AND hour = ?",
            hour,
        )
        await self._exec(
            "DELETE FROM answer_hours WHERE project_id = ? AND member_id = ? AND hour = ?"
            " AND answers <= 0",
            hour,
        )
        dropped = await self._all(
            "DELETE FROM assignments WHERE project_id = ? AND member_id = ? AND status = 'leased'"
            " RETURNING item_id",
            (project_id, member_id),
        )
        if dropped:
            self.freed.add(project_id)
            await self._many(
                "UPDATE items SET n_load = n_load - 1 WHERE id = ?",
                [(int(r[0]),) for r in dropped],
            )
        await self._exec(
            "UPDATE assignments SET status = 'leased', shown_at = ?, expires_at = ? WHERE id = ?",
            (now, now + lease_s, assignment_id),
        )
        await self._exec(
            "UPDATE roles SET undo_floor = ?, waiting_since = NULL"
            " WHERE project_id = ? AND member_id = ? AND role = 'annotator'",
            (answer_id, project_id, member_id),
        )
        row = await self._one(
            f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = ?", (assignment_id,)
        )
        assert row is not None
        return assignment_from(row)

    async def release(self, assignment: Assignment, status: str) -> None:
        changed = await self._exec(
            "UPDATE assignments SET status = ? WHERE id = ? AND status = 'leased'",
            (status, assignment.id),
        )
        if changed:
            self.freed.add(assignment.project_id)
            await self._exec(
                "UPDATE items SET n_load = n_load - 1 WHERE id = ?", (assignment.item_id,)
            )

    async def add_flag(
        self,
        project_id: int,
        item_id: int | None,
        member_id: int | None,
        kind: str,
        reason: str,
        now: float,
    ) -> int:
        return await self._insert(
            "INSERT INTO flags (project_id, item_id, member_id, kind, reason, created_at)"
            " VALUES (?,?,?,?,?,?)",
            (project_id, item_id, member_id, kind, reason, now),
        )

    async def has_open_flag(self, project_id: int, member_id: int, kind: str) -> bool:
        row = await self._one(
            "SELECT 1 FROM flags WHERE project_id = ? AND member_id = ? AND kind = ?"
            " AND status = 'open' LIMIT 1",
            (project_id, member_id, kind),
        )
        return row is not None

    async def gold_counts(
        self, project_id: int, member_ids: Sequence[int], since: float = 0.0
    ) -> dict[int, GoldCount]:
        counts = {m: GoldCount() for m in member_ids}
        for start in range(0, len(member_ids), 500):
            chunk = list(member_ids[start : start + 500])
            rows = await self._all(
                "SELECT member_id, COALESCE(SUM(correct), 0) AS correct, COUNT(*) AS total"
                " FROM answers WHERE project_id = ? AND correct IS NOT NULL AND at >= ?"
                f" AND member_id IN ({','.join('?' * len(chunk))}) GROUP BY member_id",
                (project_id, since, *chunk),
            )
            for r in rows:
                counts[int(r["member_id"])] = GoldCount(correct=r["correct"], total=r["total"])
        return counts

    async def answer_times(
        self, project_id: int, member_id: int, since: float
    ) -> list[tuple[float, int]]:
        rows = await self._all(
            "SELECT at, time_ms FROM answers WHERE project_id = ? AND member_id = ? AND at >= ?"
            " ORDER BY at",
            (project_id, member_id, since),
        )
        return [(float(r[0]), int(r[1])) for r in rows]

    async def recent_answers(self, project_id: int, member_id: int, limit: int) -> list[Answer]:
        rows = await self._all(
            f"SELECT {_ANSWER} FROM answers WHERE project_id = ? AND member_id = ?"
            " AND correct IS NULL ORDER BY id DESC LIMIT ?",
            (project_id, member_id, limit),
        )
        return [Answer(**dict(r)) for r in rows]

    async def exclude_answers(self, project_id: int, member_id: int, reason: str) -> list[int]:
        """The answers are marked first, in one statement that returns the rows it changed, so
        two transactions excluding the same member at once take each item's answer off once."""
        rows = await self._all(
            "UPDATE answers SET excluded = ? WHERE project_id = ? AND member_id = ?"
            " AND excluded IS NULL RETURNING item_id, correct",
            (reason, project_id, member_id),
        )
        touched = sorted(int(r[0]) for r in rows if r[1] is None)
        if touched:
            self.freed.add(project_id)
        await self._many(
            "UPDATE items SET n_answers = n_answers - 1, n_load = n_load - 1 WHERE id = ?",
            [(item_id,) for item_id in touched],
        )
        return touched

    async def next_flag(self, project_id: int, after_id: int = 0) -> Flag | None:
        row = await self._one(
            f"SELECT {_FLAG} FROM flags WHERE project_id = ? AND status = 'open'"
            " AND waiting_since IS NULL AND id > ?"
            " ORDER BY id LIMIT 1",
            (project_id, after_id),
        )
        return None if row is None else Flag(**dict(row))

    async def flag(self, flag_id: int) -> Flag | None:
        row = await self._one(f"SELECT {_FLAG} FROM flags WHERE id = ?", (flag_id,))
        return None if row is None else Flag(**dict(row))

    async def resolve_flag(self, flag_id: int, resolution: str) -> None:
        await self._exec(
            "UPDATE flags SET status = 'resolved', resolution = ? WHERE id = ?",
            (resolution, flag_id),
        )

    async def item_reporters(self, item_id: int) -> int:
        row = await self._one(
            "SELECT COUNT(DISTINCT member_id) FROM flags WHERE item_id = ? AND status = 'open'"
            " AND kind IN ('unclear', 'broken', 'offensive', 'other')",
            (item_id,),
        )
        return int(row[0]) if row else 0

    async def open_flags(self, project_id: int) -> int:
        row = await self._one(
            "SELECT COUNT(*) FROM flags WHERE project_id = ? AND status = 'open'"
            " AND waiting_since IS NULL",
            (project_id,),
        )
        return int(row[0]) if row else 0
