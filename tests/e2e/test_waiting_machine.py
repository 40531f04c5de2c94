"""Nobody waits untold for work that exists: a stateful property test on both engines.

Hypothesis drives a small crowd through the real core (console people): members join, ask for
work, answer, skip, report, take up a wake, let leases expire, get suspended and reinstated,
with gold questions and dynamic overlap on, in arrival order and with skill routing (whose
skill model the scheduler's ticks refresh). After every step, nobody holds two assignments on
one item, no item has more leases and answers than its overlap limit, and no item that wants an
answer is left while an eligible member waits untold: the member then holds a lease or was
woken (a wake promises one of the item's free slots for a few minutes,
`storage.contract.PROMISE_S`; a slot counts as promised only to someone active who can still
take that item). At the end, fresh annotators finish the work: every real item reaches its
target or is disputed (or
waits for QA after a report).

The rules read the database directly for the invariant, so it does not trust the counters the
code keeps: an item's load is counted from its leases and its answers still in the aggregation.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adapters.console.recorder import Person, Recorder
from bot.chat.events import Actor
from bot.chat.markup import plain
from bot.context import Ctx
from bot.core import Core
from bot.jobs.scheduler import run_due
from bot.managing.commands import reinstate_member, suspend_member
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import PROMISE_S, Store
from tests.conftest import PROJECT_TOML, Clock, batch_lines, raw
from tests.storage.postgres_server import connect, scratch_schema

NAMES = ("ann", "ben", "cat", "dan", "eve")
LABELS = ("pos", "neg", "neu")
ITEMS = 6
LEASE_S = 30 * 60.0

UNTOLD = """
SELECT i.id, r.member_id FROM items i
JOIN batches b ON b.id = i.batch_id
JOIN roles r ON r.project_id = i.project_id AND r.role = 'annotator'
WHERE i.project_id = {p} AND i.status = 'open' AND i.gold IS NULL AND b.status = 'published'
  AND (SELECT COUNT(*) FROM assignments a WHERE a.item_id = i.id AND a.status = 'leased')
    + (SELECT COUNT(*) FROM answers x WHERE x.item_id = i.id AND x.excluded IS NULL)
    + (SELECT COUNT(*) FROM roles w WHERE w.project_id = i.project_id AND w.woken_item = i.id
       AND w.woken_at >= {since} AND w.waiting_since IS NULL AND w.status = 'active'
       AND NOT EXISTS (SELECT 1 FROM assignments wb WHERE wb.item_id = i.id
                       AND wb.member_id = w.member_id)
       AND NOT EXISTS (SELECT 1 FROM assignments wa WHERE wa.project_id = w.project_id
                       AND wa.member_id = w.member_id AND wa.shown_at >= w.woken_at))
    < i.n_target
  AND r.waiting_since IS NOT NULL AND r.status = 'active'
  AND r.qualification IN ('none', 'passed')
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.project_id = i.project_id
                  AND a.member_id = r.member_id AND a.status = 'leased')
  AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id
                  AND a.member_id = r.member_id)
"""


def text(person: Person) -> str:
    last = person.chat.last()
    return plain(last.text) if last else ""


def labels_on_screen(person: Person) -> list[str]:
    message = person.chat.last_with_buttons()
    return [b.label for b in message.screen.buttons()] if message else []


TWICE_OR_BEYOND = """
SELECT 'twice', a.item_id, a.member_id FROM assignments a WHERE a.project_id = {p}
GROUP BY a.item_id, a.member_id HAVING COUNT(*) > 1
UNION ALL
SELECT 'beyond', i.id, NULL FROM items i WHERE i.project_id = {p} AND i.gold IS NULL
  AND (SELECT COUNT(*) FROM assignments a WHERE a.item_id = i.id AND a.status = 'leased')
    + (SELECT COUNT(*) FROM answers x WHERE x.item_id = i.id AND x.excluded IS NULL) > {most}
"""


class Waiting(RuleBasedStateMachine):
    engine = "sqlite"
    routing = "arrival"

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.clock = Clock()
        self.joined: set[str] = set()
        self.suspended: set[str] = set()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @initialize()
    def start(self) -> None:
        self.run(self._start())

    async def _start(self) -> None:
        if self.engine == "postgres":
            url = await self.stack.enter_async_context(scratch_schema())
        else:
            folder = self.stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{Path(folder) / 'w.db'}"
        self.store: Store = await self.stack.enter_async_context(open_store(url))
        extra = f'confidence = 0.9\nrouting = "{self.routing}"\nexploration = 0.1'
        toml = PROJECT_TOML.format(name="t", overlap=2, max_overlap=3, gold_rate=0.2, extra=extra)
        await save_project(self.store, parse_project("t.toml", toml), update=False)
        await import_batch(self.store, "t", "b1.jsonl", batch_lines(ITEMS, gold_every=4), True)
        self.code = (await make_invite(self.store, "t", Role.ANNOTATOR, None, None)).code
        self.recorder = Recorder(Core(self.store, clock=self.clock, rng=random.Random(5)))
        for name in NAMES[:3]:  # a crowd at work from the first step; the others join later
            await self.person(name).command("start", self.code)
            self.joined.add(name)

    def teardown(self) -> None:
        try:
            if hasattr(self, "store"):
                self.run(self._finish())
        finally:
            self.run(self.stack.aclose())
            self.loop.close()

    def person(self, name: str) -> Person:
        return self.recorder.person(name)

    async def deliver(self) -> None:
        await self.recorder.deliver()

    # --- the rules ------------------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES))
    def join(self, name: str) -> None:
        self.run(self.person(name).command("start", self.code))
        self.joined.add(name)

    @rule(name=st.sampled_from(NAMES))
    def ask(self, name: str) -> None:
        self.run(self.person(name).command("next"))

    @rule(name=st.sampled_from(NAMES), label=st.sampled_from(LABELS))
    def answer(self, name: str, label: str) -> None:
        if label in labels_on_screen(self.person(name)):
            self.run(self.person(name).tap(label))

    @rule(
        name=st.sampled_from(NAMES),
        button=st.sampled_from(("Skip", "Next task", "Check for tasks")),
    )
    def press(self, name: str, button: str) -> None:
        if button in labels_on_screen(self.person(name)):
            self.run(self.person(name).tap(button))

    @rule(name=st.sampled_from(NAMES))
    def report(self, name: str) -> None:
        person = self.person(name)
        if "Report" in labels_on_screen(person):
            self.run(person.tap("Report"))
            if "Unclear" in labels_on_screen(person):
                self.run(person.tap("Unclear"))

    @rule(minutes=st.sampled_from((1, 6, 31)))
    def time_passes(self, minutes: int) -> None:
        """A minute, a promise's life, a lease's life; the scheduler ticks as it would."""
        for _ in range(minutes):
            self.clock.advance(60)
        self.run(run_due(self.store, self.clock()))

    @rule()
    def messages_arrive(self) -> None:
        self.run(self.deliver())

    @precondition(lambda self: bool(self.joined - self.suspended))
    @rule(data=st.data())
    def suspend(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.joined - self.suspended)))
        self.run(self._member_op(name, suspend_member))
        self.suspended.add(name)

    @precondition(lambda self: bool(self.suspended))
    @rule(data=st.data())
    def reinstate(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.suspended)))
        self.run(self._member_op(name, reinstate_member))
        self.suspended.discard(name)

    async def _member_op(self, name: str, op: Any) -> None:
        async with self.store.transaction() as tx:
            project = await tx.project_by_name("t")
            assert project is not None
            rows = [
                r
                for r in await tx.project_members(project.id)
                if r.member.name == name and r.role == Role.ANNOTATOR
            ]
            if (
                not rows
                or (op is suspend_member and rows[0].status != "active")
                or (op is reinstate_member and rows[0].status == "active")
            ):
                return  # suspended by the gold questions already, say
            ctx = Ctx(
                tx=tx,
                now=self.clock(),
                actor=Actor("console", "cli"),
                rng=random.Random(0),
                is_admin=True,
            )
            await op(ctx, project, rows[0], None)

    # --- what must hold -------------------------------------------------------------------

    @invariant()
    def nobody_waits_untold_for_work(self) -> None:
        if not hasattr(self, "store"):
            return
        untold = self.run(self._untold())
        assert untold == [], f"(item, member) short while the member waits untold: {untold}"

    @invariant()
    def nobody_gets_an_item_twice_nor_an_item_beyond_its_overlap(self) -> None:
        if not hasattr(self, "store"):
            return
        broken = self.run(self._broken())
        assert broken == [], f"assigned twice to one person, or beyond max_overlap: {broken}"

    async def _broken(self) -> list[tuple[Any, ...]]:
        async with self.store.transaction() as tx:
            project = await tx.project_by_name("t")
            assert project is not None
            most = project.spec.quality.max_overlap
            return await raw(tx, TWICE_OR_BEYOND.format(p=project.id, most=most))

    async def _untold(self) -> list[tuple[Any, ...]]:
        async with self.store.transaction() as tx:
            project = await tx.project_by_name("t")
            assert project is not None
            since = self.clock() - PROMISE_S
            return await raw(tx, UNTOLD.format(p=project.id, since=repr(since)))

    async def _finish(self) -> None:
        """The leases left open run out; fresh annotators, answering as the gold says, work
        until nobody gets work."""
        self.clock.advance(LEASE_S + 60)
        await run_due(self.store, self.clock())
        fresh = [self.person(f"new{n}") for n in range(6)]
        for person in fresh:
            await person.command("start", self.code)
        for _ in range(40):
            progress = False
            for person in fresh:
                await person.command("next")
                while "pos" in labels_on_screen(person):
                    await person.tap("pos")
                    progress = True
            if not progress:
                break
        async with self.store.transaction() as tx:
            project = await tx.project_by_name("t")
            assert project is not None
            rows = [r async for r in tx.export_rows(project.id)]
        unfinished = [
            (r.item.ext_id, r.item.status, r.item.n_answers, r.item.n_target)
            for r in rows
            if r.item.gold is None and r.item.status not in ("done", "disputed", "held")
        ]
        assert unfinished == [], unfinished


SETTINGS = settings(
    max_examples=20, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
)


class WaitingOnSqlite(Waiting):
    engine = "sqlite"


class WaitingOnPostgres(Waiting):
    engine = "postgres"


class RoutedOnSqlite(Waiting):
    engine = "sqlite"
    routing = "skill"


class RoutedOnPostgres(Waiting):
    engine = "postgres"
    routing = "skill"


def test_nobody_waits_untold_on_sqlite() -> None:
    WaitingOnSqlite.TestCase.settings = SETTINGS
    WaitingOnSqlite.TestCase().runTest()


def test_nobody_waits_untold_on_postgres() -> None:
    _postgres_reachable()
    WaitingOnPostgres.TestCase.settings = SETTINGS
    WaitingOnPostgres.TestCase().runTest()


def test_with_skill_routing_nobody_waits_untold_and_every_item_finishes_on_sqlite() -> None:
    RoutedOnSqlite.TestCase.settings = SETTINGS
    RoutedOnSqlite.TestCase().runTest()


def test_with_skill_routing_nobody_waits_untold_and_every_item_finishes_on_postgres() -> None:
    _postgres_reachable()
    RoutedOnPostgres.TestCase.settings = SETTINGS
    RoutedOnPostgres.TestCase().runTest()


def _postgres_reachable() -> None:
    async def reachable() -> None:
        (await connect()).terminate()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(reachable())
    except pytest.skip.Exception:
        raise
    finally:
        loop.close()
