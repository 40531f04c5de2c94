"""QA's side of flags: results read back, items sent back to annotators with a thread of
replies, answers relabelled, items promoted to gold."""

from __future__ import annotations

from domain.entities import FlagNote, Result
from storage.contract import NotFound
from storage.sql.base import SqlBase


class ReviewOps(SqlBase):
    async def result(self, item_id: int) -> Result | None:
        row = await self._one(
            "SELECT item_id, label, confidence, method FROM results WHERE item_id = ?", (item_id,)
        )
        return None if row is None else Result(**dict(row))

    async def set_flag_waiting(self, flag_id: int, since: float | None) -> None:
        if not await self._exec(
            "UPDATE flags SET waiting_since = ? WHERE id = ?", (since, flag_id)
        ):
            raise NotFound(f"no flag with id {flag_id}")

    async def add_flag_note(
        self, flag_id: int, member_id: int | None, kind: str, body: str, now: float
    ) -> int:
        return await self._insert(
            "INSERT INTO flag_notes (flag_id, member_id, kind, body, at) VALUES (?,?,?,?,?)",
            (flag_id, member_id, kind, body, now),
        )

    async def flag_notes(self, flag_id: int) -> list[FlagNote]:
        rows = await self._all(
            "SELECT id, flag_id, member_id, kind, body, at FROM flag_notes WHERE flag_id = ?"
            " ORDER BY id",
            (flag_id,),
        )
        return [FlagNote(**dict(r)) for r in rows]

    async def relabel_answer(self, answer_id: int, value: str) -> None:
        if not await self._exec("UPDATE answers SET value = ? WHERE id = ?", (value, answer_id)):
            raise NotFound(f"no answer with id {answer_id}")

    async def make_gold(self, item_id: int, label: str, explanation: str) -> None:
        if not await self._exec(
            "UPDATE items SET gold = ?, explanation = ? WHERE id = ?",
            (label, explanation, item_id),
        ):
            raise NotFound(f"no item with id {item_id}")
