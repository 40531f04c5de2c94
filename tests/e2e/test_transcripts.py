"""Whole conversations, word for word: what annotators and managers read through a working day.

Each test plays a scene through the real core and compares everything people were shown (every
message, edit, toast and button, then what the database holds) with a kept transcript in
`transcripts/`. The phrase checks elsewhere pin the meaning of single screens; these pin the
exact words, the order of messages, the counts on cards and the answers, results and flags
stored, so a changed word, a lost notice or a wrong count is a failing difference.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.recorder import Person, Recorder
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_manager_chat import PROJECT
from tests.e2e.transcript import Transcript


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(f"sqlite:///{tmp_path / 'tapmark.db'}") as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recorder(store: Store, clock: Clock) -> Recorder:
    return Recorder(Core(store, clock=clock, rng=random.Random(11)))


def project(name: str, task: str, quality: str, extra: str = "") -> str:
    return (
        f'name = "{name}"\ntitle = "Scene {name}"\ntask = "{task}"\n'
        f'instructions = "Read it and answer."\nlease_minutes = 10\n{extra}\n'
        f"[quality]\n{quality}\n"
    )


async def setup(
    store: Store, toml: str, rows: list[dict[str, object]], manager: bool = False
) -> tuple[str, str | None]:
    parsed = parse_project("scene.toml", toml)
    await save_project(store, parsed, update=False)
    spec = parsed.spec
    lines = "".join(json.dumps(row) + "\n" for row in rows).encode()
    await import_batch(store, spec.name, "b1.jsonl", lines, True)
    code = (await make_invite(store, spec.name, Role.ANNOTATOR, None, None)).code
    boss = (await make_invite(store, spec.name, Role.MANAGER, 1, None)).code if manager else None
    return code, boss


def texts(n: int, prefix: str = "t") -> list[dict[str, object]]:
    return [
        {"id": f"{prefix}{i}", "data": {"text": f"Sentence {i}: the food was fine."}}
        for i in range(n)
    ]


def gold(n: int, answer: str = "pos") -> list[dict[str, object]]:
    """Gold items that all read alike, so the random order of gold picks cannot show."""
    return [
        {
            "id": f"g{i}",
            "data": {"text": "I loved every minute of it."},
            "gold": answer,
            "explanation": "Loving it is positive.",
        }
        for i in range(n)
    ]


async def test_an_annotators_day_word_for_word(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    toml = project(
        "day",
        "single_choice",
        "min_overlap = 2\nmax_overlap = 2\ngold_rate = 0.0\nundo_seconds = 30",
        'labels = ["pos", "neg", "neu"]',
    )
    code, _ = await setup(store, toml, texts(4))
    t = Transcript(recorder, "annotators_day")
    alice, bob, carol, dan = (recorder.person(n) for n in ("alice", "bob", "carol", "dan"))

    t.note("alice joins and reads the guide")
    await t.command(alice, "start", code)
    await t.tap(alice, "Guide")
    t.note("a mis-tap, undone, then the right answer")
    clock.advance(4)
    await t.tap(alice, "pos")
    await t.tap(alice, "Undo")
    clock.advance(3)
    first = t.keep(alice, "pos")
    await t.tap(alice, "neg")
    t.note("a skip, a report that is taken back, and two reports")
    await t.tap(alice, "Skip")
    await t.tap(alice, "Report")
    await t.tap(alice, "Back to the task")
    await t.tap(alice, "Report")
    await t.tap(alice, "Unclear")
    await t.tap(alice, "Report")
    await t.tap(alice, "Other…")
    await t.text(alice, "  The sentence is cut off.  ")
    t.note("the first card, tapped again long after")
    await t.tap_kept(alice, first)
    await t.command(alice, "progress")
    t.note("bob works until nothing is left for him")
    await t.command(bob, "start", code)
    for label in ("pos", "neg", "neu", "pos"):
        clock.advance(5)
        await t.tap(bob, label)
    await t.command(bob, "next")
    t.note("dan takes a task and leaves it; carol does the rest and waits")
    await t.command(dan, "start", code)
    expired = t.keep(dan, "pos")
    await t.command(carol, "start", code)
    for label in ("neu", "pos"):
        clock.advance(5)
        await t.tap(carol, label)
    t.note("dan's lease runs out; the next request finds it and carol is told")
    clock.advance(11 * 60)
    await t.command(bob, "next")
    await t.deliver()
    await t.tap(carol, "Next task")
    clock.advance(6)
    await t.tap(carol, "neu")
    t.note("dan's card expired under him")
    await t.tap_kept(dan, expired)
    await t.command(carol, "stop")
    await t.command(carol, "undo")
    await t.state(store, "day")
    t.check()


async def test_gold_feedback_and_suspension_word_for_word(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    toml = project(
        "gold",
        "single_choice",
        "min_overlap = 1\nmax_overlap = 1\ngold_rate = 1.0\n"
        'gold_min = 3\ngold_feedback = "always"\nmin_gold_accuracy = 0.7',
        'labels = ["pos", "neg", "neu"]',
    )
    code, boss_code = await setup(store, toml, texts(3) + gold(6), manager=True)
    t = Transcript(recorder, "gold_and_suspension")
    boss, dave, erin = (recorder.person(n) for n in ("boss", "dave", "erin"))
    await t.command(boss, "start", boss_code or "")
    t.note("erin answers gold right, dave answers it wrong")
    await t.command(erin, "start", code)
    clock.advance(5)
    await t.tap(erin, "pos")
    await t.tap(erin, "Next task")
    await t.command(dave, "start", code)
    for _ in range(3):
        if dave.screen is not None and "Next task" in [b.label for b in dave.screen.buttons()]:
            await t.tap(dave, "Next task")
        card = t.keep(dave, "pos")
        clock.advance(5)
        await t.tap(dave, "neg")
    t.note("dave's old card and his commands after the suspension")
    await t.tap_kept(dave, card)
    await t.command(dave, "next")
    await t.deliver()
    t.note("the manager reinstates dave")
    await t.command(boss, "members")
    await t.command(boss, "reinstate", "3")
    await t.deliver()
    await t.command(dave, "next")
    await t.state(store, "gold")
    t.check()


async def test_qualification_word_for_word(recorder: Recorder, store: Store, clock: Clock) -> None:
    toml = project(
        "qual",
        "single_choice",
        "min_overlap = 1\nmax_overlap = 1\ngold_rate = 0.0\n"
        "qualification = 3\nmin_gold_accuracy = 0.6",
        'labels = ["pos", "neg", "neu"]',
    )
    code, _ = await setup(store, toml, texts(2) + gold(8))
    t = Transcript(recorder, "qualification")
    fay, gus = recorder.person("fay"), recorder.person("gus")
    t.note("fay passes with one miss")
    await t.command(fay, "start", code)
    for label in ("pos", "neg", "pos", "neu"):
        clock.advance(5)
        await t.answer(fay, label)
    t.note("gus fails")
    await t.command(gus, "start", code)
    for label in ("neg", "neu", "neg"):
        clock.advance(5)
        await t.answer(gus, label)
    await t.command(gus, "next")
    await t.state(store, "qual")
    t.check()


async def test_rich_task_types_word_for_word(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    multi = project(
        "multi",
        "multi_choice",
        "min_overlap = 2\nmax_overlap = 2\ngold_rate = 0.0",
        'labels = ["cat", "dog", "bird"]',
    )
    code_m, _ = await setup(
        store,
        multi,
        [
            {"id": "m1", "data": {"text": "A photo of pets"}},
            {
                "id": "m2",
                "data": {"text": "A photo of a garden"},
                "gold": "bird",
                "explanation": "Only a bird.",
            },
        ],
    )
    typed = project(
        "typed",
        "free_text",
        "min_overlap = 2\nmax_overlap = 3\ngold_rate = 0.0",
        "[options]\nmax_length = 24",
    )
    code_f, _ = await setup(
        store,
        typed,
        [
            {"id": "f1", "data": {"text": "Transcribe: HI THERE"}},
            {"id": "f2", "data": {"text": "Transcribe: smudge"}},
        ],
    )
    rating = project(
        "rate",
        "rating",
        "min_overlap = 2\nmax_overlap = 2\ngold_rate = 0.0",
        "[options]\nscale = 5",
    )
    code_r, _ = await setup(store, rating, [{"id": "r1", "data": {"text": "How good is it?"}}])
    t = Transcript(recorder, "rich_task_types")
    hal, ida = recorder.person("hal"), recorder.person("ida")
    t.note("ticking labels on a multi-choice card")
    for person, picks in ((hal, ("cat", "dog")), (ida, ("dog", "cat", "✓ cat", "bird"))):
        await t.command(person, "start", code_m)
        for pick in picks:
            await t.tap(person, pick)
        done = next(
            b.label
            for b in (person.screen.buttons() if person.screen else [])
            if b.label.startswith("Done")
        )
        clock.advance(5)
        await t.tap(person, done)
    t.note("typed answers, one too long, one after the task is gone")
    for person in (hal, ida):
        await t.command(person, "start", code_f)
    await t.text(hal, "this answer is far too long to be kept")
    clock.advance(5)
    await t.text(hal, "Hi there")
    await t.text(ida, "hi  there")
    await t.text(hal, "smudge")
    await t.text(ida, "sludge")
    await t.text(hal, "stray words")
    t.note("a rating")
    for person, label in ((hal, "4"), (ida, "2")):
        await t.command(person, "start", code_r)
        clock.advance(5)
        await t.tap(person, label)
    for name in ("multi", "typed", "rate"):
        await t.state(store, name)
    t.check()


async def test_behaviour_signals_word_for_word(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    toml = project(
        "speed",
        "single_choice",
        "min_overlap = 1\nmax_overlap = 1\ngold_rate = 0.0\n"
        "min_seconds = 2.0\nundo_seconds = 0\nconfidence = 0.7",
        'labels = ["pos", "neg", "neu"]',
    )
    code, boss_code = await setup(store, toml, texts(40), manager=True)
    t = Transcript(recorder, "behaviour_signals")
    boss, jo, kim = recorder.person("boss"), recorder.person("jo"), recorder.person("kim")
    await t.command(boss, "start", boss_code or "")
    t.note("jo taps the same label fast; kim skips most tasks")
    await t.command(jo, "start", code)
    await t.command(kim, "start", code)
    for i in range(16):
        clock.advance(0.5)
        await jo.tap("pos")
        clock.advance(0.5)
        await kim.tap("Skip" if i % 4 else "neg")
    t.lines.append("(jo answered 16 times, kim answered 4 and skipped 12)")
    await t.command(jo, "progress")
    await t.command(boss, "review")
    await t.state(store, "speed")
    t.check()


MANAGED = PROJECT + b"confidence = 0.7\n"
"""The chat tests' project, with a bar one answer clears."""


def invite_code(person: Person) -> str:
    screen = person.chat.last()
    found = re.search(r"`([A-Z2-9]{8})`", screen.text if screen else "")
    assert found, "no invite code on screen"
    return found.group(1)


def upload(rows: int, prefix: str = "c", bad_line: int = 0) -> bytes:
    lines = [
        json.dumps({"id": f"{prefix}{i}", "data": {"text": f"cat fact {i}"}})
        if i + 1 != bad_line
        else "{not json"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def test_a_manager_and_a_reviewer_in_chat_word_for_word(store: Store, clock: Clock) -> None:
    recorder = Recorder(
        Core(store, clock=clock, rng=random.Random(11), admins=frozenset({("console", "root")}))
    )
    t = Transcript(recorder, "manager_and_reviewer")
    root, mia, quinn, ann = (recorder.person(n) for n in ("root", "mia", "quinn", "ann"))
    t.note("an admin with no project yet, then the project file")
    await t.command(root, "batches")
    await t.command(mia, "batches")
    await t.command(mia, "review")
    await t.upload(root, "chat.toml", MANAGED)
    await t.command(root, "invite", "manager", "1")
    await t.command(mia, "start", invite_code(root))
    t.note("a batch with a broken line, fixed, cancelled, and its old Publish pressed")
    await t.upload(mia, "first.jsonl", upload(3, bad_line=2), " (line 2 is broken)")
    await t.upload(mia, "first.jsonl", upload(3))
    publish = t.keep(mia, "Publish")
    await t.tap(mia, "Cancel")
    await t.tap_kept(mia, publish)
    await t.upload(mia, "second.jsonl", upload(2, prefix="d"))
    await t.tap(mia, "Publish")
    await t.command(mia, "batches")
    await t.tap(mia, "Pause")
    await t.tap(mia, "Resume")
    t.note("a reviewer and an annotator join")
    await t.command(mia, "invite", "qa")
    await t.command(quinn, "start", invite_code(mia))
    await t.command(mia, "invite", "annotator", "2")
    await t.command(ann, "start", invite_code(mia))
    await t.tap(ann, "Report")
    await t.tap(ann, "Broken")
    await t.command(ann, "review")
    t.note("the reviewer works the queue; then loses the role")
    await t.command(quinn, "review")
    review = t.keep(quinn, "Accept")
    await t.command(mia, "members")
    await t.command(mia, "remove", "3")
    await t.deliver()
    await t.tap_kept(quinn, review)
    await t.command(quinn, "review")
    await t.command(mia, "review")
    await t.tap(mia, "Accept")
    await t.state(store, "chat")
    t.check()
