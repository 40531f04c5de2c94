"""The Store contract for reports: the answer log read in pages, agreement with the results,
and each batch's recent pace; on every engine."""

from __future__ import annotations

import pytest

from domain.entities import Result
from storage.contract import Store
from tests.storage.test_contract import T0, answer, lease, world


async def test_the_answer_log_is_grouped_by_member_and_bounded_in_time(
    engine_store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("storage.sql.reports.LOG_PAGE", 2)
    w = await world(engine_store, ids=("a", "b", "c", "d"), n_target=3, n_members=2)
    one, two = w.members
    for n, member in enumerate((one, two, one, two, one, two)):
        a = await lease(engine_store, w, member, now=T0 + 100 * n)
        assert a is not None
        await answer(engine_store, a, now=T0 + 100 * n + 7)
    async with engine_store.transaction() as tx:
        log = [entry async for entry in tx.answer_log(w.project.id, 0.0)]
        assert [m for m, _, _ in log] == [one.id] * 3 + [two.id] * 3
        assert [at for m, at, _ in log if m == one.id] == [T0 + 7, T0 + 207, T0 + 407]
        assert all(time_ms == 7000 for _, _, time_ms in log)
        window = [at async for _, at, _ in tx.answer_log(w.project.id, T0 + 107, T0 + 407)]
        assert sorted(window) == [T0 + 107, T0 + 207, T0 + 307]
        assert [e async for e in tx.answer_log(w.project.id + 1, 0.0)] == []


async def test_agreement_counts_only_finished_items_against_their_result(
    engine_store: Store,
) -> None:
    w = await world(engine_store, ids=("x", "y"), n_target=2, n_members=2)
    one, two = w.members
    for member, values in ((one, ("pos", "pos")), (two, ("neg", "pos"))):
        for value in values:
            a = await lease(engine_store, w, member)
            assert a is not None
            await answer(engine_store, a, value)
    async with engine_store.transaction() as tx:
        for ext, status in (("x", "done"), ("y", "disputed")):
            result = Result(item_id=w.item_ids[ext], label="pos", confidence=0.9, method="mv")
            await tx.set_item_outcome(w.item_ids[ext], status, result, T0 + 10)
        counts = await tx.agreement_counts(w.project.id)
        x_answers = await tx.item_answers(w.item_ids["x"])
    by_member = {a.member_id: a.value for a in x_answers}
    assert counts[one.id].compared == 1 and counts[two.id].compared == 1
    assert counts[one.id].agreed == int(by_member[one.id] == "pos")
    assert counts[two.id].agreed == int(by_member[two.id] == "pos")


async def test_batch_pace_counts_recent_kept_answers_and_what_is_still_wanted(
    engine_store: Store,
) -> None:
    w = await world(
        engine_store, ids=("g", "x", "y", "z"), n_target=2, n_members=3, gold={"g": "pos"}
    )
    one, two, three = w.members
    early = await lease(engine_store, w, one, now=T0)
    assert early is not None and early.item_id != w.item_ids["g"]
    await answer(engine_store, early, now=T0 + 5)
    for member, at in ((two, T0 + 3600), (three, T0 + 7200)):
        a = await lease(engine_store, w, member, now=at)
        assert a is not None
        await answer(engine_store, a, now=at + 5)
    gold = await lease(engine_store, w, three, now=T0 + 7300, gold=True)
    assert gold is not None
    await answer(engine_store, gold, now=T0 + 7305)
    async with engine_store.transaction() as tx:
        pace = (await tx.batch_pace(w.project.id, T0 + 60))[w.batch_id]
        all_time = (await tx.batch_pace(w.project.id, 0.0))[w.batch_id]
        await tx.exclude_answers(w.project.id, three.id, "suspended")
        after = (await tx.batch_pace(w.project.id, T0 + 60))[w.batch_id]
    assert (pace.recent_answers, pace.first_recent) == (2, T0 + 3605)
    assert all_time.recent_answers == 3
    assert pace.needed == 3 * 2 - 3
    assert (after.recent_answers, after.needed) == (1, 3 * 2 - 2)
