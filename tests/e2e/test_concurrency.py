"""Many annotators racing on one SQLite file: every item ends at exactly its overlap.

The project has min_overlap = max_overlap = 3, so random labels leave some items disputed,
but none with more or fewer than three answers."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Toast
from bot.core import Core
from storage.contract import Store
from tests.conftest import BOTH_ENGINES

ANNOTATORS = 200
ITEMS = 1000
OVERLAP = 3


def first_button(person: Person) -> str | None:
    screen = person.screen
    return screen.buttons()[0].label if screen is not None and screen.buttons() else None


async def label_until_done(person: Person, rng: random.Random, saved: Counter[str]) -> None:
    if first_button(person) == "Next task":  # woken: work came back
        await person.tap("Next task")
    while first_button(person) == "pos":
        actions = await person.tap(rng.choice(["pos", "neg", "neu"]))
        for action in actions:
            if isinstance(action, Toast):
                saved[action.text] += 1
        await asyncio.sleep(0)


async def label_in_rounds(
    recorder: Recorder, crew: list[tuple[Person, random.Random]], saved: Counter[str]
) -> None:
    """Everyone labels until told there is nothing for them; then the messages saying work came
    back (an item that asks for one more answer, a lease another worker let go) are delivered,
    as the outbox pump would, and those told go on (someone who stopped in an earlier round
    too: a wake may come to anyone waiting)."""
    everyone, busy = crew, crew
    while busy:
        await asyncio.gather(*(label_until_done(p, rng, saved) for p, rng in busy))
        await recorder.deliver()
        busy = [(p, rng) for p, rng in everyone if first_button(p) == "Next task"]


@pytest.mark.parametrize("routing", ["arrival", "skill"])
async def test_200_annotators_race_through_1000_items(
    store: Store, make_project: Callable[..., Any], routing: str
) -> None:
    code = await make_project(items=ITEMS, overlap=OVERLAP, extra=f'routing = "{routing}"')
    recorder = Recorder(Core(store, rng=random.Random(11)))
    people = [recorder.person(f"u{i}") for i in range(ANNOTATORS)]
    await asyncio.gather(*(p.command("start", code) for p in people))
    saved: Counter[str] = Counter()
    await label_in_rounds(recorder, [(p, random.Random(i)) for i, p in enumerate(people)], saved)

    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        rows = [row async for row in tx.export_rows(project.id)]
    assert len(rows) == ITEMS
    total = 0
    for row in rows:
        annotators = [a.annotator for a in row.answers]
        assert len(annotators) == OVERLAP, row.item.ext_id
        assert len(set(annotators)) == OVERLAP, row.item.ext_id
        assert row.item.status in ("done", "disputed")
        assert row.result is not None
        total += len(annotators)
    assert total == ITEMS * OVERLAP
    assert saved["Saved ✓"] == total
    assert saved["Already saved ✓"] == 0


@BOTH_ENGINES
@pytest.mark.parametrize("routing", ["arrival", "skill"])
async def test_dynamic_overlap_holds_under_a_race(
    store: Store, make_project: Callable[..., Any], routing: str
) -> None:
    """Items ask for 2 answers, then one more at a time up to 4 while they disagree: with 60
    people racing, none gets more than 4 or an answer twice from one person, and every item
    ends done or disputed; in arrival order and routed by skill."""
    code = await make_project(items=120, overlap=2, max_overlap=4, extra=f'routing = "{routing}"')
    recorder = Recorder(Core(store, rng=random.Random(12)))
    people = [recorder.person(f"d{i}") for i in range(60)]
    await asyncio.gather(*(p.command("start", code) for p in people))
    saved: Counter[str] = Counter()
    crew = [(p, random.Random(100 + i)) for i, p in enumerate(people)]
    await label_in_rounds(recorder, crew, saved)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        rows = [row async for row in tx.export_rows(project.id)]
    assert len(rows) == 120
    sizes = Counter()
    for row in rows:
        annotators = [a.annotator for a in row.answers]
        assert 2 <= len(annotators) <= 4, (row.item.ext_id, annotators)
        assert len(set(annotators)) == len(annotators), row.item.ext_id
        assert row.item.status in ("done", "disputed"), (row.item.ext_id, row.item.status)
        sizes[len(annotators)] += 1
    assert sizes[3] + sizes[4] > 0, "random labels disagree: some items asked for more"
    assert saved["Saved ✓"] == sum(len(r.answers) for r in rows)
    assert saved["Already saved ✓"] == 0
