"""The QA review queue: held items, relabel, accept, and pings through the outbox."""

from __future__ import annotations

import random

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.core import Core
from domain.enums import Role
from storage.contract import Store
from tests.conftest import Clock

PROJECT = b"""name = "qa"
title = "QA project"
task = "single_choice"
labels = ["pos", "neg", "neu"]
[quality]
min_overlap = 2
max_overlap = 2
gold_rate = 0
"""


@pytest.fixture
def recorder(store: Store, clock: Clock) -> Recorder:
    return Recorder(
        Core(store, clock=clock, rng=random.Random(2), admins=frozenset({("console", "root")}))
    )


def last(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


async def setup(
    recorder: Recorder,
    store: Store,
    project: bytes = PROJECT,
) -> tuple[Person, Person, list[Person]]:
    root = recorder.person("root")
    await root.upload("qa.toml", project)
    await root.upload("b.csv", b"id,text\nx1,one\nx2,two\n")
    await root.tap("Publish")
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None
        qa_code = (await tx.create_invite(project.id, Role.QA, None, None, 0)).code
        ann_code = (await tx.create_invite(project.id, Role.ANNOTATOR, None, None, 0)).code
    quinn = recorder.person("quinn")
    await quinn.command("start", qa_code)
    people = [recorder.person(f"p{i}") for i in range(3)]
    for person in people:
        await person.command("start", ann_code)
    return root, quinn, people


async def item_status(store: Store, ext_id: str) -> str:
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None
        rows = {r.item.ext_id: r async for r in tx.export_rows(project.id)}
    return rows[ext_id].item.status


async def test_an_item_two_people_report_is_held_until_qa_accepts(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, people = await setup(recorder, store)
    first = plain(people[0].screen.text).split("\n\n")[1]  # type: ignore[union-attr]
    for person in people[:2]:
        assert first in plain(person.screen.text)  # type: ignore[union-attr]
        await person.tap("Report")
        await person.tap("Unclear")
    item = "x1" if first == "one" else "x2"
    assert await item_status(store, item) == "held"
    assert plain(people[2].screen.text).split("\n\n")[1] != first  # type: ignore[union-attr]
    await people[2].tap("pos")
    assert "No tasks" in last(people[2])
    await quinn.command("review")
    card = last(quinn)
    assert "Flag" in card and "unclear" in card and f"Item {item} (held)" in card
    assert "2 open flags" in card
    await quinn.tap("Accept")
    await quinn.tap("Accept")
    assert "queue is empty" in last(quinn)
    assert await item_status(store, item) == "open"
    assert await recorder.deliver() == 1
    assert "New tasks are ready" in last(people[2]), "the item is back, and who waits hears it"
    await people[2].tap("Next task")
    assert first in last(people[2])


async def test_qa_relabels_a_disputed_item_and_pings_an_annotator(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, people = await setup(recorder, store)
    await people[0].tap("pos")
    await people[1].tap("neg")
    await quinn.command("review")
    assert "disputed" in last(quinn)
    await quinn.tap("→ neu")
    assert "queue is empty" in last(quinn)
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None
        results = [r.result async for r in tx.export_rows(project.id) if r.result]
    assert [(r.label, r.method) for r in results] == [("neu", "qa")]
    await people[2].tap("Report")
    await people[2].tap("Other…")
    await people[2].text("the text is cut off")
    await quinn.command("review")
    assert "the text is cut off" in last(quinn)
    await quinn.tap("Ping")
    await quinn.text("Thanks! Which part is cut off?")
    assert "Sent to 1 person." in last(quinn)
    outbox = await recorder.core.outbox("console")
    assert [
        (s.to.user_id, "New tasks" in s.screen.text, "Which part" in s.screen.text)
        for _, s in outbox
    ] == [("p1", True, False), ("p2", False, True)], (
        "p1 is told the reported item is free for them; p2 gets the ping"
    )


async def test_annotators_cannot_review(recorder: Recorder, store: Store) -> None:
    _, quinn, people = await setup(recorder, store)
    await people[0].command("review")
    assert "Only QA reviewers and managers" in last(people[0])
    await people[0].tap("Report")
    await people[0].tap("Broken")
    await quinn.command("review")
    card = quinn.screen
    assert card is not None
    accept = next(b for b in card.buttons() if b.label == "Accept")
    actions = await people[1].tap_token(accept.token)
    assert [getattr(a, "text", "") for a in actions] == ["This task is no longer yours."]
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None and await tx.open_flags(project.id) == 1


async def test_a_qa_note_becomes_a_new_guideline_version(recorder: Recorder, store: Store) -> None:
    _, quinn, people = await setup(recorder, store)
    await people[0].tap("Report")
    await people[0].tap("Unclear")
    await quinn.command("review")
    await quinn.tap("Guide note")
    await quinn.text("Sarcasm counts as negative.")
    assert "version 1" in last(quinn)
    await people[1].tap("pos")
    text = plain(people[1].screen.text)  # type: ignore[union-attr]
    assert "changed (version 1)" in text and "Sarcasm counts as negative." in text
    await people[1].command("guide")
    assert "Notes from QA" in last(people[1])


async def test_a_reviewer_removed_between_button_and_text_sends_nothing(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, people = await setup(recorder, store)
    await people[0].tap("pos")
    await people[1].tap("neg")  # a disputed item: the first flag
    await people[2].tap("Report")
    await people[2].tap("Other…")
    await people[2].text("the text is cut off")  # a report: the second
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        member = await tx.member_by_identity("console", "quinn")
        assert project is not None and member is not None
    for button, words in (
        ("Send back", "Look again."),
        ("Ping", "Which part?"),
        ("Guide note", "Say what cut off means."),
    ):
        async with store.transaction() as tx:
            await tx.set_role_status(project.id, member.id, Role.QA, "active")
        await quinn.command("review")
        if button != "Send back":
            await quinn.tap("Skip")
        await quinn.tap(button)
        async with store.transaction() as tx:
            await tx.set_role_status(project.id, member.id, Role.QA, "removed")
        await quinn.text(words)
        assert "Only QA reviewers and managers can do that." in last(quinn), button
    sent = [s.screen.text for _, s in await recorder.core.outbox("console")]
    assert [text for text in sent if "New tasks are ready" not in text] == []
    async with store.transaction() as tx:
        assert await tx.guideline(project.id) is None


async def test_ping_on_a_disputed_item_asks_whom_minority_first(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, people = await setup(recorder, store, PROJECT.replace(b"= 2", b"= 3"))
    item = plain(people[0].screen.text).split("\n\n")[1]  # type: ignore[union-attr]
    for person, label in zip(people, ("pos", "neg", "pos"), strict=True):
        assert item in plain(person.screen.text)  # type: ignore[union-attr]
        await person.tap(label)
    pseudonyms = {}
    async with store.transaction() as tx:
        for person in people:
            member = await tx.member_by_identity("console", person.actor.user_id)
            assert member is not None
            pseudonyms[person.actor.user_id] = member.pseudonym
    await quinn.command("review")
    card = last(quinn)
    assert "disputed" in card and card.count("Answers:") == 1
    await quinn.tap("Ping")
    chooser = quinn.screen
    assert chooser is not None and "Whom" in plain(chooser.text)
    labels = [b.label for b in chooser.buttons()]
    assert labels[0] == f"{pseudonyms['p1']} (neg)", "the one in the minority comes first"
    assert set(labels[1:3]) == {f"{pseudonyms['p0']} (pos)", f"{pseudonyms['p2']} (pos)"}
    assert "All of them" in labels
    forged = next(b.token for b in chooser.buttons() if b.label == "All of them")
    stranger = await people[0].tap_token(forged)
    assert [getattr(a, "text", "") for a in stranger] == ["This task is no longer yours."]
    await quinn.tap(f"{pseudonyms['p1']} (neg)")
    assert pseudonyms["p1"] in last(quinn)
    await quinn.text("Why neg?")
    assert "Sent to 1 person." in last(quinn)
    await quinn.command("review")
    await quinn.tap("Ping")
    await quinn.tap("All of them")
    await quinn.text("Please reread the guide.")
    assert "Sent to 3 people." in last(quinn)
    queued = await recorder.core.outbox("console")
    outbox = [(s.to.user_id, plain(s.screen.text)) for _, s in queued]
    pinged = [
        (who, "Why neg?" in text, "Please reread" in text)
        for who, text in outbox
        if "QA, QA project" in text
    ]
    assert pinged == [
        ("p1", True, False),
        ("p1", False, True),
        ("p0", False, True),
        ("p2", False, True),
    ], "one to the chosen person, then all, minority first"
    assert all(item in text for _, text in outbox if "QA, QA project" in text), "item shown"


async def test_a_card_shows_no_ping_or_send_back_that_could_only_refuse(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, _ = await setup(recorder, store)
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None
        items = [r.item async for r in tx.export_rows(project.id)]
        await tx.add_flag(project.id, items[0].id, None, "disputed", "a manager's doubt", 0.0)
    await quinn.command("review")
    labels = [b.label for b in quinn.screen.buttons()]  # type: ignore[union-attr]
    assert "Accept" in labels and "Skip" in labels
    assert "Ping" not in labels, "nobody answered or raised it"
    assert "Send back" not in labels, "nobody answered it"
