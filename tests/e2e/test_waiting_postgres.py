"""Two workers on one PostgreSQL database: a person asking for work while another person's
answer to the item they would get is still in flight (its transaction holds the item's row).

The answer's transaction then wants the waiting list's lock, which the asking transaction takes
when it finds nothing free: a cycle of waits that a lock timeout breaks on the asking side. It
used to end in "No tasks for you right now" for the asker, with the item still short and nobody
ever woken. Now the asking event runs again once the answer has committed, and gets the item.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from adapters.console.recorder import Recorder
from bot.chat.markup import plain
from bot.core import Core
from bot.jobs.scheduler import run_due
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import Store, Tx
from storage.postgres.base import WAITS_LOCK
from tests.conftest import PROJECT_TOML, Clock, batch_lines
from tests.storage.postgres_server import connect, scratch_schema


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    (await connect()).terminate()  # skips, saying why, when no server answers
    async with scratch_schema() as url:
        yield url


class SlowAnswers:
    """A store whose transactions take `delay` seconds longer after recording an answer, as
    when the database or the network is slow for that one worker."""

    def __init__(self, store: Store, delay: float) -> None:
        self.store, self.delay = store, delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.store.transaction() as tx:
            yield _SlowTx(tx, self.delay)  # type: ignore[misc]


class _SlowTx:
    def __init__(self, tx: Tx, delay: float) -> None:
        self._tx, self._delay = tx, delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    async def record_answer(self, *args: Any, **kwargs: Any) -> Any:
        answer = await self._tx.record_answer(*args, **kwargs)
        await asyncio.sleep(self._delay)
        return answer


@asynccontextmanager
async def workers(url: str, delay: float) -> AsyncIterator[tuple[Recorder, Recorder, str]]:
    async with open_store(url) as first, open_store(url) as second:
        text = PROJECT_TOML.format(name="t", overlap=2, max_overlap=2, gold_rate=0.0, extra="")
        await save_project(first, parse_project("t.toml", text), update=False)
        await import_batch(first, "t", "b1.jsonl", batch_lines(1), True)
        code = (await make_invite(first, "t", Role.ANNOTATOR, None, None)).code
        slow = Recorder(Core(SlowAnswers(first, delay), rng=random.Random(1)))  # type: ignore[arg-type]
        quick = Recorder(Core(second, rng=random.Random(2)))
        yield slow, quick, code


def last_text(recorder: Recorder, name: str) -> str:
    message = recorder.person(name).chat.last()
    return plain(message.text) if message else ""


async def test_asking_while_an_answer_holds_the_item_gets_the_item(pg_url: str) -> None:
    async with workers(pg_url, delay=0.6) as (slow, quick, code):
        alice, bob = slow.person("alice"), quick.person("bob")
        await alice.command("start", code)
        assert "item number 0" in last_text(slow, "alice")

        async def bob_asks() -> None:
            await asyncio.sleep(0.1)  # alice's answer holds the item by now
            await bob.command("start", code)

        await asyncio.gather(alice.tap("pos"), bob_asks())
        assert "item number 0" in last_text(quick, "bob"), last_text(quick, "bob")
        await bob.tap("neg")
        assert "No tasks" in last_text(quick, "bob")


async def test_an_answer_held_longer_than_the_retries_is_not_called_no_task(pg_url: str) -> None:
    async with workers(pg_url, delay=4.0) as (slow, quick, code):
        alice, bob = slow.person("alice"), quick.person("bob")
        await alice.command("start", code)

        async def bob_asks() -> str:
            await asyncio.sleep(0.1)
            await bob.command("start", code)
            return last_text(quick, "bob")

        _, said = await asyncio.gather(alice.tap("pos"), bob_asks())
        assert "No tasks" not in said
        assert "taking the last of it right now" in said
        await bob.tap("Check for tasks")
        assert "item number 0" in last_text(quick, "bob")


async def test_a_wait_that_ends_in_work_shows_the_card_with_undo_and_ends_the_wait(
    pg_url: str,
) -> None:
    """bob answers i0 while the one item left for him, i1, is held by another transaction (its
    row, and the waiting list's lock, as a worker's transaction in the middle of an answer and
    a wake holds them) longer than his pick waits; so he turns to the waiting list, and once
    that transaction ends i1 is free too: the pick made from the waiting list gets it. The card
    is i1's with Undo for the answer to i0, and bob is off the waiting list: when he lets that
    lease lapse, nobody tells him work came back."""
    async with open_store(pg_url) as store:
        text = PROJECT_TOML.format(name="t", overlap=3, max_overlap=3, gold_rate=0.0, extra="")
        await save_project(store, parse_project("t.toml", text), update=False)
        await import_batch(store, "t", "b1.jsonl", batch_lines(2), True)
        code = (await make_invite(store, "t", Role.ANNOTATOR, None, None)).code
        clock = Clock()
        recorder = Recorder(Core(store, clock=clock, rng=random.Random(2)))
        bob = recorder.person("bob")
        await bob.command("start", code)
        assert "item number 0" in last_text(recorder, "bob")
        schema = pg_url.rsplit("schema=", 1)[1]
        holder = await connect()
        try:
            async with holder.transaction():
                project_id = await holder.fetchval(
                    f'SELECT id FROM "{schema}".projects WHERE name = $1', "t"
                )
                await holder.execute(
                    f'SELECT id FROM "{schema}".items WHERE ext_id = $1 FOR UPDATE', "i1"
                )
                await holder.execute("SELECT pg_advisory_xact_lock($1, $2)", WAITS_LOCK, project_id)
                answering = asyncio.create_task(bob.tap("pos"))
                await asyncio.sleep(0.6)
                assert not answering.done(), "bob's answer waits for the waiting list"
            await answering
        finally:
            await holder.close()
        assert "item number 1" in last_text(recorder, "bob")
        assert bob.screen is not None
        assert "Undo" in [b.label for b in bob.screen.buttons()]
        clock.advance(31 * 60)
        assert (await run_due(store, clock()))["leases"] == 1
        assert await recorder.deliver() == 0
