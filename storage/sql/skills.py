"""Skill routing's reads and writes: candidate items for a person, leasing one chosen item, and
the stored skill model (both engines)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from domain.entities import Assignment
from storage.contract import PROMISE_S
from storage.rows import RouteCandidate, RouteView, StoredSkills
from storage.sql.base import SqlBase, new_lease
from storage.sql.work import lease_one_sql

_MAY_TAKE = """i.project_id = ?1 AND i.status = 'open' AND i.gold IS NULL
  AND i.n_load < i.n_target
  AND EXISTS (SELECT 1 FROM batches b WHERE b.id = i.batch_id AND b.status = 'published')
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.member_id = ?2)"""

_CANDIDATES = f"""
SELECT c.id, c.n_answers, c.n_load, c.n_target, an.member_id, an.value, s.counts, s.gold_answers,
  m.labels, m.class_prior, m.answers, m.last_answer, m.refreshed_at, me.counts, me.gold_answers,
  (SELECT r.woken_item FROM roles r WHERE r.project_id = ?1 AND r.member_id = ?2
   AND r.role = 'annotator' AND r.woken_at >= ?5
   AND NOT EXISTS (SELECT 1 FROM assignments wa WHERE wa.project_id = ?1
                   AND wa.member_id = ?2 AND wa.shown_at >= r.woken_at)) AS promised
FROM items c LEFT JOIN answers an ON an.item_id = c.id AND an.excluded IS NULL
LEFT JOIN skill_models m ON m.project_id = ?1
LEFT JOIN skills s ON s.project_id = ?1 AND s.member_id = an.member_id
LEFT JOIN skills me ON me.project_id = ?1 AND me.member_id = ?2
WHERE c.id IN (
  SELECT id FROM (SELECT i.id FROM items i WHERE {_MAY_TAKE}
                  ORDER BY i.n_answers DESC, i.id LIMIT ?3) AS near
  UNION
  SELECT id FROM (SELECT i.id FROM items i WHERE {_MAY_TAKE} AND i.n_answers = 0
                  ORDER BY i.id LIMIT ?4) AS fresh)
ORDER BY c.id, an.id
"""


class SkillOps(SqlBase):
    async def route_candidates(
        self, project_id: int, member_id: int, nearest: int, freshest: int, now: float
    ) -> RouteView:
        rows = await self._all(
            _CANDIDATES, (project_id, member_id, nearest, freshest, now - PROMISE_S)
        )
        out: dict[int, RouteCandidate] = {}
        skills: StoredSkills | None = None
        for r in rows:
            item_id = int(r[0])
            cand = out.get(item_id)
            if cand is None:
                cand = out[item_id] = RouteCandidate(item_id, r[1], r[2], r[3], [])
            if skills is None and r[8] is not None:
                skills = StoredSkills.model_construct(
                    labels=json.loads(r[8]),
                    class_prior=json.loads(r[9]),
                    answers=r[10],
                    last_answer=r[11],
                    refreshed_at=r[12],
                    counts={},
                    gold_answers={},
                )
                if r[13] is not None:
                    skills.counts[member_id] = json.loads(r[13])
                    skills.gold_answers[member_id] = int(r[14])
            if r[4] is not None:
                answerer = int(r[4])
                cand.answers.append((answerer, str(r[5])))
                if skills is not None and r[6] is not None and answerer not in skills.counts:
                    skills.counts[answerer] = json.loads(r[6])
                    skills.gold_answers[answerer] = int(r[7])
        promised = None if not rows or rows[0][15] is None else int(rows[0][15])
        return RouteView(list(out.values()), skills, promised)

    async def lease_item(
        self, project_id: int, member_id: int, item_id: int, now: float, lease_s: float
    ) -> Assignment | None:
        """On PostgreSQL the item's row is locked, skipping it when another transaction holds
        it (``lock_pick``): the caller tries its next choice."""
        pick = (project_id, item_id, member_id)
        row = await self._one(
            lease_one_sql(self.lock_pick),
            (project_id, member_id, 0, now, now + lease_s, *pick, project_id, member_id),
        )
        if row is None:
            return None
        return new_lease(int(row[0]), project_id, item_id, member_id, False, now, lease_s)

    async def skill_answers(self, project_id: int) -> list[tuple[int, int, str, str | None]]:
        rows = await self._all(
            "SELECT an.item_id, an.member_id, an.value, i.gold FROM answers an"
            " JOIN items i ON i.id = an.item_id"
            " WHERE an.project_id = ? AND an.excluded IS NULL ORDER BY an.id",
            (project_id,),
        )
        return [(int(r[0]), int(r[1]), str(r[2]), r[3]) for r in rows]

    async def skill_stamp(self, project_id: int) -> tuple[int, int]:
        row = await self._one(
            "SELECT COUNT(*) FILTER (WHERE excluded IS NULL), COALESCE(MAX(id), 0)"
            " FROM answers WHERE project_id = ?",
            (project_id,),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    async def skill_model(self, project_id: int, member_ids: Sequence[int]) -> StoredSkills | None:
        wanted = sorted(set(member_ids))
        model: StoredSkills | None = None
        for start in range(0, max(len(wanted), 1), 500):
            chunk = wanted[start : start + 500]
            among = f"s.member_id IN ({','.join('?' * len(chunk))})" if chunk else "FALSE"
            for r in await self._all(
                "SELECT m.labels, m.class_prior, m.answers, m.last_answer, m.refreshed_at,"
                " s.member_id, s.counts, s.gold_answers FROM skill_models m"
                f" LEFT JOIN skills s ON s.project_id = m.project_id AND {among}"
                " WHERE m.project_id = ?",
                (*chunk, project_id),
            ):
                if model is None:
                    model = StoredSkills(
                        labels=json.loads(r[0]),
                        class_prior=json.loads(r[1]),
                        answers=r[2],
                        last_answer=r[3],
                        refreshed_at=r[4],
                    )
                if r[5] is not None:
                    model.counts[int(r[5])] = json.loads(r[6])
                    model.gold_answers[int(r[5])] = int(r[7])
        return model

    async def save_skill_model(self, project_id: int, model: StoredSkills) -> None:
        await self._exec("DELETE FROM skills WHERE project_id = ?", (project_id,))
        await self._exec("DELETE FROM skill_models WHERE project_id = ?", (project_id,))
        await self._exec(
            "INSERT INTO skill_models (project_id, labels, class_prior, answers, last_answer,"
            " refreshed_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                project_id,
                json.dumps(model.labels),
                json.dumps(model.class_prior),
                model.answers,
                model.last_answer,
                model.refreshed_at,
            ),
        )
        rows = [
            (project_id, m, json.dumps(c), model.gold_answers.get(m, 0))
            for m, c in sorted(model.counts.items())
        ]
        if rows:
            await self._many(
                "INSERT INTO skills (project_id, member_id, counts, gold_answers)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
