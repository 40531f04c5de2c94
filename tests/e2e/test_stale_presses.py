"""Presses and messages that arrive for a task that is no longer the person's, or with a code
the card never had: each is refused in words, stores nothing, and leaves nothing pending."""

from __future__ import annotations

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Action, Toast
from bot.chat.buttons import button_token, split_token
from bot.chat.markup import plain
from domain.entities import AuditEntry
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_quality_loop import MakeProject, flags, on_screen, project_rows, shown_item
from tests.e2e.test_task_types import setup as setup_task

LEASE_S = 30 * 60


def toasts(actions: list[Action]) -> list[str]:
    return [a.text for a in actions if isinstance(a, Toast)]


def last_text(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


async def press_code(person: Person, code: str) -> list[Action]:
    """Press a button with `code` on the card on screen, as a forged or outdated client would."""
    assert person.screen is not None
    message = person.chat.last_with_buttons()
    assert message is not None
    token = split_token(person.screen.buttons()[0].token)[0]
    return await person.tap_token(button_token(token, code), message.id)


async def answers(store: Store) -> int:
    return sum(len(r.answers) for r in (await project_rows(store)).values())


async def test_a_code_past_the_last_label_or_for_another_kind_of_card_is_not_valid(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=3, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    assert on_screen(ann)[:3] == ["pos", "neg", "neu"]
    shown = shown_item(ann)
    for forged in ("3", "t1", "d1"):
        assert toasts(await press_code(ann, forged)) == ["That button is not valid."]
    assert await answers(store) == 0 and shown_item(ann) == shown
    assert toasts(await press_code(ann, "2")) == ["Saved ✓"]
    rows = await project_rows(store)
    assert [a.label for r in rows.values() for a in r.answers] == ["neu"]


async def test_a_report_menu_code_it_never_had_is_not_valid(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=3, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    await ann.tap("Report")
    assert "What is wrong" in last_text(ann)
    assert toasts(await press_code(ann, "q")) == ["That button is not valid."]
    assert await flags(store) == []
    await ann.tap("Unclear")
    assert await flags(store) == [("unclear", "")]


async def lose_the_lease(recorder: Recorder, code: str, clock: Clock) -> Person:
    """The lease runs out and someone else takes the item."""
    clock.advance(LEASE_S + 60)
    bob = recorder.person("bob")
    await bob.command("start", code)
    return bob


async def test_a_report_menu_of_a_task_gone_to_someone_else_files_nothing(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    await ann.tap("Report")
    bob = await lose_the_lease(recorder, code, clock)
    assert shown_item(bob) == "item number 0"
    assert toasts(await ann.tap("Unclear")) == ["This task is no longer yours."]
    assert await flags(store) == []


async def test_a_reason_typed_after_the_task_went_to_someone_else_files_nothing(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    await ann.tap("Report")
    await ann.tap("Other…")
    assert "Tell me in one message" in last_text(ann)
    await lose_the_lease(recorder, code, clock)
    await ann.text("the text is cut off")
    assert last_text(ann) == "That task is no longer yours, so I did not file the report."
    assert await flags(store) == []
    await ann.text("still there?")
    assert "Use the buttons" in last_text(ann)


async def test_a_report_is_in_the_audit_log_with_its_flag_and_item(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=2, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    await ann.tap("Report")
    await ann.tap("Other…")
    await ann.text("  " + "x" * 1500 + "  ")
    assert "Thanks, reported." in [plain(m.screen.text) for m in ann.chat.messages]
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        member = await tx.member_by_identity("console", "ann")
        assert project is not None and member is not None
        entries: list[AuditEntry] = [e async for e in tx.audit_log(project.id)]
        flag = await tx.next_flag(project.id, 0)
    assert flag is not None and flag.member_id == member.id and flag.project_id == project.id
    assert flag.reason == "x" * 1000
    assert [(e.who, e.action, e.details) for e in entries if e.action == "report"] == [
        (member.pseudonym, "report", {"flag": flag.id, "item": flag.item_id, "kind": "other"})
    ]


async def test_a_typed_answer_after_the_task_went_to_someone_else_is_not_saved(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    from tests.e2e.test_task_types import export, project_toml

    code = await setup_task(
        store,
        project_toml("free_text", overlap=1, max_overlap=1),
        [{"id": "t1", "data": {"text": "Transcribe: HELLO"}}],
    )
    ann = recorder.person("ann")
    await ann.command("start", code)
    assert "Type your answer" in last_text(ann)
    clock.advance(LEASE_S + 60)
    bob = recorder.person("bob")
    await bob.command("start", code)
    await ann.text("hello")
    assert last_text(ann) == (
        "That task is no longer open, so I did not save this. /next shows your task."
    )
    await ann.text("hello again")
    assert "Use the buttons" in last_text(ann)
    await bob.text("HELLO")
    records = await export(store)
    assert [a["value"] for a in records["t1"]["answers"]] == ["HELLO"]


async def test_an_answer_on_the_card_of_a_task_already_reported_is_refused(
    recorder: Recorder, make_project: MakeProject, store: Store
) -> None:
    code = await make_project(items=3, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    assert ann.screen is not None
    old = next(b.token for b in ann.screen.buttons() if b.label == "pos")
    await ann.tap("Report")
    await ann.tap("Unclear")
    assert toasts(await ann.tap_token(old)) == ["This task is no longer yours."]
    assert await answers(store) == 0
