"""The Store contract for the outbox with several senders: each message is claimed by one of
them, a claim lapses after its hold (its sender died), and sent messages never come back."""

from __future__ import annotations

import asyncio

from storage import open_store
from storage.contract import Store
from tests.storage.engines import Engine
from tests.storage.test_contract import T0, world


async def queue(store: Store, n: int) -> list[int]:
    w = await world(store)
    member = w.members[0]
    async with store.transaction() as tx:
        return [
            await tx.enqueue(member.id, "telegram", "42", {"text": f"m{i}"}, T0) for i in range(n)
        ]


async def test_two_senders_at_once_claim_different_messages(engine: Engine) -> None:
    async with open_store(engine.url) as first, open_store(engine.url) as second:
        ids = await queue(first, 6)

        async def claim(store: Store) -> list[int]:
            async with store.transaction() as tx:
                got = await tx.claim_outbox("telegram", 4, T0 + 1, 60)
                await asyncio.sleep(0.05)  # hold the claim open while the other one tries
                return [m.id for m in got]

        a, b = await asyncio.gather(claim(first), claim(second))
    assert not set(a) & set(b)
    assert sorted(a + b) == ids
    assert a == sorted(a) and b == sorted(b)


async def test_a_lapsed_claim_is_offered_again_and_a_sent_message_never(
    engine_store: Store,
) -> None:
    ids = await queue(engine_store, 3)
    async with engine_store.transaction() as tx:
        claimed = await tx.claim_outbox("telegram", 10, T0 + 1, 60)
        assert [m.id for m in claimed] == ids and claimed[0].screen == {"text": "m0"}
        assert await tx.claim_outbox("telegram", 10, T0 + 2, 60) == []
        assert await tx.claim_outbox("slack", 10, T0 + 2, 60) == []
        await tx.mark_sent(ids[:2], T0 + 3)
    async with engine_store.transaction() as tx:
        assert await tx.claim_outbox("telegram", 10, T0 + 30, 60) == []
        again = await tx.claim_outbox("telegram", 10, T0 + 62, 60)
    assert [m.id for m in again] == ids[2:]
