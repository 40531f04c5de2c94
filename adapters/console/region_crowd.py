"""`tapmark demo --task bbox` (or polygon): a simulated crowd draws regions on synthetic pictures
through the real core, as people do in the annotation page.

The project, its pictures (made by Pillow, with known shapes in them; every fifth carries its
truth as gold) and the crowd (one spammer, about a fifth careless, the rest good, from
`tasks.regions.synth`) are made up; everything else is tapmark's own: each person joins with
an invite, takes the page button of their task card, and submits through `PageService` what
they draw, gold included (scored by matched IoU, feeding qualification and suspension), until
the core has nothing more for them. The report compares each item's consensus with the truth.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

from adapters.console.recorder import Person, Recorder
from bot.config import load_settings
from bot.core import Core
from bot.judging.verdicts import PRIOR_ACCURACY
from bot.managing.operations import import_batch, make_invite, require_project, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore, configured_media
from bot.page.service import PageService
from bot.page.views import Next, PageTask
from bot.quality.gold import gold_accuracy
from bot.quality.regions.crowd import truth_iou
from domain.enums import ItemStatus, Qualification, Role, RoleStatus
from storage import open_store
from storage.contract import Store
from tasks.regions.answer import loads
from tasks.regions.synth import (
    Annotator,
    Scene,
    TaskName,
    dataset_files,
    draw_answer,
    example_set,
    make_crowd,
    rules_for,
)
from tasks.values import BatchLimits

REGION_TASKS: tuple[TaskName, ...] = ("bbox", "polygon")
MAX_REGION_ITEMS = 500
"""Pictures a region demo draws, at most (each made by Pillow on the fly)."""
MAX_PAGE_STEPS = 500

PROJECT = """
name = "{name}"
title = "Mark the shapes"
task = "{task}"
labels = {labels}
instructions = "Mark every shape with its name."
lease_minutes = 30

[quality]
min_overlap = 3
max_overlap = 5
confidence = 0.9
gold_rate = 0.15
qualification = {qualification}
min_gold_accuracy = 0.6
gold_min = 4
min_seconds = 0

[options]
max_regions = 10
"""


async def simulate_regions(
    task: TaskName, crowd_size: int, items: int, seed: int, db_url: str | None = None
) -> dict[str, Any]:
    """Run the simulation and return its report (see the module's docstring)."""
    rng = random.Random(seed)
    name = f"{task}-{crowd_size}-{items}-{seed}"
    scenes = example_set(task, items, seed)
    by_id = {scene.name.rsplit(".", 1)[0]: scene for scene in scenes}
    with tempfile.TemporaryDirectory(prefix="tapmark-demo-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        # With --db the pictures stay where a bot on that database keeps them (an export
        # with the pictures reads them there); else they go with the temporary database.
        media = configured_media(load_settings(), url) if db_url else MediaStore(Path(tmp) / "m")
        async with open_store(url) as store:
            code = await region_project(store, media, task, name, scenes)
            core = Core(store, rng=random.Random(seed), media=media)
            recorder, page = Recorder(core), PageService(core)
            crowd = make_crowd(crowd_size, seed)
            people = []
            for worker in crowd:
                person = recorder.person(worker.id, worker.id)
                await person.command("start", code)
                people.append((person, worker, random.Random(rng.random())))
            while people:
                for person, worker, own in people:
                    await _work(page, person, worker, own, by_id)
                await recorder.deliver()
                people = [p for p in people if _label(p[0]) == "Next task"]
                for person, _, _ in people:
                    await person.tap("Next task")
            return await _report(store, name, task, crowd, by_id)


async def region_project(
    store: Store,
    media: MediaStore,
    task: TaskName,
    name: str,
    scenes: list[Scene],
    qualification: int = 3,
) -> str:
    """The project `name` of the synthetic `scenes` (every fifth gold), imported and published
    (unless a batch of that name is there already), with a qualification test of that many
    gold pictures; an annotator invite's code."""
    import io
    import json
    import zipfile

    labels = rules_for(task).labels
    text = PROJECT.format(
        name=name, task=task, labels=json.dumps(list(labels)), qualification=qualification
    )
    project, _ = await save_project(store, parse_project(f"{name}.toml", text), update=True)
    async with store.transaction() as tx:
        imported = any(b.name == "shapes" for b in await tx.batches(project.id))
    if imported:
        return (await make_invite(store, name, Role.ANNOTATOR, None, None)).code
    files = dataset_files(task, scenes, gold_every=5)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            if path != "truth.json":
                archive.writestr(path, data)
    await import_batch(
        store, name, "shapes.zip", buffer.getvalue(), True, media=media, limits=BatchLimits()
    )
    return (await make_invite(store, name, Role.ANNOTATOR, None, None)).code


def _label(person: Person) -> str | None:
    screen = person.screen
    buttons = screen.buttons() if screen is not None else []
    return buttons[0].label if buttons else None


async def _work(
    page: PageService,
    person: Person,
    worker: Annotator,
    rng: random.Random,
    by_id: dict[str, Scene],
) -> None:
    """Open the page from the card on screen, then draw and submit until the page has nothing
    more (or refuses)."""
    screen = person.screen
    lease = next((b.page for b in screen.buttons() if b.page), "") if screen else ""
    if not lease:
        return
    who = f"console:{worker.id}"
    task: Next = await page.task(who, lease)
    for _ in range(MAX_PAGE_STEPS):
        if not isinstance(task, PageTask):
            return
        drawn = draw_answer(worker, by_id[task.item_id], task.rules, rng)
        task = await page.submit(who, task.lease, {"regions": [r.as_json() for r in drawn]})


async def _report(
    store: Store, name: str, task: TaskName, crowd: list[Annotator], by_id: dict[str, Scene]
) -> dict[str, Any]:
    ious, answers, disputed, finished, items = [], 0, 0, 0, 0
    async with store.transaction() as tx:
        project = await require_project(tx, name)
        stats = await tx.all_member_stats(project.id)
        async for row in tx.export_rows(project.id):
            if row.item.gold is not None:
                continue
            items += 1
            answers += sum(1 for a in row.answers if a.excluded is None)
            if row.item.status in (ItemStatus.DONE, ItemStatus.DISPUTED) and row.result:
                finished += 1
                disputed += row.item.status == ItemStatus.DISPUTED
                ious.append(truth_iou(by_id[row.item.ext_id].truth, loads(row.result.label)))
        people = []
        for worker in crowd:
            member = await tx.member_by_identity("console", worker.id)
            role = await tx.annotator_role(project.id, member.id) if member else None
            pseudonym = member.pseudonym if member else ""
            got = stats.get(pseudonym)
            people.append(
                {
                    "annotator": pseudonym,
                    "simulated_as": worker.kind,
                    "answers": got.answers if got else 0,
                    "gold_answers": got.gold_total if got else 0,
                    "gold_correct": got.gold_correct if got else 0,
                    "gold_estimate": round(
                        gold_accuracy(
                            got.gold_correct if got else 0,
                            got.gold_total if got else 0,
                            PRIOR_ACCURACY,
                        ).mean,
                        3,
                    ),
                    "status": role.status if role else "unknown",
                    "qualification": role.qualification if role else "unknown",
                }
            )
    return {
        "project": name,
        "task": task,
        "crowd": len(crowd),
        "items": items,
        "items_finished": finished,
        "disputed": disputed,
        "answers_per_item": round(answers / items, 2) if items else None,
        "consensus_mean_iou": round(statistics.fmean(ious), 3) if ious else None,
        "suspended": sum(1 for p in people if p["status"] == RoleStatus.SUSPENDED),
        "failed_qualification": sum(
            1 for p in people if p["qualification"] == Qualification.FAILED
        ),
        "annotators": people,
    }
