"""Undo of a mis-tap, through events and actions on both engines: the answer is withdrawn with
its counts, the task comes back, and undo is refused where it would rewrite what is settled."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.labeling.undo import ALREADY, FEEDBACK, NOTHING, SETTLED, STALE
from storage import open_store
from storage.contract import Store
from tests.conftest import Clock
from tests.storage.engines import ENGINES, Engine

MakeProject = Callable[..., Any]


@pytest.fixture(params=sorted(ENGINES))
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async with ENGINES[request.param](tmp_path) as chosen:
        yield chosen


@pytest.fixture
async def store(engine: Engine) -> AsyncIterator[Store]:
    async with open_store(engine.url) as s:
        yield s


async def snapshot(engine: Engine, store: Store) -> dict[str, Any]:
    """Everything an answer counts in: items, leases, answers, hours, the person's stats."""
    async with store.transaction() as tx:
        items = await engine.raw(
            tx, "SELECT ext_id, status, n_answers, n_target, n_load FROM items ORDER BY id"
        )
        leases = await engine.raw(
            tx, "SELECT item_id, member_id, status FROM assignments ORDER BY item_id, member_id"
        )
        answers = await engine.raw(tx, "SELECT item_id, member_id, value FROM answers ORDER BY id")
        hours = await engine.raw(tx, "SELECT COALESCE(SUM(answers), 0) FROM answer_hours")
        batches = await engine.raw(
            tx,
            "SELECT b.n_items, COALESCE(SUM(ba.answers), 0) FROM batches b"
            " LEFT JOIN batch_answers ba ON ba.batch_id = b.id GROUP BY b.id, b.n_items",
        )
        project = await tx.project_by_name("t")
        assert project is not None
        stats = await tx.project_stats(project.id)
        members = await tx.all_member_stats(project.id)
    return {
        "items": items,
        "leases": leases,
        "answers": answers,
        "hours": int(hours[0][0]),
        "batches": [(int(n), int(a)) for n, a in batches],
        "stats": stats,
        "members": members,
    }


def toasts(actions: list[Any]) -> list[str]:
    return [a.text for a in actions if type(a).__name__ == "Toast"]


def item_text(person: Person) -> str:
    assert person.screen is not None
    return next(p for p in plain(person.screen.text).split("\n\n") if "item number" in p)


def button(person: Person, label: str) -> str:
    assert person.screen is not None
    return next(b.token for b in person.screen.buttons() if b.label == label)


async def test_undo_withdraws_the_answer_and_brings_the_task_back(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine
) -> None:
    code = await make_project(items=4)
    alice = recorder.person("alice")
    await alice.command("start", code)
    first = item_text(alice)
    before = await snapshot(engine, store)
    assert "Undo" not in [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    await alice.tap("neg")
    assert item_text(alice) != first
    assert "Undo" in [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    assert (await snapshot(engine, store))["stats"].answers == 1
    undo = button(alice, "Undo")
    message = alice.chat.last_with_buttons()
    assert message is not None
    actions = await alice.tap_token(undo, message.id)
    assert toasts(actions) == ["Undone: answer this one again."]
    assert item_text(alice) == first
    assert "Undo" not in [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    assert await snapshot(engine, store) == before
    # A second tap on the same Undo button takes back nothing more.
    again = await alice.tap_token(undo, message.id)
    assert toasts(again) == [ALREADY]
    assert item_text(alice) == first
    assert await snapshot(engine, store) == before
    await alice.tap("pos")
    after = await snapshot(engine, store)
    assert [row[2] for row in after["answers"]] == ["pos"]


async def test_undo_command_takes_back_one_answer_only(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine, clock: Clock
) -> None:
    code = await make_project(items=4)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    second = item_text(alice)
    one_answer = await snapshot(engine, store)
    clock.advance(3)
    await alice.tap("neg")
    await alice.command("undo")
    assert item_text(alice) == second
    assert await snapshot(engine, store) == one_answer
    await alice.command("undo")  # redelivered, or tapped twice: the first answer stays
    assert plain(alice.chat.last().text) == NOTHING  # type: ignore[union-attr]
    assert await snapshot(engine, store) == one_answer


async def test_undo_is_refused_once_the_answer_settled_the_item(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine
) -> None:
    code = await make_project(items=3, overlap=1)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    settled = await snapshot(engine, store)
    assert settled["items"][0][1] in ("done", "disputed")
    assert "Undo" not in [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    await alice.command("undo")
    assert plain(alice.chat.last().text) == SETTLED  # type: ignore[union-attr]
    assert await snapshot(engine, store) == settled


async def test_undo_of_an_answer_that_asked_for_more_restores_the_target(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine
) -> None:
    code = await make_project(items=3, overlap=1, max_overlap=3)
    alice = recorder.person("alice")
    await alice.command("start", code)
    before = await snapshot(engine, store)
    await alice.tap("pos")
    asked = await snapshot(engine, store)
    assert asked["items"][0][1] == "open" and asked["items"][0][3] == 2
    await alice.tap("Undo")
    assert await snapshot(engine, store) == before


async def test_undo_is_refused_after_the_time_limit(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine, clock: Clock
) -> None:
    code = await make_project(items=3, extra="undo_seconds = 10")
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    answered = await snapshot(engine, store)
    clock.advance(11)
    actions = await alice.tap("Undo")
    assert toasts(actions) == [
        "Too late to undo: an answer can be taken back for 10 seconds after it."
    ]
    assert await snapshot(engine, store) == answered


async def test_undo_is_refused_on_a_gold_question_once_its_feedback_was_shown(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine
) -> None:
    code = await make_project(items=6, gold_rate=1.0, gold_every=2)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("neg")  # gold says pos: the feedback shows the right answer
    assert "Not quite" in plain(alice.screen.text)  # type: ignore[union-attr]
    answered = await snapshot(engine, store)
    await alice.command("undo")
    assert plain(alice.chat.last().text) == FEEDBACK  # type: ignore[union-attr]
    assert await snapshot(engine, store) == answered


async def test_a_right_answer_to_a_hidden_gold_question_can_be_undone(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine
) -> None:
    """No feedback follows a right gold answer, so nothing tells the person it was a control
    question: Undo is offered as after any answer, and brings the question back."""
    code = await make_project(items=6, gold_rate=1.0, gold_every=2)
    alice = recorder.person("alice")
    await alice.command("start", code)
    first = item_text(alice)
    before = await snapshot(engine, store)
    await alice.tap("pos")
    assert "Not quite" not in plain(alice.screen.text)  # type: ignore[union-attr]
    assert "Undo" in [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    message = alice.chat.last_with_buttons()
    assert message is not None
    actions = await alice.tap_token(button(alice, "Undo"), message.id)
    assert toasts(actions) == ["Undone: answer this one again."]
    assert item_text(alice) == first
    assert await snapshot(engine, store) == before


async def test_an_old_undo_button_and_another_persons_are_refused(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine, clock: Clock
) -> None:
    code = await make_project(items=5)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    await bob.command("start", code)
    await alice.tap("pos")
    old = button(alice, "Undo")
    clock.advance(2)
    await alice.tap("neg")
    answered = await snapshot(engine, store)
    actions = await alice.tap_token(old)
    assert toasts(actions) == [STALE]
    actions = await bob.tap_token(button(alice, "Undo"))
    assert toasts(actions) == ["This task is no longer yours."]
    assert await snapshot(engine, store) == answered


@pytest.mark.parametrize(("seconds", "offered"), [(0, False), (1, True)])
async def test_undo_is_offered_only_when_the_project_allows_it(
    recorder: Recorder, make_project: MakeProject, seconds: int, offered: bool
) -> None:
    code = await make_project(items=3, extra=f"undo_seconds = {seconds}")
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    labels = [b.label for b in alice.screen.buttons()]  # type: ignore[union-attr]
    assert ("Undo" in labels) is offered
