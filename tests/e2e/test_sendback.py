"""QA sends a disputed item back: the annotators relabel or keep their answer with a reason,
the thread comes back to the queue, and every step is in the export and the audit log."""

from __future__ import annotations

import json
import random

import pytest

from adapters.console.recorder import Recorder
from bot.chat.markup import plain
from bot.core import Core
from cli.audit import audit_line
from domain.entities import AuditEntry
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_review import last, setup


@pytest.fixture
def recorder(store: Store, clock: Clock) -> Recorder:
    return Recorder(
        Core(store, clock=clock, rng=random.Random(2), admins=frozenset({("console", "root")}))
    )


async def rows(store: Store) -> dict[str, dict[str, object]]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("qa")
        assert project is not None
        found: dict[str, dict[str, object]] = {}
        async for r in tx.export_rows(project.id):
            found[r.item.ext_id] = {
                "status": r.item.status,
                "gold": r.item.gold,
                "result": (r.result.label, r.result.method) if r.result else None,
                "answers": sorted(a.label for a in r.answers),
            }
        audit = [e async for e in tx.audit_log(project.id)]
    found["audit"] = {"actions": [e.action for e in audit]}
    return found


async def test_qa_sends_a_disputed_item_back_and_the_thread_returns(
    recorder: Recorder, store: Store
) -> None:
    _, quinn, people = await setup(recorder, store)
    item = plain(people[0].screen.text).split("\n\n")[1]  # type: ignore[union-attr]
    ext = "x1" if item == "one" else "x2"
    await people[0].tap("pos")
    await people[1].tap("neg")
    await quinn.command("review")
    card = last(quinn)
    assert "disputed" in card and "Result so far: pos (confidence 0.46" in card
    await quinn.tap("Send back")
    await quinn.text("Is the tone really negative? See rule 3.")
    assert "Sent back to 2 annotators" in last(quinn)
    await quinn.command("review")
    assert "queue is empty" in last(quinn)
    assert await recorder.deliver() == 2
    for person, mine in ((people[0], "pos"), (people[1], "neg")):
        card = last(person)
        assert "QA sent an item back" in card and "See rule 3." in card and item in card
        assert f"Your answer: {mine}" in card
        assert f"✓ {mine}" in [b.label for b in person.screen.buttons()]  # type: ignore[union-attr]
    stale = next(
        b.token
        for b in people[1].screen.buttons()  # type: ignore[union-attr]
        if b.label == "pos"
    )

    refused = await people[2].tap_token(stale)
    assert [getattr(a, "text", "") for a in refused] == ["This task is no longer yours."]
    await people[1].tap("pos")
    assert "Changed to pos" in people[1].chat.toasts
    assert "Your answer is now pos" in last(people[1])
    again = await people[1].tap_token(stale)
    assert [getattr(a, "text", "") for a in again] == ["You have answered QA on this one already."]
    await people[0].tap("Keep my answer")
    await people[0].text("It praises the product twice.")
    assert "QA has your reply" in last(people[0])

    assert await recorder.deliver() == 2
    told = [plain(m.screen.text) for m in recorder.chats["quinn"].messages[-2:]]
    assert "relabelled it on item " + ext in told[0] and "neg → pos" in told[0]
    assert "keeps their answer" in told[1] and "It praises the product twice." in told[1]

    state = await rows(store)
    assert state[ext] == {
        "status": "done",
        "gold": None,
        "result": ("pos", "gold_weighted_posterior"),
        "answers": ["pos", "pos"],
    }
    await quinn.command("review")
    card = last(quinn)
    assert "QA (sent back): Is the tone really negative?" in card
    assert "(relabelled): neg → pos" in card and "(kept): It praises the product twice." in card
    await quinn.tap("Accept")
    assert "queue is empty" in last(quinn)
    actions = (await rows(store))["audit"]["actions"]
    assert isinstance(actions, list)
    assert actions[-4:] == ["review.send_back", "review.relabelled", "review.kept", "review"]


async def test_qa_promotes_a_reported_item_to_gold(recorder: Recorder, store: Store) -> None:
    _, quinn, people = await setup(recorder, store)
    item = plain(people[0].screen.text).split("\n\n")[1]  # type: ignore[union-attr]
    ext = "x1" if item == "one" else "x2"
    await people[0].tap("Report")
    await people[0].tap("Unclear")
    await quinn.command("review")
    await quinn.tap("Gold")
    assert "Which answer is right?" in last(quinn)
    await quinn.tap("⭐ neg")
    assert "queue is empty" in last(quinn)
    state = await rows(store)
    assert state[ext]["gold"] == "neg" and state[ext]["result"] == ("neg", "qa")


async def test_send_back_needs_answers_and_a_qa_role(recorder: Recorder, store: Store) -> None:
    _, quinn, people = await setup(recorder, store)
    await people[0].tap("Report")
    await people[0].tap("Broken")
    await quinn.command("review")
    buttons = quinn.screen.buttons()  # type: ignore[union-attr]
    assert "Send back" not in [b.label for b in buttons], "nobody answered: no button"
    accept = next(b for b in buttons if b.label == "Accept")
    send_back = accept.token.rsplit(":", 1)[0] + ":b"
    await quinn.tap_token(send_back)
    assert "Nobody has answered this item yet." in recorder.chats["quinn"].toasts
    refused = await people[1].tap_token(send_back)
    assert [getattr(a, "text", "") for a in refused] == ["This task is no longer yours."]
    assert await recorder.deliver() == 0


def test_audit_lines_name_who_did_what_and_when() -> None:
    entry = AuditEntry(
        at=1_800_000_000.0, who="a-1234567890", action="batch.publish", details={"batch": "b1"}
    )
    line = audit_line(entry, "Europe/Berlin")
    assert line == (
        f"2027-01-15T09:00:00+01:00  a-1234567890  batch.publish         batch={json.dumps('b1')}"
    )


async def test_a_suspended_annotator_cannot_relabel_or_keep_what_qa_sent_back(
    recorder: Recorder, store: Store
) -> None:
    root, quinn, people = await setup(recorder, store)
    await people[0].tap("pos")
    await people[1].tap("neg")
    await quinn.command("review")
    await quinn.tap("Send back")
    await quinn.text("Look again.")
    assert await recorder.deliver() == 2
    await root.command("members")
    listing = plain(recorder.chats["root"].messages[-1].screen.text).splitlines()
    row = next(line.split(".")[0] for line in listing if line.split(". ", 1)[-1].startswith("p1"))
    await root.command("suspend", row)
    before = await rows(store)
    for label in ("pos", "Keep my answer"):
        refused = await people[1].tap(label)
        assert [getattr(a, "text", "") for a in refused] == [
            "You are no longer an active annotator here."
        ]
    await people[1].text("I keep it.")
    assert await rows(store) == before
