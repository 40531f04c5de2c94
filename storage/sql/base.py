"""What the SQL operation groups need from an engine, and the row helpers they share.

The operation groups in this package are written once, in SQL both engines accept, with ``?``
placeholders; each engine (``storage.sqlite``, ``storage.postgres``) supplies the primitives below
and translates placeholders if it must.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from domain.entities import Assignment, Item
from domain.spec import ProjectSpec

Row = Any
"""A result row (``sqlite3.Row`` or ``asyncpg.Record``): read by column name (``row["id"]``) or
by position (``row[0]``); ``dict(row)`` maps names to values."""


class Duplicate(Exception):
    """A unique constraint refused a guarded write; the transaction is still usable."""


class SqlBase(ABC):
    freed: set[int]
    """See `Tx.freed`: the operations that make work available again add their project."""

    def __init__(self) -> None:
        self.freed = set()

    lock_pick: str = ""
    """Appended to the queries that pick an item to lease: row locks that skip locked rows, where
    the engine has them (PostgreSQL); SQLite's single writer needs none. Gold picks skip locked
    rows too: a gold item another transaction is counting an answer on is passed over for this
    pick rather than waited for, which could close a cycle of waits."""

    lock_skip: str = ""
    """Appended to a SELECT that claims rows for this transaction alone (the outbox): on
    PostgreSQL, lock them and skip rows another transaction holds."""

    lock_item: str = ""
    """Appended to the read of a lease a tap starts with (``lease_view``): locks on the item
    row and the lease row (PostgreSQL), held to the end of the transaction. The core decides
    from that read what the answer it records makes of the item (its count, whether to settle
    it); two people answering one item at once would otherwise both count from the same stale
    figure. Locking the lease too means a lease ended while the read waited for the item (a
    reclaim) is read as gone, not answered. Taken first in the transaction, item before lease
    as everywhere, so it closes no cycle of waits."""

    lock_row: str = ""
    """Appended to a SELECT of rows the transaction goes on to change (an answer withdrawn and
    its item): ``FOR UPDATE`` on PostgreSQL."""

    lock_waits: str = ""
    """A statement that takes a lock on one project's waiting list to the end of the
    transaction (its one parameter: the project), or "" where writers are serialised anyway
    (SQLite). It orders an annotator starting to wait against a wake: one of the two then sees
    what the other committed, so no annotator waits on work that came back unseen."""

    @abstractmethod
    async def _one(
        self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False
    ) -> Row | None:
        """The first row, or None. With ``guarded``, a unique violation raises Duplicate, and
        a statement that fails (a lock wait that times out, say) leaves the transaction usable
        (on PostgreSQL it runs in a savepoint: two more round trips)."""

    @abstractmethod
    async def _all(self, sql: str, params: Iterable[Any] = ()) -> list[Row]: ...

    @abstractmethod
    async def _exec(self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False) -> int:
        """Run a statement; the number of rows it changed."""

    @abstractmethod
    async def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""

    async def _insert(self, sql: str, params: Iterable[Any] = (), *, guarded: bool = False) -> int:
        """Insert one row; its new ``id``."""
        row = await self._one(sql + " RETURNING id", params, guarded=guarded)
        assert row is not None
        return int(row[0])

    async def _ids_copied(self, table: str, column: str) -> None:
        """Rows were copied into `table` with their generated `column` kept (``tapmark migrate``):
        make the values generated next follow them. SQLite's next rowid already does."""
        return None

    async def _end_leases(self, where: str, params: Sequence[Any], skip_busy: bool = False) -> int:
        """Delete the unanswered leases that `where` selects from assignments and give their
        items the slots back; how many there were.

        One DELETE decides which leases go and returns them, so when two transactions end the
        same lease at once (PostgreSQL), its slot comes back once. Where rows are locked
        (PostgreSQL) the items are locked first, in id order, as an answer locks its item before
        its lease (``lock_item``). With `skip_busy` (the timer's reclaim) items that another
        transaction holds are left for the next round instead of waited for, so a sweep over
        many leases never waits in a cycle with answers in flight.
        """
        if self.lock_item:
            locked = await self._all(
                "SELECT id FROM items WHERE id IN (SELECT item_id FROM assignments"
                f" WHERE status = 'leased' AND {where}) ORDER BY id FOR UPDATE"
                + (" SKIP LOCKED" if skip_busy else ""),
                params,
            )
            if skip_busy:
                if not locked:
                    return 0
                where += " AND item_id = ANY(CAST(? AS bigint[]))"
                params = [*params, [int(r[0]) for r in locked]]
        rows = await self._all(
            f"DELETE FROM assignments WHERE status = 'leased' AND {where}"
            " RETURNING item_id, project_id",
            params,
        )
        self.freed.update(int(r[1]) for r in rows)
        freed = Counter(int(r[0]) for r in rows)
        await self._many(
            "UPDATE items SET n_load = n_load - ? WHERE id = ?",
            [(n, item_id) for item_id, n in sorted(freed.items())],
        )
        return len(rows)


ITEM_COLUMNS = (
    "id, project_id, batch_id, ext_id, data, gold, explanation, status, n_answers, n_target, n_load"
)
ASSIGNMENT_COLUMNS = "id, project_id, item_id, member_id, status, is_gold, shown_at, expires_at"


def item_from(row: Row, prefix: str = "") -> Item:
    def get(name: str) -> Any:
        return row[prefix + name]

    return Item(
        id=get("id"),
        project_id=get("project_id"),
        batch_id=get("batch_id"),
        ext_id=get("ext_id"),
        data=json.loads(get("data")),
        gold=get("gold"),
        explanation=get("explanation"),
        status=get("status"),
        n_answers=get("n_answers"),
        n_target=get("n_target"),
        n_load=get("n_load"),
    )


@lru_cache(maxsize=256)
def parse_spec(raw: str) -> ProjectSpec:
    """Parsing is pure and a spec is frozen, so equal JSON can share one parsed spec."""
    return ProjectSpec.model_validate_json(raw)


def new_lease(
    assignment_id: int,
    project_id: int,
    item_id: int,
    member_id: int,
    gold: bool,
    now: float,
    lease_s: float,
) -> Assignment:
    """The assignment a lease just inserted."""
    return Assignment(
        id=assignment_id,
        project_id=project_id,
        item_id=item_id,
        member_id=member_id,
        status="leased",
        is_gold=gold,
        shown_at=now,
        expires_at=now + lease_s,
    )


def assignment_from(row: Row) -> Assignment:
    return Assignment(
        id=row["id"],
        project_id=row["project_id"],
        item_id=row["item_id"],
        member_id=row["member_id"],
        status=row["status"],
        is_gold=bool(row["is_gold"]),
        shown_at=row["shown_at"],
        expires_at=row["expires_at"],
    )
