"""Scheduled messages: the managers' daily digest, quota reminders and /mute, deadline warnings,
and lease reclaim, with a hand-moved clock in a project far from UTC, on a real SQLite file.

What the scheduler queues is read the way a person gets it: through the outbox pump.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Send
from bot.chat.markup import plain
from bot.core import Core
from bot.jobs.deadlines import warn_deadlines
from bot.jobs.digest import send_digests
from bot.jobs.reminders import send_reminders
from bot.jobs.scheduler import Scheduler, reclaim_leases, run_due
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.outbox_pump import OutboxPump
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tests.conftest import Clock, batch_lines

ZONE = "Asia/Kolkata"  # UTC+5:30: local midnight and 18:00 fall on no UTC hour

PROJECT = """
name = "signs"
title = "Street signs"
task = "single_choice"
labels = ["stop", "yield", "other"]
timezone = "{zone}"
lease_minutes = 30

[quality]
min_overlap = {overlap}
max_overlap = {overlap}
gold_rate = 0

[quota]
daily = 3

[schedule]
digest_at = "18:00"
reminders_at = "15:00"
deadline_warning_hours = 24
"""


def at(text: str) -> float:
    """A local wall-clock time in the project's zone as epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(ZONE)).timestamp()


class Inbox:
    """What people receive from the outbox, as the console adapter's pump delivers it."""

    def __init__(self, core: Core) -> None:
        self.got: dict[str, list[str]] = defaultdict(list)
        self.pump = OutboxPump(core, "console", self._deliver, interval=1.0)

    async def _deliver(self, send: Send) -> bool:
        self.got[send.to.user_id].append(plain(send.screen.text))
        return True

    async def take(self) -> dict[str, list[str]]:
        """Everything delivered since the last call, by person."""
        while await self.pump.drain():
            pass
        got, self.got = dict(self.got), defaultdict(list)
        return got


@dataclass
class World:
    store: Store
    clock: Clock
    recorder: Recorder
    inbox: Inbox
    annotator_code: str
    manager: Person

    async def annotator(self, name: str) -> Person:
        person = self.recorder.person(name)
        await person.command("start", self.annotator_code)
        return person


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
def world_factory(store: Store, clock: Clock) -> MakeWorld:
    async def make(
        batches: tuple[tuple[str, int, bool], ...] = (("b1", 4, True),), overlap: int = 3
    ) -> World:
        """A project in Kolkata with these batches (name, items, published) and a manager."""
        await save_project(
            store,
            parse_project("signs.toml", PROJECT.format(zone=ZONE, overlap=overlap)),
            update=False,
        )
        for name, n, published in batches:
            await import_batch(
                store,
                "signs",
                f"{name}.jsonl",
                batch_lines(n, prefix=name),
                published,
                batch_name=name,
            )
        annotators = await make_invite(store, "signs", Role.ANNOTATOR, None, None)
        managers = await make_invite(store, "signs", Role.MANAGER, None, None)
        core = Core(store, clock=clock, rng=random.Random(3))
        recorder = Recorder(core)
        manager = recorder.person("maria")
        await manager.command("start", managers.code)
        return World(store, clock, recorder, Inbox(core), annotators.code, manager)

    return make


@pytest.fixture
async def second_store(store: Store, db_url: str) -> AsyncIterator[Store]:
    """The same database opened again: the process after a restart, or a second worker."""
    async with open_store(getattr(store, "url", db_url)) as again:
        yield again


async def pseudonym(w: World, user_id: str) -> str:
    """How reports name the person: their pseudonymous id."""
    async with w.store.transaction() as tx:
        member = await tx.member_by_identity("console", user_id)
    assert member is not None
    return member.pseudonym


def last(person: Person) -> str:
    """The text of the latest message in the person's chat."""
    screen = person.chat.last()
    assert screen is not None
    return plain(screen.text)


def on_screen(person: Person) -> str:
    """The text of what the person would tap next."""
    assert person.screen is not None
    return plain(person.screen.text)


async def answer(person: Person, times: int) -> None:
    for _ in range(times):
        await person.tap("stop")


async def test_the_digest_reaches_the_managers_once_a_day_at_their_local_time(
    world_factory: MakeWorld, clock: Clock, second_store: Store
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()
    ann = await w.annotator("ann")
    await answer(ann, 2)

    clock.now = at("2027-01-15 17:59")
    assert await send_digests(w.store, clock()) == 0
    assert await w.inbox.take() == {}

    clock.now = at("2027-01-15 18:00")  # 12:30 UTC
    assert await send_digests(w.store, clock()) == 1
    got = await w.inbox.take()
    assert list(got) == ["maria"]
    digest = got["maria"][0]
    assert digest.startswith(
        "📬 Daily digest\nReport: Street signs · Fri 15 Jan 18:00 (Asia/Kolkata)"
    )
    assert "b1 (published): ░░░░░░░░░░ 0 of 4 items finished, 2 answers" in digest
    assert "Today: 2 answers from 1 annotator" in digest
    assert f"Under the daily quota of 3: {await pseudonym(w, 'ann')} 2" in digest
    assert "QA" not in digest

    clock.now = at("2027-01-15 18:01")
    assert await send_digests(w.store, clock()) == 0
    await w.store.close()  # a restart
    await w.store.open()
    assert await send_digests(w.store, clock()) == 0
    assert await send_digests(second_store, clock()) == 0  # another worker
    clock.now = at("2027-01-15 23:59")
    assert await run_due(w.store, clock()) == {  # ann's lease has expired by now
        "leases": 1,
        "waiting": 0,
        "stranded": 0,
        "skills": 0,
        "deadlines": 0,
        "reminders": 0,
        "digests": 0,
        "prune": 0,
    }
    assert await w.inbox.take() == {}

    clock.now = at("2027-01-16 17:00")
    assert await send_digests(w.store, clock()) == 0
    clock.now = at("2027-01-16 18:00")
    assert await send_digests(second_store, clock()) == 1
    digest = (await w.inbox.take())["maria"][0]
    assert "Report: Street signs · Sat 16 Jan 18:00" in digest
    assert "Today: 0 answers from 0 annotators" in digest
    assert f"Under the daily quota of 3: {await pseudonym(w, 'ann')} 0" in digest


async def test_a_digest_missed_while_down_goes_out_at_start_the_same_day_never_the_next(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()
    ann = await w.annotator("ann")
    await ann.tap("Report")
    await ann.tap("Unclear")

    clock.now = at("2027-01-15 21:30")  # the bot was down at 18:00 and starts now
    assert (await run_due(w.store, clock()))["digests"] == 1
    digest = (await w.inbox.take())["maria"][0]
    assert "Report: Street signs · Fri 15 Jan 21:30" in digest
    assert digest.endswith("QA: 1 open flag waiting — /review")

    clock.now = at("2027-01-17 09:00")  # down all of the 16th: that digest is gone
    assert (await run_due(w.store, clock()))["digests"] == 0
    clock.now = at("2027-01-17 18:00")
    assert (await run_due(w.store, clock()))["digests"] == 1
    assert "Sun 17 Jan" in (await w.inbox.take())["maria"][0]


async def test_two_workers_ticking_at_once_send_the_digest_once(
    world_factory: MakeWorld, clock: Clock, second_store: Store
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()
    await answer(await w.annotator("ann"), 1)
    clock.now = at("2027-01-15 18:00")
    sent = await asyncio.gather(send_digests(w.store, clock()), send_digests(second_store, clock()))
    assert sorted(sent) == [0, 1]
    assert len((await w.inbox.take())["maria"]) == 1


async def test_reminders_go_once_to_annotators_behind_their_quota_who_did_not_mute(
    world_factory: MakeWorld, clock: Clock, second_store: Store
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory(batches=(("b1", 10, True),))
    alice, bob, carol, dave = [await w.annotator(n) for n in ("alice", "bob", "carol", "dave")]
    await answer(alice, 3)
    await answer(bob, 1)
    await carol.command("mute")
    assert last(carol) == (
        "I will not remind you of your quota in Street signs. /unmute turns reminders on again."
    )

    clock.now = at("2027-01-15 14:59")
    assert await send_reminders(w.store, clock()) == 0
    clock.now = at("2027-01-15 15:00")
    assert await send_reminders(w.store, clock()) == 2
    got = await w.inbox.take()
    assert sorted(got) == ["bob", "dave"]
    assert got["bob"] == [
        "⏰ Street signs: you have 1 of 3 answers today, 2 to go.\n/mute turns these reminders off."
    ]
    assert got["dave"][0].startswith("⏰ Street signs: today's quota is 3 answers")

    clock.now = at("2027-01-15 15:01")
    assert await send_reminders(w.store, clock()) == 0
    assert await send_reminders(second_store, clock()) == 0  # a restart, or another worker
    assert await w.inbox.take() == {}

    await dave.command("mute")
    await carol.command("mute", "off")
    assert last(carol) == "Quota reminders for Street signs are on again. /mute turns them off."
    clock.now = at("2027-01-16 15:00")
    assert await send_reminders(w.store, clock()) == 3
    got = await w.inbox.take()
    assert sorted(got) == ["alice", "bob", "carol"]  # a new day: alice has done none yet
    assert "maria" not in got


async def test_mute_is_in_the_help_and_unmute_undoes_it(
    world_factory: MakeWorld, clock: Clock
) -> None:
    w = await world_factory()
    bob = await w.annotator("bob")
    await bob.command("help")
    assert "/mute — stop the daily quota reminders" in last(bob)
    await bob.command("mute")
    await bob.command("unmute")
    assert last(bob).startswith("Quota reminders for Street signs are on again.")
    async with w.store.transaction() as tx:
        project = await tx.project_by_name("signs")
        assert project is not None and await tx.muted_members(project.id) == set()


async def test_the_reminder_button_brings_the_next_task(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()
    bob = await w.annotator("bob")
    clock.now = at("2027-01-15 15:30")
    assert await send_reminders(w.store, clock()) == 1
    ((_, send),) = await w.recorder.core.outbox("console")
    w.recorder.apply(send)
    await bob.tap("Next task")
    assert "item number" in on_screen(bob)


async def test_reminders_missed_by_hours_wait_for_the_next_day(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()
    await w.annotator("bob")
    clock.now = at("2027-01-15 19:00")  # the bot was down from 14:00 to 19:00
    assert await send_reminders(w.store, clock()) == 0
    clock.now = at("2027-01-16 15:00")
    assert await send_reminders(w.store, clock()) == 1


async def test_no_reminders_when_there_is_no_work_to_do(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory(batches=(("b1", 4, False),))
    await w.annotator("bob")
    clock.now = at("2027-01-15 15:00")
    assert await send_reminders(w.store, clock()) == 0
    assert await w.inbox.take() == {}


async def test_deadline_warnings_come_once_when_near_and_once_when_overdue(
    world_factory: MakeWorld, clock: Clock, second_store: Store
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory(
        batches=(("done", 1, True), ("b1", 3, True), ("b2", 2, False)), overlap=1
    )
    await answer(await w.annotator("ann"), 1)  # finishes batch "done"
    for name in ("done", "b1", "b2"):
        await w.manager.command("deadline", name, "2027-01-16", "18:00")

    clock.now = at("2027-01-15 17:00")  # 25 hours before
    assert await warn_deadlines(w.store, clock()) == 0
    clock.now = at("2027-01-15 19:00")
    assert await warn_deadlines(w.store, clock()) == 1
    assert await warn_deadlines(second_store, clock()) == 0
    got = await w.inbox.take()
    assert got == {
        "maria": [
            "⏳ Due soon: b1 in Street signs is due Sat 16 Jan 18:00 (in 23 hours).\n"
            "░░░░░░░░░░ 0 of 3 items finished, 3 to go. /batches"
        ]
    }

    clock.now = at("2027-01-16 17:59")
    assert await warn_deadlines(w.store, clock()) == 0
    clock.now = at("2027-01-16 18:30")
    assert await warn_deadlines(w.store, clock()) == 1
    assert await warn_deadlines(w.store, clock()) == 0
    (overdue,) = (await w.inbox.take())["maria"]
    assert overdue.startswith(
        "⚠️ Overdue: b1 in Street signs was due Sat 16 Jan 18:00 (30 minutes overdue)."
    )

    await w.manager.command("deadline", "b1", "2027-01-20")  # moved: both warnings anew
    clock.now = at("2027-01-20 09:00")
    assert await warn_deadlines(w.store, clock()) == 1
    assert "Due soon: b1" in (await w.inbox.take())["maria"][0]


async def test_reclaim_frees_an_expired_lease_for_another_annotator(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory(batches=(("b1", 1, True),), overlap=1)
    alice = await w.annotator("alice")
    assert "item number 0" in on_screen(alice)
    bob = await w.annotator("bob")
    assert "No tasks for you right now" in last(bob)

    clock.advance(31 * 60)
    assert await reclaim_leases(w.store, clock()) == 1
    assert await reclaim_leases(w.store, clock()) == 0
    async with w.store.transaction() as tx:
        project = await tx.project_by_name("signs")
        member = await tx.member_by_identity("console", "alice")
        assert project is not None and member is not None
        assert await tx.open_assignment(project.id, member.id) is None
    await bob.command("next")
    assert "item number 0" in on_screen(bob)
    await alice.tap("stop")
    assert alice.chat.toasts[-1] == "This task is no longer yours."


async def test_the_apscheduler_timer_ticks_and_stops_cleanly(
    world_factory: MakeWorld, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory(batches=(("b1", 1, True),), overlap=1)
    await w.annotator("alice")
    clock.advance(31 * 60)
    asked = 0

    async def leader() -> bool:
        nonlocal asked
        asked += 1
        return True

    scheduler = Scheduler(w.store, clock=clock, is_leader=leader, interval=0.05)
    with caplog.at_level(logging.WARNING):
        scheduler.start()
        try:
            for _ in range(300):
                if asked >= 3:
                    break
                await asyncio.sleep(0.01)
        finally:
            await scheduler.stop()
    assert asked >= 3 and not scheduler.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with w.store.transaction() as tx:
        project = await tx.project_by_name("signs")
        member = await tx.member_by_identity("console", "alice")
        assert project is not None and member is not None
        assert await tx.open_assignment(project.id, member.id) is None
    await scheduler.stop()  # stopping twice is harmless


async def test_a_worker_that_is_not_the_leader_sends_nothing(
    world_factory: MakeWorld, clock: Clock
) -> None:
    clock.now = at("2027-01-15 09:00")
    w = await world_factory()

    async def follower() -> bool:
        return False

    clock.now = at("2027-01-15 18:00")
    assert await Scheduler(w.store, clock=clock, is_leader=follower).tick() is None
    assert await w.inbox.take() == {}
    assert (await Scheduler(w.store, clock=clock).tick() or {})["digests"] == 1
