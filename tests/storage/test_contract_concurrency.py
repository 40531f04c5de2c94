"""The Store contract under concurrent transactions, as several workers on one database run them.

SQLite runs the transactions one after another; PostgreSQL runs them at once on several
connections, so these tests are where its row locks, constraints and one-statement decisions
are checked. Each test opens a second store on the same database, as a second worker process.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from domain.entities import Assignment, Batch, Guideline, Identity
from domain.enums import BatchStatus, Role
from storage import open_store
from storage.contract import Conflict, NotFound, Retryable, Store, Tx
from tests.storage.conftest import held_item
from tests.storage.engines import Engine
from tests.storage.test_contract import LEASE_S, T0, answer, items, lease, spec, world

T = TypeVar("T")


async def at_once(
    stores: list[Store], n: int, body: Callable[[Tx, int], Awaitable[T]]
) -> list[T | BaseException]:
    """Run `n` transactions concurrently, spread over the stores; each result or exception."""

    async def one(i: int) -> T:
        async with stores[i % len(stores)].transaction() as tx:
            return await body(tx, i)

    return await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)


async def test_stores_opened_at_once_migrate_once(engine: Engine) -> None:
    stores = [open_store(engine.url) for _ in range(4)]
    try:
        opened = await asyncio.gather(*(s.open() for s in stores), return_exceptions=True)
        assert opened == [None] * 4
        versions = {await s.schema_version() for s in stores}
    finally:
        for s in stores:
            await s.close()
    assert versions == {max(engine.migration_numbers())}


@pytest.mark.parametrize("n_target", [1, 2])
async def test_concurrent_leases_never_exceed_an_items_target(
    engine_store: Store, second_store: Store, n_target: int
) -> None:
    w = await world(engine_store, ids=("a", "b", "c", "d"), n_target=n_target, n_members=12)
    results = await at_once(
        [engine_store, second_store],
        12,
        lambda tx, i: tx.assign(w.project.id, w.members[i].id, False, T0, LEASE_S),
    )
    leases = [r for r in results if isinstance(r, Assignment)]
    assert len(leases) == 4 * n_target, results
    assert all(r is None or isinstance(r, Assignment) for r in results), results
    assert Counter(a.item_id for a in leases) == {i: n_target for i in w.item_ids.values()}


async def test_one_member_leasing_at_once_gets_one_lease(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, n_target=3, n_members=1)
    results = await at_once(
        [engine_store, second_store],
        3,
        lambda tx, i: tx.assign(w.project.id, w.members[0].id, False, T0, LEASE_S),
    )
    assert sum(isinstance(r, Assignment) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 2, results


async def test_answers_to_one_assignment_at_once_store_one(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, ids=("x",), n_target=3)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    results = await at_once(
        [engine_store, second_store], 4, lambda tx, i: tx.record_answer(a, "pos", T0 + i, None)
    )
    assert sum(isinstance(r, Conflict) for r in results) == 3, results
    async with engine_store.transaction() as tx:
        assert (await tx.item(a.item_id)).n_answers == 1
        assert len(await tx.item_answers(a.item_id)) == 1


async def test_an_invite_with_one_use_admits_one_of_many_at_once(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, n_members=0)
    async with engine_store.transaction() as tx:
        invite = await tx.create_invite(w.project.id, Role.ANNOTATOR, 1, None, T0)
    results = await at_once(
        [engine_store, second_store], 5, lambda tx, i: tx.use_invite(invite.code, T0)
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert sum(isinstance(r, NotFound) for r in results) == 4, results


async def test_a_link_code_is_spent_once_when_used_at_once(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, n_members=1)
    async with engine_store.transaction() as tx:
        code = await tx.create_link_code(w.members[0].id, T0 + 60, T0)
    results = await at_once(
        [engine_store, second_store], 4, lambda tx, i: tx.use_link_code(code, T0)
    )
    assert results.count(w.members[0].id) == 1, results
    assert sum(isinstance(r, NotFound) for r in results) == 3, results


async def test_reclaims_at_once_free_each_lease_once(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, ids=("x",), n_target=2, n_members=4)
    for member in w.members[:2]:
        assert await lease(engine_store, w, member) is not None
    later = T0 + LEASE_S + 1
    results = await at_once(
        [engine_store, second_store], 4, lambda tx, i: tx.reclaim_expired(w.project.id, later)
    )
    assert sorted(r for r in results if isinstance(r, int)) == [0, 0, 0, 2], results
    got = [await lease(engine_store, w, m, later + 1) for m in w.members[1:]]
    assert sum(a is not None for a in got) == 2, got


async def test_pausing_a_batch_frees_every_lease_of_an_item(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",), n_target=2, n_members=4)
    for member in w.members[:2]:
        assert await lease(engine_store, w, member) is not None
    async with engine_store.transaction() as tx:
        await tx.set_batch_status(w.batch_id, BatchStatus.PAUSED)
        await tx.set_batch_status(w.batch_id, BatchStatus.PAUSED)
        await tx.set_batch_status(w.batch_id, BatchStatus.PUBLISHED)
    got = [await lease(engine_store, w, m) for m in (w.members[2], w.members[3], w.members[0])]
    assert [a is not None for a in got] == [True, True, False]


async def test_excluding_a_members_answers_twice_at_once_counts_them_once(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store, ids=("x",), n_target=2, n_members=2)
    a = await lease(engine_store, w, w.members[0])
    assert a is not None
    await answer(engine_store, a)
    results = await at_once(
        [engine_store, second_store],
        3,
        lambda tx, i: tx.exclude_answers(w.project.id, w.members[0].id, "suspended"),
    )
    assert sorted(results, key=str) == sorted([[], [], [a.item_id]], key=str), results
    async with engine_store.transaction() as tx:
        item = await tx.item(a.item_id)
    assert item.n_answers == 0
    assert await lease(engine_store, w, w.members[1]) is not None


async def test_a_refused_guarded_write_leaves_the_transaction_usable(engine_store: Store) -> None:
    w = await world(engine_store, n_target=2, n_members=1)
    m = w.members[0]
    async with engine_store.transaction() as tx:
        a = await tx.assign(w.project.id, m.id, False, T0, LEASE_S)
        assert a is not None
        with pytest.raises(Conflict):
            await tx.assign(w.project.id, m.id, False, T0, LEASE_S)
        await tx.record_answer(a, "pos", T0 + 1, None)
        with pytest.raises(Conflict):
            await tx.record_answer(a, "neg", T0 + 2, None)
        flag = await tx.add_flag(w.project.id, a.item_id, m.id, "unclear", "", T0)
    async with engine_store.transaction() as tx:
        stored = await tx.answer_of(a.id)
        assert stored is not None and stored.value == "pos"
        assert await tx.flag(flag) is not None
        assert (await tx.item(a.item_id)).n_answers == 1


async def test_one_person_joining_twice_at_once_becomes_one_member(
    engine_store: Store, second_store: Store
) -> None:
    person = Identity(platform="telegram", user_id="42", member_id=0, name="Ann")
    results = await at_once(
        [engine_store, second_store], 4, lambda tx, i: tx.create_member(person, T0)
    )
    assert sum(isinstance(r, Conflict) for r in results) == 3, results
    async with engine_store.transaction() as tx:
        member = await tx.member_by_identity("telegram", "42")
        assert member is not None and member in results


async def test_one_project_created_twice_at_once_is_created_once(
    engine_store: Store, second_store: Store
) -> None:
    results = await at_once(
        [engine_store, second_store], 3, lambda tx, i: tx.create_project(spec(), T0 + i)
    )
    assert sum(isinstance(r, Conflict) for r in results) == 2, results
    async with engine_store.transaction() as tx:
        assert [p.name for p in await tx.projects()] == ["p"]


async def test_a_lease_reclaimed_while_a_tap_waits_for_its_item_is_read_as_gone(
    engine: Engine, engine_store: Store, second_store: Store
) -> None:
    w, held = await held_item(engine, engine_store, members=1)
    reclaimed = asyncio.Event()

    async def reclaim() -> None:
        async with engine_store.transaction() as tx:
            assert await tx.reclaim_expired(w.project.id, T0 + 10 * LEASE_S) == 1
            reclaimed.set()
            await asyncio.sleep(0.3)

    async def tap() -> object:
        await reclaimed.wait()
        async with second_store.transaction() as tx:
            return await tx.lease_view(held.id)

    _, view = await asyncio.gather(reclaim(), tap())
    assert view is None, "the tap would record an answer on a lease that no longer exists"


async def test_guidelines_added_at_once_get_distinct_versions_or_ask_for_a_rerun(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store)
    results = await at_once(
        [engine_store, second_store],
        6,
        lambda tx, i: tx.add_guideline(w.project.id, f"version text {i}", T0),
    )
    added = [r for r in results if isinstance(r, Guideline)]
    assert added and all(isinstance(r, Guideline | Retryable) for r in results), results
    assert sorted(g.version for g in added) == list(range(1, len(added) + 1))


async def test_batches_of_one_name_created_at_once_give_one_batch_and_conflicts(
    engine_store: Store, second_store: Store
) -> None:
    w = await world(engine_store)
    results = await at_once(
        [engine_store, second_store],
        4,
        lambda tx, i: tx.create_batch(
            w.project.id, "same", items(f"n{i}"), BatchStatus.PUBLISHED, 1, T0
        ),
    )
    assert sum(isinstance(r, Batch) for r in results) == 1, results
    assert all(isinstance(r, Batch | Conflict) for r in results), results
