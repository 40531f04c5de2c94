"""Copy a whole database into an empty one, of either engine, keeping every id.

Both stores must be open (so both schemas are at the latest migration). The source is read in
one transaction and the target written in one, so the copy is all or nothing. Tables go in
dependency order (``TABLES``); ``tests/storage/test_transfer.py`` checks that the list covers
every table the migrations create.

Triggers fire on the target as rows arrive (an answer counts itself on its item, and so on),
so what they keep is put back afterwards: ``RESTORED`` columns are copied again from the
source, ``REBUILT`` tables are emptied just before their own rows are copied. Last, the target
makes its generated ids follow the copied ones (PostgreSQL's identity sequences).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from storage.contract import Store, StoreError, Tx
from storage.sql.base import Row, SqlBase

TABLES: tuple[tuple[str, str], ...] = (
    ("projects", "id"),
    ("guidelines", "id"),
    ("batches", "id"),
    ("items", "id"),
    ("members", "id"),
    ("identities", "rowid"),
    ("roles", "project_id, member_id, role"),
    ("invites", "code"),
    ("link_codes", "code"),
    ("mutes", "project_id, member_id"),
    ("assignments", "id"),
    ("answers", "id"),
    ("answer_hours", "project_id, member_id, hour"),
    ("batch_answers", "batch_id, member_id"),
    ("results", "item_id"),
    ("flags", "id"),
    ("flag_notes", "id"),
    ("tokens", "token"),
    ("outbox", "id"),
    ("audit", "id"),
    ("job_runs", "job, run_key"),
    ("media_uploads", "sha, platform"),
    ("skill_models", "project_id"),
    ("skills", "project_id, member_id"),
)
"""Every table, parents before children, each with the key its rows are read in order of.
``identities.rowid`` is SQLite's implicit row id, a real column on PostgreSQL: the order in
which a member's accounts were added."""

RESTORED: dict[str, tuple[str, ...]] = {
    "batches": ("n_items",),
    "items": ("n_answers", "n_load"),
    "assignments": ("status",),
}
"""Columns the target's triggers change while rows are copied (by table, keyed by ``id``)."""

REBUILT = frozenset({"answer_hours", "batch_answers"})
"""Tables the target's triggers fill while rows are copied."""

GENERATED = frozenset({"id", "rowid"})
"""Keys the database generates: the target's next value must follow the copied ones."""

PAGE = 1000


class TargetNotEmpty(StoreError):
    pass


class TransferFailed(StoreError):
    pass


async def copy_database(source: Store, target: Store) -> dict[str, int]:
    """Copy every row of `source` into `target`, which must be empty; rows copied per table."""
    async with source.transaction() as read_tx, target.transaction() as write_tx:
        src, dst = _sql(read_tx), _sql(write_tx)
        held = {t: n for t, _ in TABLES if (n := await _count(dst, t))}
        if held:
            what = ", ".join(f"{t} {n}" for t, n in held.items())
            raise TargetNotEmpty(
                f"the target database already holds data ({what}): migrate into an empty one"
            )
        copied: dict[str, int] = {}
        for table, key in TABLES:
            if table in REBUILT:
                await dst._exec(f"DELETE FROM {table}")
            copied[table] = 0
            async for rows in _pages(src, f"SELECT * FROM {table}", key):
                columns = list(dict(rows[0]).keys())
                try:
                    await dst._many(
                        f"INSERT INTO {table} ({', '.join(columns)})"
                        f" VALUES ({', '.join('?' * len(columns))})",
                        [tuple(row[c] for c in columns) for row in rows],
                    )
                except Exception as exc:
                    raise TransferFailed(
                        f"the target refused a row of {table}, so nothing was copied: {exc}"
                    ) from exc
                copied[table] += len(rows)
        for table, restored in RESTORED.items():
            sets = ", ".join(f"{c} = ?" for c in restored)
            async for rows in _pages(src, f"SELECT id, {', '.join(restored)} FROM {table}", "id"):
                await dst._many(
                    f"UPDATE {table} SET {sets} WHERE id = ?",
                    [(*(row[c] for c in restored), row["id"]) for row in rows],
                )
        for table, key in TABLES:
            if key in GENERATED:
                await dst._ids_copied(table, key)
    return copied


def _sql(tx: Tx) -> SqlBase:
    if not isinstance(tx, SqlBase):
        raise TypeError(f"{type(tx).__name__} is not an SQL engine's transaction")
    return tx


async def _count(tx: SqlBase, table: str) -> int:
    row = await tx._one(f"SELECT COUNT(*) FROM {table}")
    return int(row[0]) if row else 0


async def _pages(tx: SqlBase, select: str, key: str) -> AsyncIterator[list[Row]]:
    """The rows of `select` in order of `key`, a page at a time: after the last ``id`` seen
    where the key is ``id``, else by offset."""
    last: Any = None
    offset = 0
    while True:
        if key == "id":
            where = "" if last is None else " WHERE id > ?"
            rows = await tx._all(
                f"{select}{where} ORDER BY id LIMIT ?", ((last,) if where else ()) + (PAGE,)
            )
        else:
            rows = await tx._all(f"{select} ORDER BY {key} LIMIT ? OFFSET ?", (PAGE, offset))
        if not rows:
            return
        yield rows
        if len(rows) < PAGE:
            return
        last = rows[-1]["id"] if key == "id" else None
        offset += len(rows)
