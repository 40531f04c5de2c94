"""What the batch list and the report count, on both engines: a batch's gold questions apart
from its items, and the answers agreement is measured on."""

from __future__ import annotations

from storage.contract import Store
from tests.storage.test_contract import T0, answer, lease, world


async def test_batch_progress_counts_gold_questions_apart(engine_store: Store) -> None:
    w = await world(
        engine_store, ids=("a", "b", "g1", "g2"), n_target=2, gold={"g1": "pos", "g2": "neg"}
    )
    gold_lease = await lease(engine_store, w, w.members[0], gold=True)
    assert gold_lease is not None
    await answer(engine_store, gold_lease, "pos")
    async with engine_store.transaction() as tx:
        [row] = await tx.batch_progress(w.project.id)
    assert (row.items, row.gold, row.done, row.answers) == (2, 2, 0, 0)


async def test_counted_answers_leave_gold_and_excluded_answers_out(engine_store: Store) -> None:
    w = await world(engine_store, ids=("a", "g"), n_target=3, gold={"g": "pos"})
    for n, member in enumerate(w.members):
        for gold in (False, True):
            held = await lease(engine_store, w, member, T0 + n, gold=gold)
            assert held is not None
            await answer(engine_store, held, ("pos", "neg", "pos")[n], T0 + n + 1)
    async with engine_store.transaction() as tx:
        await tx.exclude_answers(w.project.id, w.members[1].id, "suspended")
        counted = await tx.counted_answers(w.project.id)
    item = w.item_ids["a"]
    assert counted == [
        (w.batch_id, item, w.members[0].id, "pos"),
        (w.batch_id, item, w.members[2].id, "pos"),
    ]
