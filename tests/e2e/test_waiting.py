"""Annotators told there is no task for them now are told, once, when work comes back."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Toast
from bot.chat.events import Actor
from bot.chat.markup import plain
from bot.context import Ctx
from bot.jobs.scheduler import run_due
from bot.managing.commands import suspend_member
from bot.managing.operations import import_batch
from storage.contract import PROMISE_S, Store
from tests.conftest import Clock, batch_lines

MakeProject = Callable[..., Any]
BACK = "New tasks are ready in"


def text(person: Person) -> str:
    return plain(person.chat.last().text) if person.chat.last() else ""


async def test_a_skipped_item_goes_to_whoever_waits_and_they_are_told(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=1, overlap=1)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    await bob.command("start", code)
    assert "I will message you when there are" in text(bob)
    assert await recorder.deliver() == 0
    await alice.tap("Skip")
    assert await recorder.deliver() == 1
    assert BACK in text(bob) and "Test sentiment" in text(bob)
    assert "No tasks" in text(alice)
    await bob.tap("Next task")
    assert "item number 0" in text(bob)
    await bob.tap("pos")
    assert await recorder.deliver() == 0


async def test_an_item_that_wants_one_more_answer_brings_the_waiting_back(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=1, overlap=2, max_overlap=3)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    assert "No tasks" in text(carol)
    await alice.tap("pos")
    assert await recorder.deliver() == 0
    await bob.tap("neg")
    assert await recorder.deliver() == 1
    assert BACK in text(carol)
    assert "No tasks" in text(alice) and "No tasks" in text(bob)
    await carol.tap("Next task")
    await carol.tap("pos")
    assert "No tasks" in text(carol)


async def test_a_new_batch_tells_everyone_waiting_once(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=1, overlap=1)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    await alice.tap("pos")
    await bob.command("start", code)
    await import_batch(store, "t", "b2.jsonl", batch_lines(2, prefix="j"), False)
    assert await recorder.deliver() == 0
    await import_batch(store, "t", "b3.jsonl", batch_lines(2, prefix="k"), True)
    assert await recorder.deliver() == 2
    assert BACK in text(alice) and BACK in text(bob)
    await import_batch(store, "t", "b4.jsonl", batch_lines(2, prefix="m"), True)
    assert await recorder.deliver() == 0
    await alice.tap("Next task")
    assert "item number" in text(alice)


async def test_the_note_opens_the_project_where_work_came_back(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    first = await make_project(items=1, overlap=1, name="t")
    second = await make_project(items=1, overlap=1, name="u")
    alice = recorder.person("alice")
    await alice.command("start", first)
    await alice.tap("pos")
    await alice.command("start", second)
    await alice.tap("pos")
    assert "No tasks" in text(alice)
    await import_batch(store, "t", "b2.jsonl", batch_lines(1, prefix="j"), True)
    assert await recorder.deliver() == 1
    await alice.tap("Next task")
    assert "item number 0" in text(alice)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("console", "alice")
        project = await tx.project_by_name("t")
        assert member is not None and project is not None
        assert member.project_id == project.id


async def test_stop_gives_the_task_back_at_once_and_ends_the_wait(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=2, overlap=1)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    await alice.command("start", code)
    await bob.command("start", code)
    await carol.command("start", code)
    assert "No tasks" in text(carol)
    held = plain(alice.screen.text).split("\n\n")[1]  # type: ignore[union-attr]
    await alice.command("stop")
    assert "went back to the pool" in text(alice)
    assert await recorder.deliver() == 1
    await carol.tap("Next task")
    assert held in text(carol), "carol gets alice's task at once, not when its lease runs out"
    await bob.tap("pos")
    await bob.command("stop")
    assert text(bob) == "Done for now. Send /next when you are back."
    await carol.command("stop")
    await alice.command("next")
    assert held in text(alice), "alice may get her item back: it was not skipped"
    await alice.tap("Skip")
    assert await recorder.deliver() == 0, "bob and carol stopped: nobody waits to be told"


async def test_a_promise_nobody_took_goes_to_the_next_person_on_the_next_tick(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    await alice.command("start", code)
    await bob.command("start", code)
    await carol.command("start", code)
    await alice.tap("Skip")
    assert await recorder.deliver() == 1, "one slot: one person told"
    assert BACK in text(bob) and "No tasks" in text(carol)
    clock.advance(60)
    await run_due(store, clock())
    assert await recorder.deliver() == 0, "bob's promise still holds"
    clock.advance(PROMISE_S)
    await run_due(store, clock())
    assert await recorder.deliver() == 1
    assert BACK in text(carol), "bob never came: carol is told"
    await carol.tap("Next task")
    assert "item number 0" in text(carol)


@pytest.mark.parametrize("routing", ["arrival", "skill"])
async def test_a_woken_person_who_takes_other_work_passes_the_promised_slot_on(
    recorder: Recorder, make_project: MakeProject, store: Store, routing: str
) -> None:
    """Bob is woken for the one free slot (Carol, waiting too, is not: the slot is his), but
    a gold question comes first for him. The slot he was promised is open again, so Carol
    hears at once, not only when his promise would have lapsed."""
    code = await make_project(
        items=1, overlap=1, gold_rate=1.0, extra=f'routing = "{routing}"\nexploration = 0.0'
    )
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    assert "No tasks" in text(bob) and "No tasks" in text(carol)
    gold = json.dumps({"id": "g0", "data": {"text": "a control question"}, "gold": "pos"})
    await import_batch(store, "t", "g.jsonl", (gold + "\n").encode(), True)
    assert await recorder.deliver() == 0, "a gold question is not work anyone waits for"
    await alice.tap("Skip")
    assert await recorder.deliver() == 1, "one slot: one person told"
    assert BACK in text(bob) and "No tasks" in text(carol)
    await bob.tap("Next task")
    assert "a control question" in text(bob)
    assert await recorder.deliver() == 1
    assert BACK in text(carol)
    await carol.tap("Next task")
    await carol.tap("pos")  # her own gold question first, too
    assert "item number 0" in text(carol)


async def test_suspending_someone_who_holds_no_task_wakes_who_can_redo_their_work(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """alice's answer and bob's lease fill the item's two slots, so carol waits; alice is
    suspended while she holds no task: her answer leaves the aggregation, its slot is free
    again, and carol is told."""
    code = await make_project(items=1, overlap=2)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await alice.tap("pos")
    assert "No tasks" in text(alice) and "No tasks" in text(carol)
    assert await recorder.deliver() == 0
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        row = next(r for r in await tx.project_members(project.id) if r.member.name == "alice")
        ctx = Ctx(
            tx=tx, now=clock(), actor=Actor("console", "cli"), rng=random.Random(1), is_admin=True
        )
        await suspend_member(ctx, project, row, None)
    assert await recorder.deliver() == 1
    assert BACK in text(carol)
    await carol.tap("Next task")
    assert "item number 0" in text(carol)


async def test_a_task_given_back_by_undo_is_held_for_the_whole_lease_again(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    """Two items of two answers: after ann's undo she holds one of the four slots for a
    whole lease from the undo, so of four people asking 20 minutes later one waits."""
    code = await make_project(items=2, overlap=2)
    ann = recorder.person("ann")
    await ann.command("start", code)
    clock.advance(20 * 60)
    await ann.tap("pos")
    await ann.tap("Undo")
    clock.advance(20 * 60)  # 40 minutes after the first showing, 20 after the undo
    others = [recorder.person(name) for name in ("bob", "cat", "dan", "eve")]
    for person in others:
        await person.command("start", code)
    assert ["item number" in text(p) for p in others] == [True, True, True, False]
    saved = await ann.tap("neg")
    assert [a.text for a in saved if isinstance(a, Toast)] == ["Saved ✓"]
