"""A simulated crowd: annotators of known skill label the example through the real core.

Each simulated person uses the console recorder exactly as a person at a chat would: they join
with an invite, read the task on screen, tap a label (right with their skill's probability), and
stop when the bot has nothing left for them. The truth they are measured against stays hidden
from the core.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.console.recorder import PLATFORM, Person, Recorder
from bot.chat.markup import plain
from bot.core import Core
from bot.judging.outcome import PRIOR_ACCURACY
from bot.managing.operations import import_batch, make_invite, require_project, save_project
from bot.managing.projectfile import load_project_file
from bot.quality import gold_accuracy
from domain.entities import Project
from domain.enums import ItemStatus, Qualification, Role, RoleStatus
from storage import open_store
from storage.contract import Store
from storage.rows import MemberStats

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "reviews"
MAX_STEPS = 100_000
MIN_GOLD = 10
MAX_CROWD = 1000
"""The largest simulated crowd (each person is a chat of their own in one process)."""


@dataclass
class Worker:
    user_id: str
    kind: str
    skill: float
    pseudonym: str = ""


@dataclass
class Crowd:
    workers: list[Worker]
    truth_by_text: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)


def make_workers(n: int, rng: random.Random) -> list[Worker]:
    """One spammer, about a fifth careless, the rest skilled."""
    workers = [Worker("spammer-1", "spammer", 0.0)]
    careless = max(1, n // 5) if n > 2 else 0
    for i in range(careless):
        workers.append(Worker(f"careless-{i + 1}", "careless", rng.uniform(0.55, 0.65)))
    for i in range(n - 1 - careless):
        workers.append(Worker(f"skilled-{i + 1}", "skilled", rng.uniform(0.82, 0.97)))
    return workers[:n]


def example_size() -> int:
    """How many non-gold items the example batch holds: the most a demo can label."""
    with open(EXAMPLE / "batch.jsonl", encoding="utf-8") as f:
        return sum(1 for line in f if line.strip() and "gold" not in json.loads(line))


def example_items(count: int, batch: str = "") -> tuple[bytes, dict[str, str]]:
    """The first `count` non-gold items of the example batch, with the gold items among them
    (at least `MIN_GOLD`, enough for the qualification and some checks after it), as a JSONL
    file, and the hidden truth by item id. With a `batch` name the ids become
    ``BATCH/ID``, so that several demo runs can share one database (ids are unique in a
    project)."""
    with open(EXAMPLE / "truth.csv", encoding="utf-8") as f:
        truth = {
            f"{batch}/{row['id']}" if batch else row["id"]: row["label"]
            for row in csv.DictReader(f)
        }
    lines: list[str] = []
    taken = gold = 0
    for line in (EXAMPLE / "batch.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if batch:
            row["id"] = f"{batch}/{row['id']}"
            line = json.dumps(row, ensure_ascii=False)
        if "gold" in row:
            gold += 1
            lines.append(line)
        elif taken < count:
            taken += 1
            lines.append(line)
        if taken == count and gold >= MIN_GOLD:
            break
    if taken < count:
        raise ValueError(f"the example holds only {taken} items; ask for at most that many")
    return ("\n".join(lines) + "\n").encode(), truth


async def _work(person: Person, worker: Worker, crowd: Crowd, rng: random.Random) -> None:
    label_values = list(crowd.labels)
    shown_labels = set(crowd.labels.values())
    for _ in range(MAX_STEPS):
        screen = person.screen
        first = _first_button(person)
        if first == "Next task":
            await person.tap("Next task")
            continue
        if screen is None or first not in shown_labels:
            return
        parts = plain(screen.text).split("\n\n")
        truth = next((crowd.truth_by_text[p] for p in parts if p in crowd.truth_by_text), None)
        if truth is None:
            return
        if worker.kind == "spammer":
            choice = rng.choice(label_values)
        elif rng.random() < worker.skill:
            choice = truth
        else:
            choice = rng.choice([v for v in label_values if v != truth])
        await person.tap(crowd.labels[choice])
        await asyncio.sleep(0)


async def _rounds(
    recorder: Recorder, crew: list[tuple[Person, Worker, random.Random]], crowd: Crowd
) -> None:
    """Everyone labels until the bot has nothing for them; then the bot's notes that work came
    back (an item that wants one more answer, say) are delivered, and those told go on."""
    while crew:
        await asyncio.gather(*(_work(p, w, crowd, r) for p, w, r in crew))
        await recorder.deliver()
        crew = [(p, w, r) for p, w, r in crew if _first_button(p) == "Next task"]


def _first_button(person: Person) -> str | None:
    screen = person.screen
    return screen.buttons()[0].label if screen is not None and screen.buttons() else None


async def demo_batch(store: Store, content: bytes, name: str) -> tuple[Project, bool]:
    """The example project (created or brought up to date) with the demo's batch `name`,
    imported and published unless an earlier run on this database did so already; whether it
    was there (the run then resumes it)."""
    project, _ = await save_project(store, load_project_file(EXAMPLE / "project.toml"), update=True)
    async with store.transaction() as tx:
        earlier = any(b.name == name for b in await tx.batches(project.id))
    if not earlier:
        await import_batch(store, project.name, "demo.jsonl", content, True, batch_name=name)
    return project, earlier


async def simulate(
    crowd_size: int, items: int, seed: int, db_url: str | None = None
) -> dict[str, Any]:
    """Run the whole simulation and return the report. On a database where the same
    simulation (crowd, items and seed) ran before, its batch is not imported again: the crowd
    comes back and finishes what is left."""
    rng = random.Random(seed)
    pf = load_project_file(EXAMPLE / "project.toml")
    name = f"crowd-{crowd_size}-{items}-{seed}"
    content, truth = example_items(items, name)
    with tempfile.TemporaryDirectory(prefix="tapmark-demo-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        async with open_store(url) as store:
            project, resumed = await demo_batch(store, content, name)
            invite = await make_invite(store, project.name, Role.ANNOTATOR, None, None)
            core = Core(store, rng=random.Random(seed))
            recorder = Recorder(core)
            by_id = {
                json.loads(line)["id"]: json.loads(line) for line in content.decode().splitlines()
            }
            crowd = Crowd(
                workers=make_workers(crowd_size, rng),
                truth_by_text={row["data"]["text"]: truth[i] for i, row in by_id.items()},
                labels={label.value: label.shown for label in pf.spec.labels},
            )
            people = []
            for worker in crowd.workers:
                person = recorder.person(worker.user_id, worker.user_id)
                await person.command("start", invite.code)
                people.append(person)
            await _rounds(
                recorder,
                [
                    (p, w, random.Random(rng.random()))
                    for p, w in zip(people, crowd.workers, strict=True)
                ],
                crowd,
            )
            report = await _report(store, project.name, crowd, truth, by_id)
            return {**report, "resumed": resumed}


async def _report(
    store: Store,
    project_name: str,
    crowd: Crowd,
    truth: dict[str, str],
    by_id: dict[str, Any],
) -> dict[str, Any]:
    done = disputed = correct = answers = answers_real = 0
    async with store.transaction() as tx:
        project = await require_project(tx, project_name)
        members = await tx.all_member_stats(project.id)
        async for row in tx.export_rows(project.id):
            if row.item.ext_id not in by_id:
                continue
            answers += len(row.answers)
            if row.item.gold is None:
                answers_real += sum(1 for a in row.answers if a.excluded is None)
            if row.item.gold is None and row.result is not None:
                done += row.item.status == ItemStatus.DONE
                disputed += row.item.status == ItemStatus.DISPUTED
                correct += row.result.label == truth[row.item.ext_id]
        status: dict[str, str] = {}
        qualified: dict[str, str] = {}
        for worker in crowd.workers:
            member = await tx.member_by_identity(PLATFORM, worker.user_id)
            worker.pseudonym = member.pseudonym if member else ""
            role = await tx.annotator_role(project.id, member.id) if member else None
            status[worker.pseudonym] = role.status if role else "unknown"
            qualified[worker.pseudonym] = role.qualification if role else "unknown"
    annotators = []
    for w in crowd.workers:
        stats = members.get(w.pseudonym, MemberStats())
        annotators.append(
            {
                "annotator": w.pseudonym,
                "simulated_as": w.kind,
                "true_skill": round(w.skill, 3),
                "answers": stats.answers,
                "gold_answers": stats.gold_total,
                "gold_correct": stats.gold_correct,
                "gold_estimate": round(
                    gold_accuracy(stats.gold_correct, stats.gold_total, PRIOR_ACCURACY).mean, 3
                ),
                "status": status[w.pseudonym],
                "qualification": qualified[w.pseudonym],
            }
        )
    return {
        "project": project_name,
        "crowd": len(crowd.workers),
        "items": sum(1 for r in by_id.values() if "gold" not in r),
        "items_finished": done + disputed,
        "disputed": disputed,
        "answers": answers,
        "labels_per_item": round(answers_real / (done + disputed), 2) if done + disputed else None,
        "accuracy": round(correct / (done + disputed), 4) if done + disputed else None,
        "suspended": sum(1 for s in status.values() if s == RoleStatus.SUSPENDED),
        "failed_qualification": sum(1 for q in qualified.values() if q == Qualification.FAILED),
        "annotators": annotators,
    }
