"""An item that wants an answer nobody is left to give goes to QA, and comes back to the crowd
when someone who could answer it turns up."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.console.recorder import Person, Recorder
from bot.chat.events import Actor
from bot.chat.markup import plain
from bot.context import Ctx
from bot.jobs.scheduler import run_due
from bot.managing.batches import MOVES, move_batch
from bot.managing.commands import reinstate_member, remove_member, suspend_member
from domain.entities import Flag, Project
from domain.enums import BatchStatus, FlagKind, ItemStatus
from storage.contract import Store
from storage.rows import MemberRow
from tests.conftest import BOTH_ENGINES, Clock, raw

pytestmark = BOTH_ENGINES

MakeProject = Callable[..., Any]
MemberOp = Callable[[Ctx, Project, MemberRow, Any], Awaitable[str]]


def text(person: Person) -> str:
    return plain(person.chat.last().text) if person.chat.last() else ""


async def _item(store: Store) -> tuple[ItemStatus, int, list[Flag]]:
    """The only item's status and target, and the project's dispute flags, open or not."""
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        (item,) = [row.item async for row in tx.export_rows(project.id)]
        flags = []
        flag = await tx.next_flag(project.id)
        while flag is not None:
            flags.append(flag)
            flag = await tx.next_flag(project.id, flag.id)
        disputes = [f for f in flags if f.kind == FlagKind.DISPUTED]
        return item.status, item.n_target, disputes


async def _member_op(store: Store, clock: Clock, name: str, op: MemberOp) -> None:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        row = next(r for r in await tx.project_members(project.id) if r.member.name == name)
        ctx = Ctx(
            tx=tx, now=clock(), actor=Actor("console", "cli"), rng=random.Random(1), is_admin=True
        )
        await op(ctx, project, row, None)


async def _set_batch(store: Store, status: BatchStatus) -> None:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        (batch,) = await tx.batches(project.id)
        await tx.set_batch_status(batch.id, status)


async def _split_by_two_of_three(recorder: Recorder, make_project: MakeProject) -> None:
    """One item (2 to 3 answers); Alice, Bob and Carol join, Alice answers pos and Bob neg, so
    it wants Carol's answer."""
    code = await make_project(items=1, overlap=2, max_overlap=3)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await alice.tap("pos")
    await bob.tap("neg")


async def test_an_item_that_wants_more_people_than_have_joined_waits_for_them(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=2, max_overlap=5)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    await alice.command("start", code)
    await bob.command("start", code)
    await alice.tap("pos")
    await bob.tap("neg")
    assert (await run_due(store, clock()))["stranded"] == 0
    assert await _item(store) == (ItemStatus.OPEN, 3, [])
    await carol.command("start", code)
    assert "item number 0" in text(carol)


async def test_when_everyone_who_joined_has_answered_or_left_the_item_goes_to_qa_at_once(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """The demo's case: one of three people is gone (here removed; in the demo, failed in the
    qualification), the two left disagree, and the item would wait for a third answer forever."""
    code = await make_project(items=1, overlap=2, max_overlap=5)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await _member_op(store, clock, "carol", remove_member)
    await alice.tap("pos")
    assert (await _item(store))[0] == ItemStatus.OPEN
    await bob.tap("neg")
    status, target, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and target == 3
    assert len(disputes) == 1
    assert disputes[0].reason.startswith(
        "wants answer 3 (at least 2, up to 5), and everyone left who may answer it has; "
        "the crowd leans to"
    )


async def test_someone_who_joins_gets_the_item_back_from_qa(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=2, max_overlap=3)
    alice, bob, carol, dave = (recorder.person(n) for n in ("alice", "bob", "carol", "dave"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await _member_op(store, clock, "carol", remove_member)
    await alice.tap("pos")
    await bob.tap("neg")
    assert (await _item(store))[0] == ItemStatus.DISPUTED
    await dave.command("start", code)
    status, _, disputes = await _item(store)
    assert status == ItemStatus.OPEN and disputes == [], "the flag left the QA queue"
    async with store.transaction() as tx:
        rows = await raw(tx, "SELECT kind, status, resolution FROM flags")
    assert [tuple(r) for r in rows] == [
        ("disputed", "resolved", "reopened: someone who may answer it joined")
    ]
    assert "item number 0" in text(dave)
    await dave.tap("pos")
    status, target, disputes = await _item(store)
    assert status != ItemStatus.OPEN and target == 3
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        (item,) = [row.item async for row in tx.export_rows(project.id)]
        assert len(await tx.item_answers(item.id)) == 3


async def test_an_item_left_under_its_minimum_by_a_suspension_goes_to_qa(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """Three agree and the item is done; one of them is suspended, the item needs a third
    answer again, and the one other person has given theirs."""
    code = await make_project(items=1, overlap=3)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    for person in (alice, bob, carol):
        await person.tap("pos")
    assert (await _item(store))[0] == ItemStatus.DONE
    await _member_op(store, clock, "carol", suspend_member)
    status, target, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and target == 3 and len(disputes) == 1
    assert disputes[0].reason.startswith("wants answer 3 (at least 3, up to 3)")
    # Back, carol may not answer it again (her answer stays out): it stays with QA.
    await _member_op(store, clock, "carol", reinstate_member)
    status, _, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and len(disputes) == 1


async def test_the_answers_after_the_crowd_shrank_under_the_minimum_end_in_qa(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """carol is suspended before anyone answers; alice and bob then give the item the only
    two answers it can get. (Another project first, so that ids of items and projects differ.)"""
    await make_project(items=2, name="u")
    code = await make_project(items=1, overlap=3)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await _member_op(store, clock, "carol", suspend_member)
    await alice.tap("pos")
    assert (await _item(store))[0] == ItemStatus.OPEN
    await bob.tap("pos")
    status, target, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and target == 3 and len(disputes) == 1


async def test_the_last_person_who_could_answer_skipping_it_sends_it_to_qa(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """Four joined, so three answers could be had without carol, who skips; dave is gone."""
    code = await make_project(items=1, overlap=2, max_overlap=3)
    people = [recorder.person(n) for n in ("alice", "bob", "carol", "dave")]
    alice, bob, carol, _ = people
    for person in people:
        await person.command("start", code)
    await _member_op(store, clock, "dave", remove_member)
    await alice.tap("pos")
    await bob.tap("neg")
    await recorder.deliver()
    assert (await _item(store))[0] == ItemStatus.OPEN, "carol may still answer"
    await carol.tap("Next task")
    await carol.tap("Skip")
    status, _, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and len(disputes) == 1


async def test_an_item_people_passed_on_waits_for_others_to_join(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """Three joined and carol skipped: only two could answer, fewer than the three the item
    now wants, so it waits for someone new instead of going to QA."""
    await _split_by_two_of_three(recorder, make_project)
    carol = recorder.person("carol")
    await recorder.deliver()
    await carol.tap("Next task")
    await carol.tap("Skip")
    assert (await run_due(store, clock()))["stranded"] == 0
    assert await _item(store) == (ItemStatus.OPEN, 3, [])


async def test_suspending_the_only_one_left_disputes_and_reinstating_them_reopens(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    await _split_by_two_of_three(recorder, make_project)
    carol = recorder.person("carol")
    await _member_op(store, clock, "carol", suspend_member)
    assert (await _item(store))[0] == ItemStatus.DISPUTED
    await _member_op(store, clock, "carol", reinstate_member)
    status, _, disputes = await _item(store)
    assert status == ItemStatus.OPEN and disputes == []
    await recorder.deliver()
    assert "You can work in" in text(carol)
    await carol.tap("Next task")
    assert "item number 0" in text(carol)


async def test_removing_the_only_one_left_disputes_the_item(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    await _split_by_two_of_three(recorder, make_project)
    await _member_op(store, clock, "carol", remove_member)
    assert (await _item(store))[0] == ItemStatus.DISPUTED


async def test_the_scheduler_disputes_what_no_event_could(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """While the batch is paused its items are nobody's to answer or judge; carol is
    suspended then, and once the batch is back only the scheduler's tick sees the item has
    nobody left."""
    await _split_by_two_of_three(recorder, make_project)
    await _set_batch(store, BatchStatus.PAUSED)
    await _member_op(store, clock, "carol", suspend_member)
    await _set_batch(store, BatchStatus.PUBLISHED)
    assert (await _item(store))[0] == ItemStatus.OPEN
    done = await run_due(store, clock())
    assert done["stranded"] == 1
    assert (await _item(store))[0] == ItemStatus.DISPUTED
    assert (await run_due(store, clock()))["stranded"] == 0


async def test_a_suspension_that_leaves_an_item_short_with_nobody_left_disputes_it_now(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """pos, neg, pos settles the item at the lower bar; carol's pos leaves with her
    suspension, the item wants a third answer again and nobody is left to give it: QA gets it
    at the time of the suspension."""
    code = await make_project(items=1, overlap=2, max_overlap=3, extra="confidence = 0.8")
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await alice.tap("pos")
    await bob.tap("neg")
    await recorder.deliver()
    await carol.tap("Next task")
    await carol.tap("pos")
    assert (await _item(store))[0] == ItemStatus.DONE
    clock.advance(3600)
    await _member_op(store, clock, "carol", suspend_member)
    status, target, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and target == 3
    assert [f.created_at for f in disputes] == [clock()]


async def _items(store: Store) -> dict[str, tuple[ItemStatus, int]]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        return {
            row.item.ext_id: (row.item.status, row.item.n_answers)
            async for row in tx.export_rows(project.id)
        }


async def test_the_scheduler_counts_each_item_it_disputes(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """Two items left with nobody to answer them while their batch was paused: one tick
    disputes both, and says two."""
    code = await make_project(items=2, overlap=2, max_overlap=3)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await alice.tap("pos")  # i0; alice goes on to i1, beside carol
    await bob.tap("neg")  # i0 wants a third answer now: carol's, once she is done with i1
    await carol.tap("pos")
    await alice.tap("neg")  # i1 wants a third: bob's
    assert {k: v[0] for k, v in (await _items(store)).items()} == {
        "i0": ItemStatus.OPEN,
        "i1": ItemStatus.OPEN,
    }
    await _set_batch(store, BatchStatus.PAUSED)
    await _member_op(store, clock, "carol", suspend_member)
    await _member_op(store, clock, "bob", suspend_member)
    await _set_batch(store, BatchStatus.PUBLISHED)
    assert (await run_due(store, clock()))["stranded"] == 2
    assert {k: v[0] for k, v in (await _items(store)).items()} == {
        "i0": ItemStatus.DISPUTED,
        "i1": ItemStatus.DISPUTED,
    }


async def test_the_judge_asks_whether_the_item_it_judges_is_stranded_not_another(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    """i0 is left with nobody to answer it while the batch is paused (eve passed on it, carol
    is suspended, dave removed); then alice and bob disagree on i1, which eve may still
    answer: i1 waits for her, and only the scheduler's tick disputes i0."""
    code = await make_project(items=2, overlap=2, max_overlap=3)
    names = ("alice", "bob", "carol", "dave", "eve")
    alice, bob, _, _, eve = people = [recorder.person(n) for n in names]
    for person in people:
        await person.command("start", code)
    await alice.tap("pos")
    await bob.tap("neg")  # i0 wants a third answer: eve, waiting, is told
    await recorder.deliver()
    await eve.tap("Next task")
    await eve.tap("Skip")
    await _set_batch(store, BatchStatus.PAUSED)
    await _member_op(store, clock, "carol", suspend_member)
    await _member_op(store, clock, "dave", remove_member)
    await _set_batch(store, BatchStatus.PUBLISHED)
    await alice.command("next")
    await bob.command("next")
    await alice.tap("pos")
    await bob.tap("neg")
    items = await _items(store)
    assert items["i1"] == (ItemStatus.OPEN, 2), "eve may still give i1 its third answer"
    assert items["i0"] == (ItemStatus.OPEN, 2)
    assert (await run_due(store, clock()))["stranded"] == 1
    assert (await _items(store))["i0"] == (ItemStatus.DISPUTED, 2)


async def test_an_item_whose_answers_all_left_goes_to_qa_without_a_leaning(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=2)
    alice, bob, carol = (recorder.person(n) for n in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        await person.command("start", code)
    await alice.tap("pos")
    for name in ("alice", "bob", "carol"):
        await _member_op(store, clock, name, suspend_member)
    status, target, disputes = await _item(store)
    assert status == ItemStatus.DISPUTED and target == 2
    assert [d.reason for d in disputes] == [
        "wants answer 1 (at least 2, up to 2), and everyone left who may answer it has"
    ]


async def test_resuming_a_batch_disputes_what_became_stranded_while_it_was_paused(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    await _split_by_two_of_three(recorder, make_project)
    await _set_batch(store, BatchStatus.PAUSED)
    await _member_op(store, clock, "carol", suspend_member)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        (batch,) = await tx.batches(project.id)
        await move_batch(tx, project, batch, MOVES["resume"], None, clock())
    assert (await _item(store))[0] == ItemStatus.DISPUTED
