"""The last guard against a doubled answer: the database's one-answer-per-assignment rule.

A tap reads its lease under a lock (PostgreSQL) or alone (SQLite's one writer), so a second tap
on the same card normally sees the answer and says "Already saved". Should a read ever be stale
(an engine without row locks, a read moved out of the lock by a later change), the insert is
refused by the unique constraint and the core must answer the same way, storing nothing twice.
A store that hands out the lease as first read plays that stale read, on both engines.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from adapters.console.recorder import Recorder
from bot.core import Core
from storage.contract import Store, Tx
from tests.conftest import BOTH_ENGINES


class StaleLeases:
    """A store whose transactions read each lease as it was the first time it was read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.first_reads: dict[int, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.store.transaction() as tx:
            yield _StaleTx(tx, self.first_reads)  # type: ignore[misc]


class _StaleTx:
    def __init__(self, tx: Tx, first_reads: dict[int, Any]) -> None:
        self._tx, self._first = tx, first_reads

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    async def lease_view(self, assignment_id: int) -> Any:
        if assignment_id not in self._first:
            self._first[assignment_id] = await self._tx.lease_view(assignment_id)
        return self._first[assignment_id]


@BOTH_ENGINES
async def test_a_second_answer_on_a_stale_read_is_refused_by_the_database(
    store: Store, make_project: Callable[..., Any]
) -> None:
    code = await make_project(items=3, overlap=2)
    recorder = Recorder(Core(StaleLeases(store), rng=random.Random(4)))  # type: ignore[arg-type]
    ann = recorder.person("ann")
    await ann.command("start", code)
    card = ann.chat.last_with_buttons()
    assert card is not None
    token = next(b.token for b in card.screen.buttons() if b.label == "pos")
    await ann.tap_token(token, card.id)
    assert ann.chat.toasts[-1] == "Saved ✓"
    await ann.tap_token(token, card.id)  # the same button again, read stale
    assert ann.chat.toasts[-1] == "Already saved ✓"
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        rows = [r async for r in tx.export_rows(project.id)]
    assert sum(len(r.answers) for r in rows) == 1
    assert ann.screen is not None and "item number" in (ann.screen.text or "")
