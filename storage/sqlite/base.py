"""Small helpers shared by the SQLite operation groups."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import aiosqlite

from storage.models import Assignment, Item, ProjectSpec


class SqliteBase:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def _one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        rows = await self.db.execute_fetchall(sql, tuple(params))
        for row in rows:
            return row
        return None

    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        return list(await self.db.execute_fetchall(sql, tuple(params)))

    async def _exec(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run a statement; returns lastrowid for an insert, else the rows changed.

        Each call is one trip to aiosqlite's thread; the cursor is left to the collector
        rather than closed, which would cost a second trip.
        """
        cur = await self.db.execute(sql, tuple(params))
        if sql.lstrip().upper().startswith("INSERT"):
            return int(cur.lastrowid or 0)
        return int(cur.rowcount)


ITEM_COLUMNS = (
    "id, project_id, batch_id, ext_id, data, gold, explanation, status, n_answers, n_target"
)
ASSIGNMENT_COLUMNS = "id, project_id, item_id, member_id, status, is_gold, shown_at, expires_at"


def item_from(row: aiosqlite.Row, prefix: str = "") -> Item:
    def get(name: str) -> Any:
        return row[prefix + name]

    return Item(
        id=get("id"), project_id=get("project_id"), batch_id=get("batch_id"),
        ext_id=get("ext_id"), data=json.loads(get("data")), gold=get("gold"),
        explanation=get("explanation"), status=get("status"), n_answers=get("n_answers"),
        n_target=get("n_target"),
    )


@lru_cache(maxsize=256)
def parse_spec(raw: str) -> ProjectSpec:
    """Parsing is pure and a spec is frozen, so equal JSON can share one parsed spec."""
    return ProjectSpec.model_validate_json(raw)


def assignment_from(row: aiosqlite.Row) -> Assignment:
    return Assignment(
        id=row["id"], project_id=row["project_id"], item_id=row["item_id"],
        member_id=row["member_id"], status=row["status"], is_gold=bool(row["is_gold"]),
        shown_at=row["shown_at"], expires_at=row["expires_at"],
    )
