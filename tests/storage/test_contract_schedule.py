"""The Store contract for the scheduler: run keys claimed once (also by two stores at once),
reminder mutes, and the day's answer counts; on every engine."""

from __future__ import annotations

import asyncio

from storage import open_store
from storage.contract import Store
from tests.storage.engines import Engine
from tests.storage.test_contract import T0, answer, lease, world


async def test_a_run_key_is_claimed_once_and_the_transaction_goes_on(
    engine_store: Store,
) -> None:
    async with engine_store.transaction() as tx:
        assert await tx.claim_run("digest", "1:2027-01-15", T0)
        assert not await tx.claim_run("digest", "1:2027-01-15", T0 + 1)
        assert await tx.claim_run("remind", "1:2027-01-15", T0)  # another job, same key
        assert await tx.claim_run("digest", "1:2027-01-16", T0)
    async with engine_store.transaction() as tx:
        assert not await tx.claim_run("digest", "1:2027-01-16", T0 + 2)
        assert await tx.projects() == []  # the transaction is still usable after a refusal


async def test_a_claim_rolled_back_with_its_transaction_can_be_claimed_again(
    engine_store: Store,
) -> None:
    class Boom(Exception):
        pass

    try:
        async with engine_store.transaction() as tx:
            assert await tx.claim_run("deadline", "7:1800000000:soon", T0)
            raise Boom
    except Boom:
        pass
    async with engine_store.transaction() as tx:
        assert await tx.claim_run("deadline", "7:1800000000:soon", T0)


async def test_two_stores_claiming_at_once_get_it_once(engine: Engine) -> None:
    async with open_store(engine.url) as first, open_store(engine.url) as second:

        async def claim(store: Store) -> bool:
            async with store.transaction() as tx:
                got = await tx.claim_run("digest", "9:2027-01-15", T0)
                await asyncio.sleep(0.05)  # hold the transaction open while the other tries
                return got

        results = await asyncio.gather(claim(first), claim(second))
    assert sorted(results) == [False, True]


async def test_mutes_are_per_project_and_member(engine_store: Store) -> None:
    w = await world(engine_store)
    a, b = w.members[0].id, w.members[1].id
    async with engine_store.transaction() as tx:
        assert await tx.muted_members(w.project.id) == set()
        assert await tx.set_muted(w.project.id, a, True, T0)
        assert not await tx.set_muted(w.project.id, a, True, T0 + 1)
        assert await tx.set_muted(w.project.id, b, True, T0)
    async with engine_store.transaction() as tx:
        assert await tx.muted_members(w.project.id) == {a, b}
        assert await tx.set_muted(w.project.id, b, False, T0)
        assert not await tx.set_muted(w.project.id, b, False, T0)
        assert await tx.muted_members(w.project.id) == {a}


async def test_answer_counts_since_a_moment(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "y", "z"), n_target=3)
    first, second, _ = w.members
    for n, member in enumerate((first, first, second)):
        assignment = await lease(engine_store, w, member, now=T0 + n)
        assert assignment is not None
        await answer(engine_store, assignment, now=T0 + 100 * (n + 1))
    async with engine_store.transaction() as tx:
        assert await tx.answer_counts(w.project.id, 0.0) == {first.id: 2, second.id: 1}
        assert await tx.answer_counts(w.project.id, T0 + 150) == {first.id: 1, second.id: 1}
        assert await tx.answer_counts(w.project.id, T0 + 1000) == {}
