"""The core loop through events and actions, as console people see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.console.recorder import Recorder
from bot.chat.actions import Edit, Send, Toast
from bot.chat.markup import plain
from bot.core import Core
from storage.contract import Store
from tests.conftest import Clock

MakeProject = Callable[..., Any]


def toasts(actions: list[Any]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Toast)]


async def count_answers(store: Store) -> int:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        return (await tx.project_stats(project.id)).answers


async def test_join_with_invite_shows_welcome_and_first_task(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=3)
    alice = recorder.person("alice")
    actions = await alice.command("start", code)
    sends = [a for a in actions if isinstance(a, Send)]
    assert "Welcome to *Test sentiment*" in sends[0].screen.text
    assert alice.screen is not None
    assert [b.label for b in alice.screen.buttons()] == [
        "pos",
        "neg",
        "neu",
        "Skip",
        "Report",
        "Guide",
    ]
    assert "item number" in alice.screen.text


async def test_unknown_invite_code_is_refused_clearly(
    recorder: Recorder, make_project: MakeProject
) -> None:
    await make_project()
    bob = recorder.person("bob")
    await bob.command("start", "NOPE1234")
    assert "invite code is unknown" in (bob.chat.last() or "").text
    await bob.command("next")
    assert "not in a project" in (bob.chat.last() or "").text


async def test_tap_saves_and_next_task_replaces_the_message(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=3)
    alice = recorder.person("alice")
    await alice.command("start", code)
    first = alice.chat.last_with_buttons()
    assert first is not None
    first_text = first.screen.text
    messages_before = len(alice.chat.messages)
    actions = await alice.tap("neg")
    assert toasts(actions) == ["Saved ✓"]
    edits = [a for a in actions if isinstance(a, Edit)]
    assert len(edits) == 1 and edits[0].message.id == first.id
    assert len(alice.chat.messages) == messages_before
    assert alice.screen is not None and alice.screen.text != first_text
    assert "1 done today" in alice.screen.text
    assert await count_answers(store) == 1


async def test_double_tap_stores_one_answer_and_shows_the_same_next_task(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=5)
    alice = recorder.person("alice")
    await alice.command("start", code)
    message = alice.chat.last_with_buttons()
    assert message is not None
    token = message.screen.buttons()[0].token
    first = await alice.tap_token(token, message.id)
    second = await alice.tap_token(token, message.id)
    assert toasts(first) == ["Saved ✓"]
    assert toasts(second) == ["Already saved ✓"]
    next_first = next(a for a in first if isinstance(a, Edit)).screen
    next_second = next(a for a in second if isinstance(a, Edit)).screen
    assert plain(next_first.text) == plain(next_second.text)
    assert await count_answers(store) == 1


async def test_tap_by_someone_else_or_forged_token_changes_nothing(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=5)
    alice = recorder.person("alice")
    mallory = recorder.person("mallory")
    await alice.command("start", code)
    await mallory.command("start", code)
    message = alice.chat.last_with_buttons()
    assert message is not None
    stolen = message.screen.buttons()[0].token
    for token in (stolen, "garbage", "", stolen.split(":")[0] + ":99", "x" * 64 + ":0"):
        actions = await mallory.tap_token(token, message.id)
        assert toasts(actions) == ["This task is no longer yours."]
        assert [a for a in actions if not isinstance(a, Toast)] == []
    stranger = recorder.person("stranger")
    actions = await stranger.tap_token(stolen, message.id)
    assert toasts(actions) == ["This task is no longer yours."]
    assert await count_answers(store) == 0
    assert toasts(await alice.tap_token(stolen, message.id)) == ["Saved ✓"]


async def test_expired_lease_is_reclaimed_and_the_old_button_refused(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    alice = recorder.person("alice")
    bob = recorder.person("bob")
    await alice.command("start", code)
    stale = alice.chat.last_with_buttons()
    assert stale is not None
    await bob.command("start", code)
    assert "No tasks for you right now" in (bob.screen or "").text
    clock.advance(31 * 60)
    await bob.command("next")
    assert bob.screen is not None and "item number 0" in bob.screen.text
    actions = await alice.tap_token(stale.screen.buttons()[0].token, stale.id)
    assert toasts(actions) == ["This task is no longer yours."]
    await bob.tap("pos")
    assert await count_answers(store) == 1


async def test_each_item_gets_distinct_annotators_up_to_the_overlap(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=4, overlap=2)
    people = [recorder.person(f"p{i}") for i in range(3)]
    for person in people:
        await person.command("start", code)
    for _ in range(10):
        for person in people:
            if person.screen and person.screen.buttons()[0].label == "pos":
                await person.tap("pos")
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        rows = [row async for row in tx.export_rows(project.id)]
    assert all(row.item.status == "done" for row in rows)
    for row in rows:
        annotators = [a.annotator for a in row.answers]
        assert len(annotators) == 2 and len(set(annotators)) == 2
        assert row.result is not None and row.result.label == "pos"


async def test_items_with_most_answers_go_first(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=5, overlap=3)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    shown = alice.screen
    assert shown is not None
    await alice.tap("pos")
    await bob.command("start", code)
    assert bob.screen is not None
    assert plain(bob.screen.text).split("\n\n")[2] == plain(shown.text).split("\n\n")[2]


async def test_skip_passes_the_item_on_and_never_returns_it(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=2, overlap=1)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    skipped = plain((alice.screen or "").text).split("\n\n")[2]
    assert toasts(await alice.tap("Skip")) == ["Skipped."]
    assert alice.screen is not None and skipped not in alice.screen.text
    await alice.tap("neg")
    assert "No tasks" in (alice.screen or "").text
    await bob.command("start", code)
    assert bob.screen is not None and skipped in plain(bob.screen.text)


async def test_report_with_a_typed_reason_raises_a_flag(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=3, overlap=1)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("Report")
    assert alice.screen is not None and "What is wrong" in alice.screen.text
    await alice.tap("Back to the task")
    assert alice.screen is not None and "item number" in alice.screen.text
    await alice.tap("Report")
    await alice.tap("Unclear")
    await alice.tap("Report")
    await alice.tap("Other…")
    await alice.text("the text is in Klingon")
    assert any("Thanks, reported" in m.screen.text for m in alice.chat.messages)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        assert await tx.open_flags(project.id) == 2
    assert alice.screen is not None and "item number" in alice.screen.text
    reply = await alice.text("hello?")
    assert "Use the buttons" in next(a for a in reply if isinstance(a, Send)).screen.text


async def test_gold_items_are_mixed_in_and_scored(
    store: Store, clock: Clock, make_project: MakeProject
) -> None:
    import random

    code = await make_project(items=40, overlap=1, gold_rate=0.5, gold_every=4)
    recorder = Recorder(Core(store, clock=clock, rng=random.Random(3)))
    alice = recorder.person("alice")
    await alice.command("start", code)
    for _ in range(20):
        await alice.tap("pos")
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        member = await tx.member_by_identity("console", "alice")
        assert member is not None
        stats = await tx.member_stats(project.id, member.id, 0)
    assert 4 <= stats.gold_total <= 10
    assert stats.gold_correct == stats.gold_total
    assert stats.answers == 20


async def test_progress_guide_help_and_unknown_command(
    recorder: Recorder, make_project: MakeProject
) -> None:
    code = await make_project(items=3)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    await alice.command("progress")
    assert "Today: 1 answer" in (alice.chat.last() or "").text
    await alice.command("guide")
    guide = (alice.chat.last() or "").text
    assert "Guide" in guide and "pos" in guide
    await alice.command("help")
    assert "/next" in (alice.chat.last() or "").text
    await alice.command("frobnicate")
    assert "/help" in (alice.chat.last() or "").text


async def test_answers_survive_a_restart_and_the_lease_resumes(
    db_url: str, make_project: MakeProject, clock: Clock, store: Store
) -> None:
    from storage import open_store

    code = await make_project(items=3)
    alice = Recorder(Core(store, clock=clock)).person("alice")
    await alice.command("start", code)
    await alice.tap("pos")
    before = plain((alice.screen or "").text).split("\n\n")[2]
    async with open_store(db_url) as second:
        again = Recorder(Core(second, clock=clock)).person("alice")
        await again.command("next")
        assert again.screen is not None
        assert plain(again.screen.text).split("\n\n")[2] == before
        assert "1 of 3 in this batch" in again.screen.text


async def test_progress_shows_quota_bars_hours_and_earnings(store: Store, clock: Clock) -> None:
    from bot.managing.operations import import_batch, make_invite, save_project
    from bot.managing.projectfile import parse_project
    from domain.enums import Role
    from tests.conftest import batch_lines

    text = """name = "paid"
title = "Paid work"
task = "binary"
labels = ["pos", "neg"]
timezone = "Europe/Berlin"
[quality]
min_overlap = 1
max_overlap = 1
gold_rate = 0
[quota]
daily = 4
weekly = 10
[pay]
per_task = 0.5
currency = "EUR"
"""
    await save_project(store, parse_project("paid.toml", text), update=False)
    await import_batch(store, "paid", "b.jsonl", batch_lines(10), True)
    code = (await make_invite(store, "paid", Role.ANNOTATOR, None, None)).code
    alice = Recorder(Core(store, clock=clock)).person("alice")
    await alice.command("start", code)
    for _ in range(3):
        clock.advance(30)
        await alice.tap("pos")
    clock.advance(3600)
    await alice.tap("neg")
    await alice.command("progress")
    shown = plain(alice.chat.last().text)  # type: ignore[union-attr]
    assert "Today: ▓▓▓▓▓▓▓▓▓▓ 4 of 4 answers ✓" in shown
    assert "This week: ▓▓▓▓░░░░░░ 4 of 10 answers" in shown
    # 3 x 30 s plus a 5-minute cap on the idle hour: 6.5 minutes, shown in minutes
    assert "Active time: 7 min today, 7 min this week" in shown
    assert "Earned this week: 2.00 EUR" in shown
