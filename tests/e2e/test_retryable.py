"""An event whose transaction the database rolls back as retryable (a deadlock between workers)
runs again from the start: the person sees one confirmation and one answer is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from adapters.console.recorder import Recorder
from bot.core import RETRIES, Core
from storage.contract import Retryable, Store, Tx
from tests.conftest import Clock


class Deadlocking(Store):
    """The real store, but the next `failures` transactions are rolled back at their end."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.failures = 0

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def schema_version(self) -> int:
        return await self.inner.schema_version()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.inner.transaction() as tx:
            yield tx
            if self.failures:
                self.failures -= 1
                raise Retryable("deadlock detected")


async def answers(store: Store) -> int:
    async with store.transaction() as tx:
        return (await tx.live_counts()).answers


async def test_a_deadlocked_answer_is_stored_once_and_confirmed_once(
    store: Store, clock: Clock, make_project: Callable[..., object]
) -> None:
    code = await make_project(items=3, overlap=1)  # type: ignore[misc]
    flaky = Deadlocking(store)
    recorder = Recorder(Core(flaky, clock=clock))
    ann = recorder.person("ann")
    await ann.command("start", code)
    flaky.failures = RETRIES - 1
    actions = await ann.tap("pos")
    assert [a.text for a in actions if hasattr(a, "text")] == ["Saved ✓"]
    assert await answers(store) == 1

    flaky.failures = RETRIES
    with pytest.raises(Retryable):
        await ann.tap("pos")
    assert await answers(store) == 1
