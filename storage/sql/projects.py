"""SQLite: projects, guidelines, batches and items."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from domain.entities import Answer, Batch, Guideline, Item, NewItem, Project, Result
from domain.enums import BatchStatus
from domain.spec import ProjectSpec
from storage.contract import Conflict, NotFound, Retryable
from storage.rows import BatchProgress
from storage.sql.base import ITEM_COLUMNS, Duplicate, Row, SqlBase, item_from, parse_spec


def _project(row: Row) -> Project:
    return Project(id=row["id"], name=row["name"], title=row["title"], spec=parse_spec(row["spec"]))


class ProjectOps(SqlBase):
    async def create_project(self, spec: ProjectSpec, now: float) -> Project:
        taken = f"project {spec.name!r} already exists (use --update to change it)"
        if await self.project_by_name(spec.name) is not None:
            raise Conflict(taken)
        try:
            project_id = await self._insert(
                "INSERT INTO projects (name, title, spec, created_at, updated_at)"
                " VALUES (?,?,?,?,?)",
                (spec.name, spec.title, spec.model_dump_json(), now, now),
                guarded=True,
            )
        except Duplicate:  # created by a concurrent transaction since the check (PostgreSQL)
            raise Conflict(taken) from None
        return await self.project(project_id)

    async def update_project(self, spec: ProjectSpec, now: float) -> Project:
        changed = await self._exec(
            "UPDATE projects SET title = ?, spec = ?, updated_at = ? WHERE name = ?",
            (spec.title, spec.model_dump_json(), now, spec.name),
        )
        if not changed:
            raise NotFound(f"no project named {spec.name!r}")
        project = await self.project_by_name(spec.name)
        assert project is not None
        return project

    async def project(self, project_id: int) -> Project:
        row = await self._one("SELECT * FROM projects WHERE id = ?", (project_id,))
        if row is None:
            raise NotFound(f"no project with id {project_id}")
        return _project(row)

    async def project_by_name(self, name: str) -> Project | None:
        row = await self._one("SELECT * FROM projects WHERE name = ?", (name,))
        return None if row is None else _project(row)

    async def projects(self) -> list[Project]:
        return [_project(r) for r in await self._all("SELECT * FROM projects ORDER BY name")]

    async def add_guideline(self, project_id: int, body: str, now: float) -> Guideline:
        row = await self._one(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM guidelines WHERE project_id = ?",
            (project_id,),
        )
        version = int(row[0]) if row else 1
        try:
            await self._exec(
                "INSERT INTO guidelines (project_id, version, body, created_at) VALUES (?,?,?,?)",
                (project_id, version, body, now),
                guarded=True,
            )
        except Duplicate:  # a concurrent transaction took this version number first
            raise Retryable(f"guideline version {version} was added meanwhile") from None
        return Guideline(project_id=project_id, version=version, body=body, created_at=now)

    async def guideline_version(self, project_id: int, version: int) -> Guideline | None:
        row = await self._one(
            "SELECT project_id, version, body, created_at FROM guidelines"
            " WHERE project_id = ? AND version = ?",
            (project_id, version),
        )
        return None if row is None else Guideline(**dict(row))

    async def guideline(self, project_id: int) -> Guideline | None:
        row = await self._one(
            "SELECT project_id, version, body, created_at FROM guidelines"
            " WHERE project_id = ? ORDER BY version DESC LIMIT 1",
            (project_id,),
        )
        return None if row is None else Guideline(**dict(row))

    async def create_batch(
        self,
        project_id: int,
        name: str,
        items: Sequence[NewItem],
        status: BatchStatus,
        n_target: int,
        now: float,
    ) -> Batch:
        if await self._one(
            "SELECT 1 FROM batches WHERE project_id = ? AND name = ?", (project_id, name)
        ):
            raise Conflict(f"batch {name!r} already exists in this project")
        await self._check_ids(project_id, [it.ext_id for it in items])
        try:
            batch_id = await self._insert(
                "INSERT INTO batches (project_id, name, status, created_at) VALUES (?,?,?,?)",
                (project_id, name, status.value, now),
                guarded=True,
            )
        except Duplicate:  # created by a concurrent transaction since the check
            raise Conflict(f"batch {name!r} already exists in this project") from None
        await self._insert_items(project_id, batch_id, items, n_target)
        if status == BatchStatus.PUBLISHED:
            self.freed.add(project_id)
        return Batch(id=batch_id, project_id=project_id, name=name, status=status, created_at=now)

    async def add_items(self, batch_id: int, items: Sequence[NewItem], n_target: int) -> None:
        row = await self._one("SELECT project_id FROM batches WHERE id = ?", (batch_id,))
        if row is None:
            raise NotFound(f"no batch with id {batch_id}")
        project_id = int(row[0])
        await self._check_ids(project_id, [it.ext_id for it in items])
        await self._insert_items(project_id, batch_id, items, n_target)

    async def taken_ids(self, project_id: int, ids: Sequence[str]) -> list[str]:
        taken: list[str] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self._all(
                f"SELECT ext_id FROM items WHERE project_id = ? AND ext_id IN"
                f" ({','.join('?' * len(chunk))})",
                (project_id, *chunk),
            )
            taken.extend(r[0] for r in rows)
        return taken

    async def _check_ids(self, project_id: int, ids: list[str]) -> None:
        """Conflict, naming a few, when ids repeat among `ids` or are in the project already."""
        repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
        taken = [] if repeated else await self.taken_ids(project_id, ids)
        if repeated or taken:
            clash = (repeated or taken)[:5]
            where = "repeat in the batch" if repeated else "are already in the project"
            raise Conflict(f"item ids {', '.join(map(repr, clash))} {where}")

    async def _insert_items(
        self, project_id: int, batch_id: int, items: Sequence[NewItem], n_target: int
    ) -> None:
        await self._many(
            "INSERT INTO items (project_id, batch_id, ext_id, data, gold, explanation,"
            " n_target) VALUES (?,?,?,?,?,?,?)",
            [
                (
                    project_id,
                    batch_id,
                    it.ext_id,
                    json.dumps(it.data, ensure_ascii=False),
                    it.gold,
                    it.explanation,
                    n_target,
                )
                for it in items
            ],
        )

    async def set_batch_status(self, batch_id: int, status: BatchStatus) -> None:
        row = await self._one(
            "UPDATE batches SET status = ? WHERE id = ? RETURNING project_id",
            (status.value, batch_id),
        )
        if row is None:
            raise NotFound(f"no batch with id {batch_id}")
        if status == BatchStatus.PUBLISHED:
            self.freed.add(int(row[0]))
        if status in (BatchStatus.PAUSED, BatchStatus.CLOSED):
            await self._end_leases(
                "item_id IN (SELECT id FROM items WHERE batch_id = ?)", (batch_id,)
            )

    async def set_batch_deadline(self, batch_id: int, deadline: float | None) -> None:
        if not await self._exec(
            "UPDATE batches SET deadline = ? WHERE id = ?", (deadline, batch_id)
        ):
            raise NotFound(f"no batch with id {batch_id}")

    async def batches(self, project_id: int) -> list[Batch]:
        rows = await self._all(
            "SELECT * FROM batches WHERE project_id = ? ORDER BY id", (project_id,)
        )
        return [Batch(**dict(r)) for r in rows]

    async def batch(self, batch_id: int) -> Batch | None:
        row = await self._one("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return None if row is None else Batch(**dict(row))

    async def batch_progress(self, project_id: int) -> list[BatchProgress]:
        rows = await self._all(
            "SELECT b.*, COUNT(i.id) FILTER (WHERE i.gold IS NULL) AS n_items,"
            " COUNT(i.id) FILTER (WHERE i.gold IS NOT NULL) AS n_gold,"
            " COUNT(*) FILTER (WHERE i.status = 'done' AND i.gold IS NULL) AS n_done,"
            " COUNT(*) FILTER (WHERE i.status = 'disputed' AND i.gold IS NULL) AS n_disputed,"
            " COALESCE(SUM(i.n_answers) FILTER (WHERE i.gold IS NULL), 0) AS n_answers"
            " FROM batches b LEFT JOIN items i ON i.batch_id = b.id"
            " WHERE b.project_id = ? GROUP BY b.id ORDER BY b.id",
            (project_id,),
        )
        return [
            BatchProgress(
                batch=Batch(
                    id=r["id"],
                    project_id=r["project_id"],
                    name=r["name"],
                    status=r["status"],
                    created_at=r["created_at"],
                    deadline=r["deadline"],
                ),
                items=r["n_items"],
                done=r["n_done"],
                disputed=r["n_disputed"],
                answers=r["n_answers"],
                gold=r["n_gold"],
            )
            for r in rows
        ]

    async def delete_draft_batch(self, batch_id: int) -> None:
        row = await self._one("SELECT status FROM batches WHERE id = ?", (batch_id,))
        if row is None:
            raise NotFound(f"no batch with id {batch_id}")
        if row["status"] != "draft":
            raise Conflict("only a draft batch can be dropped; close a published one instead")
        await self._exec("DELETE FROM batches WHERE id = ?", (batch_id,))

    async def item(self, item_id: int) -> Item:
        row = await self._one(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
        if row is None:
            raise NotFound(f"no item with id {item_id}")
        return item_from(row)

    async def item_answers(self, item_id: int) -> list[Answer]:
        rows = await self._all(
            "SELECT id, assignment_id, item_id, member_id, value, time_ms, at, correct, excluded"
            " FROM answers WHERE item_id = ? ORDER BY id",
            (item_id,),
        )
        return [Answer(**dict(r)) for r in rows]

    async def set_item_outcome(
        self, item_id: int, status: str, result: Result | None, now: float
    ) -> None:
        row = await self._one(
            "UPDATE items SET status = ? WHERE id = ? RETURNING project_id", (status, item_id)
        )
        if row is not None and status == "open":
            self.freed.add(int(row[0]))
        if result is None:
            await self._exec("DELETE FROM results WHERE item_id = ?", (item_id,))
        else:
            await self._exec(
                "INSERT INTO results (item_id, label, confidence, method, updated_at)"
                " VALUES (?,?,?,?,?) ON CONFLICT (item_id) DO UPDATE SET label = excluded.label,"
                " confidence = excluded.confidence, method = excluded.method,"
                " updated_at = excluded.updated_at",
                (item_id, result.label, result.confidence, result.method, now),
            )

    async def set_item_target(self, item_id: int, n_target: int) -> None:
        await self._exec("UPDATE items SET n_target = ? WHERE id = ?", (n_target, item_id))
