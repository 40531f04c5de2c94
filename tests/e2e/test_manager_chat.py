"""Managers in chat: project and batch files, Publish or Cancel, batches, invites, members,
exports; and everyone else refused without side effects."""

from __future__ import annotations

import json
import random

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import SendFile
from bot.chat.markup import plain
from bot.core import Core
from storage.contract import Store
from tests.conftest import Clock

PROJECT = b"""name = "chat"
title = "Chat project"
task = "binary"
labels = ["yes", "no"]
instructions = "Is it about cats?"
[quality]
min_overlap = 1
max_overlap = 1
gold_rate = 0
"""


@pytest.fixture
def recorder(store: Store, clock: Clock) -> Recorder:
    core = Core(store, clock=clock, rng=random.Random(1), admins=frozenset({("console", "root")}))
    return Recorder(core)


def last(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


def batch(rows: int, bad_line: int = 0) -> bytes:
    lines = []
    for i in range(rows):
        row: dict[str, object] = {"id": f"c{i}", "data": {"text": f"cat fact {i}"}}
        if i == 0:
            row["gold"] = "yes"
        lines.append(json.dumps(row) if i + 1 != bad_line else "{not json")
    return ("\n".join(lines) + "\n").encode()


async def setup(recorder: Recorder) -> tuple[Person, Person]:
    """An admin creates the project and invites an annotator, who joins."""
    root = recorder.person("root")
    await root.upload("chat.toml", PROJECT)
    assert "Project Chat project (chat) created" in last(root)
    await root.command("invite", "annotator", "5")
    code = last(root).split()[-1]
    ann = recorder.person("ann")
    await ann.command("start", code)
    return root, ann


async def test_a_batch_is_checked_then_published_from_chat(
    recorder: Recorder, store: Store
) -> None:
    root, ann = await setup(recorder)
    await root.upload("first.jsonl", batch(5, bad_line=3))
    text = last(root)
    assert "first.jsonl was not imported: 1 problem" in text and "line 3" in text
    async with store.transaction() as tx:
        project = await tx.project_by_name("chat")
        assert project is not None and await tx.batches(project.id) == []
    await root.upload("first.jsonl", batch(5))
    assert "5 rows, 1 gold (yes 1), no errors" in last(root)
    assert [b.label for b in root.screen.buttons()] == ["Publish", "Cancel"]  # type: ignore[union-attr]
    await ann.command("next")
    assert "No tasks" in plain(ann.screen.text)  # type: ignore[union-attr]
    await root.tap("Publish")
    assert "is published" in last(root)
    assert await recorder.deliver() == 1
    assert "New tasks are ready in *Chat project*" in ann.chat.last().text  # type: ignore[union-attr]
    await ann.tap("Next task")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"


async def test_cancel_drops_the_draft(recorder: Recorder, store: Store) -> None:
    root, _ = await setup(recorder)
    await root.upload("b.csv", b"id,text\n1,one\n2,two\n")
    await root.tap("Cancel")
    assert "was dropped" in last(root)
    async with store.transaction() as tx:
        project = await tx.project_by_name("chat")
        assert project is not None and await tx.batches(project.id) == []


async def test_batches_pause_resume_and_export(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(3))
    await root.tap("Publish")
    await ann.command("next")
    await ann.tap("yes")
    await root.command("batches")
    assert "1 of 2 items finished" in last(root)
    await root.tap("Pause")
    assert "b — paused" in last(root) and "1 of 2 items finished" in last(root)
    assert [b.label for b in root.screen.buttons()] == ["Resume", "Close"]  # type: ignore[union-attr]
    await ann.command("next")
    assert "No tasks" in plain(ann.screen.text)  # type: ignore[union-attr]
    await root.tap("Resume")  # on the same card
    await ann.command("next")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"
    actions = await root.command("export")
    files = [a for a in actions if isinstance(a, SendFile)]
    assert len(files) == 1 and files[0].name == "chat.jsonl"
    records = [json.loads(line) for line in files[0].data.decode().splitlines()]
    answers = [a for r in records for a in r["answers"]]
    assert len(answers) == 1 and answers[0]["annotator"].startswith("a-")
    assert '"ann"' not in files[0].data.decode()


async def test_members_can_be_suspended_and_reinstated(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(3))
    await root.tap("Publish")
    await root.command("members")
    listing = last(root)
    assert "1. root" in listing and "2. ann" in listing and "annotator, active" in listing
    await root.command("suspend", "1")
    assert "Only annotators" in last(root)
    await root.command("suspend", "2")
    assert "is suspended" in last(root)
    await ann.command("next")
    assert "paused" in last(ann)
    await root.command("reinstate", "2")
    await ann.command("next")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"


async def test_annotators_cannot_use_manager_tools(recorder: Recorder, store: Store) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(3))
    draft_buttons = root.screen.buttons()  # type: ignore[union-attr]
    for command in (
        ("invite", "manager"),
        ("batches",),
        ("members",),
        ("export",),
        ("suspend", "1"),
        ("remove", "1"),
        ("broadcast", "hello"),
        ("deadline", "b", "2027-01-20"),
    ):
        actions = await ann.command(*command)
        assert not any(isinstance(a, SendFile) for a in actions)
        assert "Only a manager" in last(ann), command
    await ann.upload("evil.jsonl", batch(2))
    assert "Only a manager" in last(ann)
    await ann.upload("chat.toml", PROJECT.replace(b"Chat project", b"Hijacked"))
    assert "Only an admin" in last(ann)
    actions = await ann.tap_token(draft_buttons[0].token)
    assert [a.text for a in actions if hasattr(a, "text")] == ["This task is no longer yours."]
    async with store.transaction() as tx:
        project = await tx.project_by_name("chat")
        assert project is not None and project.title == "Chat project"
        assert [b.status.value for b in await tx.batches(project.id)] == ["draft"]
        assert {r.status for r in await tx.project_members(project.id)} == {"active"}
    assert await recorder.deliver() == 0


async def test_help_shows_manager_commands_only_to_managers(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.command("help")
    assert "For managers" in last(root) and "/batches" in last(root)
    await ann.command("help")
    assert "For managers" not in last(ann) and "/next" in last(ann)


async def test_a_new_guideline_is_acknowledged_before_the_next_task(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.upload("guide.md", b"# Cats\n\nSay yes for cats.\n")
    await root.upload("b.jsonl", batch(8))
    await root.tap("Publish")
    newcomer = ann
    await newcomer.command("next")
    assert "changed (version 1)" in plain(newcomer.screen.text)  # type: ignore[union-attr]
    await newcomer.tap("I have read it")
    assert newcomer.screen is not None and newcomer.screen.buttons()[0].label == "yes"
    await newcomer.tap("yes")
    late = recorder.person("late")
    await root.command("invite", "annotator")
    await late.command("start", last(root).split()[-1])
    assert late.screen is not None and late.screen.buttons()[0].label == "yes"
    await root.upload("guide.md", b"# Cats\n\nSay yes for cats.\nLions count as cats.\n")
    assert "Guideline version 2" in last(root)
    await newcomer.tap("yes")
    text = plain(newcomer.screen.text)  # type: ignore[union-attr]
    assert "The guideline of Chat project changed (version 2)" in text
    assert "➕ Lions count as cats." in text and "Say yes" not in text
    assert [b.label for b in newcomer.screen.buttons()] == [  # type: ignore[union-attr]
        "I have read it",
        "Full guide",
    ]
    await newcomer.tap("I have read it")
    assert newcomer.screen is not None and newcomer.screen.buttons()[0].label == "yes"


async def test_forget_erases_a_member_from_chat(recorder: Recorder, store: Store) -> None:
    root, _ = await setup(recorder)
    await root.command("forget", "2")
    assert "is forgotten" in last(root)
    async with store.transaction() as tx:
        assert await tx.member_by_identity("console", "ann") is None
    await root.command("forget", "1")
    assert "cannot forget yourself" in last(root)


async def test_the_guide_lists_the_labels_with_their_descriptions(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    described = PROJECT.replace(
        b'labels = ["yes", "no"]',
        b'[[labels]]\nvalue = "yes"\ndescription = "a cat is named"\n'
        b'[[labels]]\nvalue = "no"\ndescription = "no cat at all"',
    ).replace(b'instructions = "Is it about cats?"\n', b"")
    described = b'instructions = "Is it about cats?"\n' + described
    await root.upload("chat.toml", described)
    assert "updated" in last(root)
    await root.upload("guide.md", b"# Cats\n\nRead carefully.\n")
    await ann.command("guide")
    text = last(ann)
    assert "Read carefully." in text and "yes — a cat is named" in text


async def test_a_manager_sets_a_batch_deadline_in_the_project_time_zone(
    recorder: Recorder, store: Store
) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(3))
    await root.command("deadline", "b", "2027-02-30")
    assert "'2027-02-30' is not a date" in last(root)
    await root.command("deadline", "nope", "2027-01-20")
    assert "no batch named nope" in last(root)
    await ann.command("deadline", "b", "2027-01-20")
    assert "Only a manager of Chat project can do that" in last(ann)
    await root.command("batches")
    assert "due" not in last(root)
    await root.command("deadline", "b", "2027-01-20")
    assert "b is due Wed 20 Jan 23:59 (in 6 days, UTC)" in last(root)
    await root.command("batches")
    assert "due Wed 20 Jan 23:59 (in 6 days)" in last(root)
    async with store.transaction() as tx:
        project = await tx.project_by_name("chat")
        assert project is not None
        [b] = await tx.batches(project.id)
        assert b.deadline == 1_800_000_000.0 + 5 * 86400 + 16 * 3600 - 1
    await root.command("deadline", "b", "none")
    assert "has no deadline now" in last(root)


async def test_a_labels_button_explains_each_label_with_examples(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(3))
    await root.tap("Publish")
    await ann.command("next")
    assert "Labels" not in [b.label for b in ann.screen.buttons()]  # type: ignore[union-attr]
    described = PROJECT.replace(
        b'labels = ["yes", "no"]',
        b'[[labels]]\nvalue = "yes"\ndescription = "a cat is named"\n'
        b'examples = ["My cat sleeps all day", "Lions are big cats"]\n'
        b'[[labels]]\nvalue = "no"\n',
    ).replace(b'instructions = "Is it about cats?"\n', b"")
    await root.upload("chat.toml", b'instructions = "Is it about cats?"\n' + described)
    await ann.command("next")
    task = ann.chat.last_with_buttons()
    await ann.tap("Labels")
    assert "Sent: what each label means, in a message after this task." in ann.chat.toasts
    assert not any("below" in toast or "above" in toast for toast in ann.chat.toasts)
    text = last(ann)
    assert "yes — a cat is named" in text and "e.g. My cat sleeps all day" in text
    assert "e.g. Lions are big cats" in text and "no" in text.splitlines()[-1]
    assert ann.chat.last_with_buttons() is task


async def test_a_manager_removes_a_member_and_broadcasts(recorder: Recorder) -> None:
    root, ann = await setup(recorder)
    await root.upload("b.jsonl", batch(6))
    await root.tap("Publish")
    assert await recorder.deliver() == 1, "ann, who joined before the batch, is told it is out"
    other = recorder.person("bea")
    await root.command("invite", "annotator")
    await other.command("start", last(root).split()[-1])
    await ann.command("next")
    await root.command("broadcast", "Batch", "b", "closes", "on", "Friday.")
    assert "Sent to 2 annotators." in last(root)
    assert await recorder.deliver() == 2
    for person in (ann, other):
        assert "from your manager:\n\nBatch b closes on Friday." in last(person)
    await root.command("remove", "1")
    assert "cannot remove yourself" in last(root)
    await root.command("remove", "2")
    assert "is removed as annotator; their answers stay" in last(root)
    await recorder.deliver()
    assert "You are no longer annotator in Chat project" in last(ann)
    await ann.command("next")
    assert "You are no longer an annotator in Chat project" in last(ann)
    await root.command("members")
    assert "annotator, removed" in last(root)
    await root.command("broadcast", "Only", "Bea", "now")
    assert "Sent to 1 annotator." in last(root)
    await root.command("reinstate", "2")
    assert "is back as annotator" in last(root)
    await ann.command("next")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"


def buttons_of(person: Person) -> dict[str, tuple[str, str]]:
    """The latest message's buttons: label -> (token, message id)."""
    message = person.chat.last_with_buttons()
    assert message is not None
    return {b.label: (b.token, message.id) for b in message.screen.buttons()}


async def statuses(store: Store) -> dict[str, str]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("chat")
        assert project is not None
        return {b.name: b.status.value for b in await tx.batches(project.id)}


async def test_a_removed_manager_cannot_use_their_old_batch_buttons(
    recorder: Recorder, store: Store
) -> None:
    root, _ = await setup(recorder)
    await root.command("invite", "manager", "1")
    mia = recorder.person("mia")
    await mia.command("start", last(root).split()[-1])
    await mia.command("project", "chat")
    await mia.upload("draft.jsonl", batch(3))
    draft = buttons_of(mia)
    assert set(draft) == {"Publish", "Cancel"}
    await mia.upload("live.jsonl", batch(3).replace(b'"c', b'"d'))
    await mia.tap("Publish")
    await mia.command("batches")
    live = buttons_of(mia)
    assert "Pause" in live
    await root.command("members")
    number = next(
        line.split(".")[0]
        for line in last(root).splitlines()
        if "mia" in line and "manager" in line
    )
    await root.command("remove", number.strip())
    assert "is removed as manager" in last(root)
    before = await statuses(store)
    assert before == {"draft": "draft", "live": "published"}
    for token, message in (draft["Publish"], draft["Cancel"], live["Pause"], live["Close"]):
        await mia.tap_token(token, message)
        assert mia.chat.toasts[-1] == "Only a manager can do that."
    assert await statuses(store) == before


async def test_project_switches_only_to_a_project_one_belongs_to(
    recorder: Recorder, store: Store
) -> None:
    root, ann = await setup(recorder)
    eve = recorder.person("eve")
    await eve.command("project", "chat")
    assert "no project chat that you belong to" in last(eve)
    await ann.command("project", "chat")
    assert "Now working on *Chat project*" in ann.chat.last().text  # type: ignore[union-attr]
    await root.command("members")
    number = next(line.split(".")[0] for line in last(root).splitlines() if "ann" in line)
    await root.command("remove", number.strip())
    await ann.command("project", "chat")
    assert "no project chat that you belong to" in last(ann)
    async with store.transaction() as tx:
        for name in ("eve", "ann"):
            member = await tx.member_by_identity("console", name)
            assert member is None or member.project_id is None or name == "ann"


async def test_manager_commands_without_a_project_say_so_without_the_admin_hint(
    recorder: Recorder,
) -> None:
    await setup(recorder)
    zed = recorder.person("zed")
    await zed.command("batches")
    assert last(zed) == "You have no current project."
    mia = recorder.person("mia")
    await mia.command("start", "not-a-code")
    await mia.command("members")
    assert last(mia) == "You have no current project."
