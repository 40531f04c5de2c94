"""The work contract at its edges, on both engines: lookups of what is not there, the first
flag, what a saved gold answer reports, and what an undo frees."""

from __future__ import annotations

from domain.enums import FlagKind
from storage.contract import Store
from tests.storage.test_contract import LEASE_S, T0, lease, world


async def test_an_unknown_answer_or_flag_is_none(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",))
    async with engine_store.transaction() as tx:
        assert await tx.answer_of(999) is None
        assert await tx.flag(999) is None
        assert await tx.next_flag(w.project.id) is None
        assert await tx.open_flags(w.project.id) == 0
        assert await tx.item_reporters(w.item_ids["x"]) == 0


async def test_the_first_flag_is_found_without_naming_where_to_start(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x",))
    m = w.members[0]
    async with engine_store.transaction() as tx:
        first = await tx.add_flag(w.project.id, w.item_ids["x"], m.id, FlagKind.UNCLEAR, "", T0)
        second = await tx.add_flag(w.project.id, None, m.id, FlagKind.TOO_FAST, "quick", T0)
    async with engine_store.transaction() as tx:
        found = await tx.next_flag(w.project.id)
        assert found is not None and found.id == first
        after = await tx.next_flag(w.project.id, first)
        assert after is not None and after.id == second
        assert await tx.open_flags(w.project.id) == 2
        assert await tx.item_reporters(w.item_ids["x"]) == 1


async def test_a_gold_answer_says_whether_it_was_right(engine_store: Store) -> None:
    w = await world(engine_store, ids=("x", "g"), gold={"g": "pos"})
    a = await lease(engine_store, w, w.members[0], gold=True)
    assert a is not None
    async with engine_store.transaction() as tx:
        saved = await tx.record_answer(a, "neg", T0 + 3, False)
    assert saved.correct is False
    async with engine_store.transaction() as tx:
        assert await tx.answer_of(a.id) == saved
        counts = await tx.gold_counts(w.project.id, [w.members[0].id])
    assert (counts[w.members[0].id].correct, counts[w.members[0].id].total) == (0, 1)


async def test_an_undo_that_drops_the_next_card_frees_its_slot(engine_store: Store) -> None:
    """The lease on the card shown after the answer goes, so the project is marked freed (the
    core then wakes whoever waits for that item); the answered task is leased anew."""
    w = await world(engine_store, ids=("x", "y"))
    m = w.members[0]
    first = await lease(engine_store, w, m)
    assert first is not None
    async with engine_store.transaction() as tx:
        saved = await tx.record_answer(first, "pos", T0 + 5, None)
    assert await lease(engine_store, w, m, now=T0 + 5) is not None
    async with engine_store.transaction() as tx:
        back = await tx.withdraw_answer(saved.id, T0 + 10, LEASE_S)
        assert tx.freed == {w.project.id}  # type: ignore[attr-defined]
    assert back.id == first.id and back.expires_at == T0 + 10 + LEASE_S
