"""Waiting annotators (`set_waiting`, `wake_waiting`) on both engines, and on PostgreSQL the two
orders in which a pick that found nothing and a transaction that frees work can interleave."""

from __future__ import annotations

import asyncio

from domain.enums import BatchStatus, Role
from storage.contract import PROMISE_S, Store
from tests.storage.conftest import held_item
from tests.storage.engines import Engine
from tests.storage.test_contract import LEASE_S, T0, answer, lease, world


async def test_a_waiting_annotator_is_woken_once_when_an_item_frees(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1, n_members=2)
    pid, (m0, m1) = w.project.id, w.members
    held = await lease(engine_store, w, m0)
    assert held is not None
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m1.id, T0) is False
        assert await tx.wake_waiting(pid, T0) == []
    async with engine_store.transaction() as tx:
        await tx.release(held, "skipped")
        assert await tx.wake_waiting(pid, T0) == [m1.id]
    async with engine_store.transaction() as tx:
        assert await tx.wake_waiting(pid, T0) == []


async def test_only_those_who_could_take_the_work_are_woken(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "y"), n_target=1, n_members=4)
    pid, (m0, m1, m2, m3) = w.project.id, w.members
    done = await lease(engine_store, w, m0)
    assert done is not None
    await answer(engine_store, done)
    holding = await lease(engine_store, w, m1)
    assert holding is not None
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m0.id, T0) is False
        assert await tx.set_waiting(pid, m1.id, T0) is False
        assert await tx.set_waiting(pid, m2.id, T0) is False
        await tx.set_role_status(pid, m2.id, Role.ANNOTATOR, "suspended")
        await tx.set_item_target(done.item_id, 2)
        woken = await tx.wake_waiting(pid, T0)
    assert woken == [], "m0 had the item, m1 holds a lease, m2 is suspended, m3 never waited"
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m3.id, T0) is True
        assert await tx.wake_waiting(pid, T0) == [m3.id]


async def test_a_wake_committed_after_a_pick_is_seen_by_the_wait(
    engine: Engine, engine_store: Store, second_store: Store
) -> None:
    w, held = await held_item(engine, engine_store, members=2)
    pid, m1 = w.project.id, w.members[1]
    async with engine_store.transaction() as waiter:
        assert await waiter.assign(pid, m1.id, False, T0, 600.0) is None
        async with second_store.transaction() as freer:
            await freer.release(held, "skipped")
            assert await freer.wake_waiting(pid, T0) == []
        assert await waiter.set_waiting(pid, m1.id, T0) is True
        assert await waiter.assign(pid, m1.id, False, T0, 600.0) is not None


async def test_a_wake_waits_for_a_wait_that_is_not_committed_yet(
    engine: Engine, engine_store: Store, second_store: Store
) -> None:
    w, held = await held_item(engine, engine_store, members=2)
    pid, m1 = w.project.id, w.members[1]
    waiting, commit = asyncio.Event(), asyncio.Event()

    async def waiter_side() -> None:
        async with engine_store.transaction() as tx:
            assert await tx.assign(pid, m1.id, False, T0, 600.0) is None
            assert await tx.set_waiting(pid, m1.id, T0) is False
            waiting.set()
            await commit.wait()

    async def freer_side() -> tuple[bool, list[int]]:
        await waiting.wait()
        async with second_store.transaction() as tx:
            await tx.release(held, "skipped")
            wake = asyncio.create_task(tx.wake_waiting(pid, T0))
            await asyncio.sleep(0.3)
            blocked = not wake.done()
            commit.set()
            return blocked, await wake

    _, (blocked, woken) = await asyncio.gather(waiter_side(), freer_side())
    assert blocked, "the wake ran before the wait it could miss was committed"
    assert woken == [m1.id]


async def test_no_more_are_woken_than_there_are_free_slots(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "y"), n_target=1, n_members=5)
    pid, (m0, m1, m2, m3, m4) = w.project.id, w.members
    x, y = await lease(engine_store, w, m0), await lease(engine_store, w, m1)
    assert x is not None and y is not None
    async with engine_store.transaction() as tx:
        for n, member in enumerate((m4, m2, m3)):
            assert await tx.set_waiting(pid, member.id, T0 + n) is False
    async with engine_store.transaction() as tx:
        await tx.release(x, "skipped")
        assert await tx.wake_waiting(pid, T0) == [m4.id], "one slot: the longest waiting"
    assert await lease(engine_store, w, m4) is not None  # m4 takes the freed slot
    async with engine_store.transaction() as tx:
        await tx.release(y, "skipped")
        assert await tx.wake_waiting(pid, T0) == [m2.id], "one slot again: m2 waited longer than m3"


async def test_stepping_away_ends_the_lease_and_the_wait(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1, n_members=2)
    pid, (m0, m1) = w.project.id, w.members
    assert await lease(engine_store, w, m0) is not None
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m1.id, T0) is False
        assert await tx.step_away(pid, m1.id) is False, "m1 held no lease"
        assert await tx.step_away(pid, m0.id) is True
        assert await tx.open_assignment(pid, m0.id) is None
        assert await tx.wake_waiting(pid, T0) == [], "m1 stepped away too: nobody waits"
    again = await lease(engine_store, w, m0)
    assert again is not None and again.item_id == w.item_ids["x"], "the item may come back"


async def test_a_transaction_notes_the_projects_it_freed_work_in(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "y"), n_target=1, n_members=2, status=BatchStatus.DRAFT)
    pid = w.project.id
    async with engine_store.transaction() as tx:
        assert tx.freed == set()
        await tx.set_batch_status(w.batch_id, BatchStatus.PUBLISHED)
        assert tx.freed == {pid}
    held = await lease(engine_store, w, w.members[0])
    assert held is not None
    async with engine_store.transaction() as tx:
        await tx.set_item_outcome(w.item_ids["y"], "done", None, T0)
        await tx.set_item_target(w.item_ids["y"], 2)
        assert tx.freed == set(), "finishing an item or counting answers frees nothing"
        await tx.release(held, "skipped")
        assert tx.freed == {pid}
    async with engine_store.transaction() as tx:
        await tx.set_item_outcome(w.item_ids["y"], "open", None, T0)
        assert tx.freed == {pid}, "an item reopened for answers"
    again = await lease(engine_store, w, w.members[1])
    assert again is not None
    async with engine_store.transaction() as tx:
        assert await tx.reclaim_expired(pid, T0 + 10 * LEASE_S) == 1
        assert tx.freed == {pid}


async def test_a_freed_slot_wakes_someone_who_can_take_that_item(engine_store: Store) -> None:
    """`w`'s one slot is promised to m1, woken earlier, who has not come yet. When `x` frees
    a slot, the two who waited longest have answered `x` (they could take only `w`): the one
    woken is m2, who can take `x`. Counting all free slots and waking the longest waiting would
    have told m3 and m4 and left m2 waiting."""
    w = await world(engine_store, ids=("x", "w"), n_target=1, n_members=5)
    pid, (m0, m1, m2, m3, m4) = w.project.id, w.members
    x = w.item_ids["x"]
    first = await lease(engine_store, w, m3)
    assert first is not None and first.item_id == x
    await answer(engine_store, first)
    async with engine_store.transaction() as tx:
        await tx.set_item_target(x, 3)
    second = await lease(engine_store, w, m4)
    assert second is not None and second.item_id == x
    await answer(engine_store, second)
    held = await lease(engine_store, w, m0)
    assert held is not None and held.item_id == x, "x is full now"
    async with engine_store.transaction() as tx:
        await tx.set_waiting(pid, m1.id, T0)
        assert await tx.wake_waiting(pid, T0) == [m1.id], "m1 is promised w's slot"
    async with engine_store.transaction() as tx:
        for n, member in enumerate((m3, m4, m2), start=1):
            await tx.set_waiting(pid, member.id, T0 + n)
    async with engine_store.transaction() as tx:
        assert await tx.wake_waiting(pid, T0 + 5) == [], "no slot is free beyond the promise"
        await tx.release(held, "skipped")
        assert await tx.wake_waiting(pid, T0 + 5) == [m2.id]
    async with engine_store.transaction() as tx:
        assert await tx.wake_waiting(pid, T0 + 60) == [], "both slots are promised"
        later = T0 + PROMISE_S + 1
        assert await tx.wake_waiting(pid, later) == [m3.id], "m1 never came: w goes to m3"


async def test_a_promise_ends_when_the_person_comes_for_work(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1, n_members=3)
    pid, (m0, m1, m2) = w.project.id, w.members
    async with engine_store.transaction() as tx:
        await tx.set_waiting(pid, m1.id, T0)
        await tx.set_waiting(pid, m2.id, T0 + 1)
        assert await tx.wake_waiting(pid, T0 + 2) == [m1.id], "one slot, one promise"
    taken = await lease(engine_store, w, m0, now=T0 + 3)
    assert taken is not None, "a promise is not a lease: whoever asks first takes the slot"
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m1.id, T0 + 4) is False, "m1 came and found nothing"
        await tx.release(taken, "skipped")
        assert await tx.wake_waiting(pid, T0 + 5) == [m2.id], "m1's promise ended when m1 came"


async def test_leaving_out_answers_frees_their_slots(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=1, n_members=2)
    pid, (m0, m1) = w.project.id, w.members
    done = await lease(engine_store, w, m0)
    assert done is not None
    await answer(engine_store, done)
    async with engine_store.transaction() as tx:
        assert await tx.set_waiting(pid, m1.id, T0) is False
    async with engine_store.transaction() as tx:
        assert await tx.exclude_answers(pid, m0.id, "suspended") == [done.item_id]
        assert tx.freed == {pid}
        assert await tx.wake_waiting(pid, T0 + 1) == [m1.id]
