"""Skill routing in the live assignment path: who gets which item, gold for the unknown, the
skill model the scheduler keeps, stopping on it, and the final aggregation when a batch closes."""

from __future__ import annotations

import json
import re

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.jobs.scheduler import run_due
from bot.managing.batches import MOVES, move_batch
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from domain.entities import Result
from domain.enums import BatchStatus, ItemStatus, Role
from storage.contract import Store
from storage.rows import StoredSkills
from tests.conftest import BOTH_ENGINES, PROJECT_TOML, Clock, raw

pytestmark = BOTH_ENGINES

SKILL = 'routing = "skill"\nexploration = 0.0\ngold_feedback = "never"'


async def _project(
    store: Store, overlap: int, max_overlap: int, gold_rate: float = 0.0, extra: str = SKILL
) -> str:
    """An empty project "t"; returns an annotator invite code."""
    text = PROJECT_TOML.format(
        name="t", overlap=overlap, max_overlap=max_overlap, gold_rate=gold_rate, extra=extra
    )
    await save_project(store, parse_project("t.toml", text), update=False)
    return (await make_invite(store, "t", Role.ANNOTATOR, None, None)).code


def lines(texts: list[str], gold: str | None = None) -> bytes:
    rows = []
    for text in texts:
        row: dict[str, object] = {"id": text, "data": {"text": text}}
        if gold is not None:
            row["gold"] = gold
        rows.append(json.dumps(row))
    return ("\n".join(rows) + "\n").encode()


def card(person: Person) -> str:
    last = person.chat.last()
    return plain(last.text) if last is not None else ""


async def _set_batches(store: Store, status: BatchStatus) -> None:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        for batch in await tx.batches(project.id):
            await tx.set_batch_status(batch.id, status)


async def _members(store: Store) -> dict[str, int]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        return {r.member.name: r.member.id for r in await tx.project_members(project.id)}


def _matrix(right: float, wrong: float) -> list[list[float]]:
    return [[right if t == a else wrong for a in range(3)] for t in range(3)]


async def _save_skills(store: Store, skills: dict[int, list[list[float]]], gold: int) -> None:
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        await tx.save_skill_model(
            project.id,
            StoredSkills(
                labels=["pos", "neg", "neu"],
                class_prior=[1 / 3] * 3,
                answers=0,
                last_answer=0,
                refreshed_at=0.0,
                counts=skills,
                gold_answers={m: gold for m in skills},
            ),
        )


async def _split_and_paused(
    recorder: Recorder, store: Store, routing: str, gold_rate: float = 0.0
) -> str:
    """Project "t" (3 to 5 answers) whose one item, "split me", Alice and Bob split on; its
    batch then paused. Returns the invite code."""
    extra = f'routing = "{routing}"\nexploration = 0.0\ngold_feedback = "never"'
    code = await _project(store, 3, 5, gold_rate, extra)
    await import_batch(store, "t", "b1.jsonl", lines(["split me"]), True)
    for name, label in (("alice", "pos"), ("bob", "neg")):
        person = recorder.person(name)
        await person.command("start", code)
        await person.tap(label)
    await _set_batches(store, BatchStatus.PAUSED)
    return code


@pytest.mark.parametrize("routing", ["skill", "arrival"])
async def test_the_item_strong_annotators_split_on_goes_to_a_strong_one_not_a_weak_one(
    recorder: Recorder, store: Store, routing: str
) -> None:
    """Alice and Bob (both strong) split on "split me"; a fresh item comes in. With skill
    routing, Dave (near chance) gets the fresh item and Carol (strong) the split one; in
    arrival order Dave, asking first, gets the split one (most answers first)."""
    code = await _split_and_paused(recorder, store, routing)
    carol, dave = recorder.person("carol"), recorder.person("dave")
    await carol.command("start", code)
    await dave.command("start", code)
    assert "split me" not in card(carol) + card(dave)
    await import_batch(store, "t", "b2.jsonl", lines(["fresh one"]), False)
    ids = await _members(store)
    strong, weak = _matrix(60.0, 1.0), _matrix(8.0, 6.0)
    await _save_skills(
        store,
        {ids["alice"]: strong, ids["bob"]: strong, ids["carol"]: strong, ids["dave"]: weak},
        9,
    )
    await _set_batches(store, BatchStatus.PUBLISHED)
    await dave.command("next")
    await carol.command("next")
    if routing == "skill":
        assert "fresh one" in card(dave) and "split me" in card(carol)
    else:
        assert "split me" in card(dave) and "fresh one" in card(carol)


async def test_someone_whose_skill_is_unknown_gets_gold_questions_first(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    code = await _project(store, 1, 1, gold_rate=0.01)
    await import_batch(store, "t", "g.jsonl", lines([f"gold {i}" for i in range(7)], "pos"), True)
    await import_batch(store, "t", "b.jsonl", lines([f"real {i}" for i in range(7)]), True)
    alice = recorder.person("alice")
    await alice.command("start", code)
    seen = []
    for _ in range(7):
        seen.append(re.findall(r"(?:gold|real) \d", card(alice))[0])
        await alice.tap("pos")
    shown = " ".join(seen)
    assert shown.count("gold") == 5 and shown.count("real") == 2, seen
    async with store.transaction() as tx:
        rows = await raw(tx, "SELECT COUNT(*) FROM answers WHERE correct IS NOT NULL")
    assert rows[0][0] == 5


async def test_the_scheduler_estimates_skills_from_all_answers_and_stopping_uses_them(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    """Gold says Alice and Bob are right and Eve always wrong; once the scheduler has
    estimated the model, Alice's and Bob's two answers settle an item at 0.97 (at the prior,
    75% right each, two answers give 0.95)."""
    code = await _project(
        store, 2, 4, gold_rate=1.0, extra=SKILL + "\nmin_gold_accuracy = 0.0\nconfidence = 0.97"
    )
    gold = ["pos", "neg", "neu", "pos", "neg"]
    await import_batch(
        store,
        "t",
        "g.jsonl",
        b"".join(lines([f"gold {i}"], g) for i, g in enumerate(gold)),
        True,
    )
    await import_batch(store, "t", "b.jsonl", lines(["real one"]), True)
    people = {n: recorder.person(n) for n in ("alice", "bob", "eve")}
    wrong = {"pos": "neg", "neg": "neu", "neu": "pos"}
    for name, person in people.items():
        await person.command("start", code)
        for _ in range(len(gold)):
            i = int(re.findall(r"gold (\d)", card(person))[0])
            await person.tap(gold[i] if name != "eve" else wrong[gold[i]])
    assert (await run_due(store, clock()))["skills"] == 1
    assert (await run_due(store, clock()))["skills"] == 0, "no new answers, no new estimate"
    ids = await _members(store)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        model = await tx.skill_model(project.id, list(ids.values()))
    assert model is not None
    for name in ("alice", "bob"):
        counts = model.counts[ids[name]]
        assert all(counts[k][k] > 0.9 for k in range(3)), (name, counts)
    assert all(model.counts[ids["eve"]][k][k] < 0.5 for k in range(3))
    assert model.gold_answers == {ids[n]: 5 for n in ids}

    assert "No tasks" in card(people["eve"]), "the one item is leased twice, its target"
    for name in ("alice", "bob"):
        assert "real one" in card(people[name])
        await people[name].tap("pos")
    async with store.transaction() as tx:
        rows = await raw(
            tx,
            "SELECT i.status, r.label, r.method, r.confidence FROM items i"
            " JOIN results r ON r.item_id = i.id WHERE i.ext_id = 'real one'",
        )
    assert rows and rows[0][:3] == ("done", "pos", "skill_posterior")
    assert rows[0][3] >= 0.97


async def _outcomes(store: Store) -> dict[str, tuple[str, str, str, float]]:
    async with store.transaction() as tx:
        rows = await raw(
            tx,
            "SELECT i.ext_id, i.status, r.label, r.method, r.confidence FROM items i"
            " JOIN results r ON r.item_id = i.id WHERE i.gold IS NULL",
        )
    return {r[0]: (r[1], r[2], r[3], float(r[4])) for r in rows}


async def test_closing_a_batch_recomputes_its_results_by_dawid_skene_and_keeps_qa_decisions(
    recorder: Recorder, store: Store, clock: Clock
) -> None:
    """Alice is right on every gold question, Eve wrong on every one. They split on two
    items, which are disputed at the overlap limit (the skill model was never estimated, so
    both are at the prior); QA decides one of them. Closing the batch sides with Alice on the
    other, with a confidence, and leaves QA's decision."""
    code = await _project(store, 2, 2, gold_rate=1.0, extra=SKILL + "\nmin_gold_accuracy = 0.0")
    gold = ["pos", "neg", "neu", "pos", "neg"]
    await import_batch(
        store, "t", "g.jsonl", b"".join(lines([f"gold {i}"], g) for i, g in enumerate(gold)), True
    )
    await import_batch(store, "t", "b.jsonl", lines(["first", "second"]), True)
    wrong = {"pos": "neg", "neg": "neu", "neu": "pos"}
    for name in ("alice", "eve"):
        person = recorder.person(name)
        await person.command("start", code)
        for _ in range(len(gold)):
            i = int(re.findall(r"gold (\d)", card(person))[0])
            await person.tap(gold[i] if name == "alice" else wrong[gold[i]])
        for _ in range(2):
            await person.tap("pos" if name == "alice" else "neg")
    before = await _outcomes(store)
    assert {k: v[0] for k, v in before.items()} == {"first": "disputed", "second": "disputed"}
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        (second,) = await raw(tx, "SELECT id FROM items WHERE ext_id = 'second'")
        await tx.set_item_outcome(
            second[0],
            ItemStatus.DONE,
            Result(item_id=second[0], label="neu", confidence=1.0, method="qa"),
            clock(),
        )
        batch = next(b for b in await tx.batches(project.id) if b.name == "b")
        await move_batch(tx, project, batch, MOVES["close"], None, clock())
    after = await _outcomes(store)
    assert after["second"] == ("done", "neu", "qa", 1.0)
    status, label, method, confidence = after["first"]
    assert (status, label, method) == ("disputed", "pos", "dawid_skene")
    assert 0.5 < confidence < 1.0


@pytest.mark.parametrize("gold_rate", [0.0, 1e-9], ids=["no-gold", "gold-first"])
async def test_a_woken_person_gets_the_item_their_wake_promised_not_routings_choice(
    recorder: Recorder, store: Store, clock: Clock, gold_rate: float
) -> None:
    """Dave (weak) waits; a fresh batch goes live and the wake promises him the last slot of
    "split me" (the others were not told about that slot). Routing alone would give him the
    fresh item; he gets the promised one. In "gold-first" the project has gold questions and
    Dave has answered none, so routing would give him gold first (the rate's own draw never
    does): the promise still comes first."""
    code = await _split_and_paused(recorder, store, "skill", gold_rate)
    dave = recorder.person("dave")
    await dave.command("start", code)
    assert "No tasks" in card(dave)
    if gold_rate:
        await import_batch(store, "t", "g.jsonl", lines(["gold one"], "pos"), True)
    await import_batch(store, "t", "b2.jsonl", lines(["fresh one"]), False)
    ids = await _members(store)
    strong, weak = _matrix(60.0, 1.0), _matrix(8.0, 6.0)
    await _save_skills(
        store,
        {ids["alice"]: strong, ids["bob"]: strong, ids["dave"]: weak},
        0 if gold_rate else 9,
    )
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        batches = await tx.batches(project.id)
        b1, b2 = sorted((b for b in batches if b.name.startswith("b")), key=lambda b: b.name)
        await tx.set_batch_status(b1.id, BatchStatus.PUBLISHED)
        await move_batch(tx, project, b2, MOVES["publish"], None, clock())
        rows = await raw(
            tx,
            "SELECT i.ext_id FROM roles r JOIN items i ON i.id = r.woken_item"
            " WHERE r.member_id = ?",
            ids["dave"],
        )
    assert [r[0] for r in rows] == ["split me"]
    await dave.command("next")
    assert "split me" in card(dave)
