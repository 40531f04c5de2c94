"""/report and the exports in chat, on a scripted day and a half in Berlin.

Ann answers the gold question and two items on Friday morning; just after midnight (Saturday in
Berlin, still Friday in UTC) Bob answers the gold question wrongly and the same two items (one
like Ann, one not), and Ann one more item after a twenty-minute pause.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import SendFile
from bot.chat.markup import plain
from bot.core import Core
from bot.exports.annotators import COLUMNS
from bot.reports.charts import WIDTH
from bot.reports.report import summary, summary_json, summary_text
from domain.spec import ProjectSpec
from storage.contract import Store
from tasks.readers import read_batch
from tests.conftest import Clock

PROJECT = b"""name = "rep"
title = "Reviews"
task = "single_choice"
labels = ["pos", "neg", "neu"]
timezone = "Europe/Berlin"
[quality]
min_overlap = 2
max_overlap = 2
confidence = 0.6
gold_rate = 1.0
gold_feedback = "never"
[quota]
daily = 3
[pay]
per_task = 0.5
currency = "EUR"
"""

BATCH = b"""{"id": "g", "data": {"text": "gold one"}, "gold": "pos", "explanation": "Clearly."}
{"id": "i1", "data": {"text": "first"}}
{"id": "i2", "data": {"text": "second"}}
{"id": "i3", "data": {"text": "third"}}
{"id": "i4", "data": {"text": "fourth"}}
"""


@dataclass
class Scene:
    recorder: Recorder
    clock: Clock
    root: Person
    ann: Person
    bob: Person
    ann_id: str
    bob_id: str


def last(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


def files(actions: list[Any]) -> list[SendFile]:
    return [a for a in actions if isinstance(a, SendFile)]


async def answer(person: Person, clock: Clock, label: str, seconds: float) -> None:
    clock.advance(seconds)
    await person.tap(label)


@pytest.fixture
async def scene(store: Store, clock: Clock) -> Scene:
    recorder = Recorder(
        Core(store, clock=clock, rng=random.Random(1), admins=frozenset({("console", "root")}))
    )
    root = recorder.person("root")
    await root.upload("rep.toml", PROJECT)
    await root.upload("b1.jsonl", BATCH)
    await root.tap("Publish")
    await root.command("invite", "annotator")
    code = last(root).split()[-1]
    ann, bob = recorder.person("ann", "Ann Lee"), recorder.person("bob", "Bob Stone")
    await ann.command("start", code)  # Friday 15 January 2027, 09:00 in Berlin
    await answer(ann, clock, "pos", 10)  # the gold question, right
    await answer(ann, clock, "pos", 20)
    await answer(ann, clock, "pos", 30)
    clock.now = 1_800_000_000.0 + 15.5 * 3600  # Saturday 00:30 in Berlin, Friday 23:30 UTC
    await bob.command("start", code)
    await answer(bob, clock, "neg", 60)  # the gold question, wrong
    await answer(bob, clock, "pos", 60)
    await answer(bob, clock, "neg", 60)
    await ann.command("next")
    await answer(ann, clock, "pos", 20 * 60)
    async with store.transaction() as tx:
        ann_id = (await tx.member_by_identity("console", "ann")).pseudonym  # type: ignore[union-attr]
        bob_id = (await tx.member_by_identity("console", "bob")).pseudonym  # type: ignore[union-attr]
    return Scene(recorder, clock, root, ann, bob, ann_id, bob_id)


async def test_report_gives_the_figures_of_the_day_and_three_charts(scene: Scene) -> None:
    root = scene.root
    await root.command("deadline", "b1", "2027-01-20")
    actions = await root.command("report")
    text = last(root)
    assert "Report: Reviews · Sat 16 Jan 00:53 (Europe/Berlin)" in text
    assert (
        "b1 (published): ▓▓▓▓▓░░░░░ 2 of 4 items finished (not counting its 1 gold "
        "question), 5 answers; agreement α 0.00"
    ) in text
    assert "Agreement: α 0.00 (Krippendorff's alpha over the items answered at least twice" in text
    assert (
        "due Wed 20 Jan 23:59 (in 5 days); at 0.3 answers an hour, done by Sat 16 Jan 10:" in text
    )
    assert "on time ✓" in text
    assert "Today: 4 answers from 2 annotators" in text
    assert f"Under the daily quota of 3: {scene.ann_id} 1" in text
    assert scene.bob_id not in text.split("Under the daily quota")[1].split("\n")[0]
    assert f"{scene.ann_id}: gold 1/1 (100%); agrees 2/2 (100%)" in text
    assert f"{scene.bob_id}: gold 0/1 (0%); agrees 1/2 (50%)" in text
    pictures = files(actions)
    assert [f.name for f in pictures] == ["rep-answers.png", "rep-batches.png", "rep-quality.png"]
    images = [Image.open(io.BytesIO(picture.data)) for picture in pictures]
    assert all(image.format == "PNG" for image in images)
    # one batch on the deadline chart, two annotators on the quality chart
    assert [image.size for image in images] == [(WIDTH, 620), (WIDTH, 304), (WIDTH, 322)]
    assert all(picture.caption for picture in pictures)
    assert [name for name, _ in root.chat.files][-3:] == [f.name for f in pictures]
    assert "Ann Lee" not in text and "Bob Stone" not in text


async def test_report_is_refused_to_annotators_with_nothing_sent(scene: Scene) -> None:
    for command in (("report",), ("export", "annotators"), ("export", "label-studio")):
        actions = await scene.ann.command(*command)
        assert not files(actions)
        assert [plain(a.screen.text) for a in actions] == ["Only a manager of Reviews can do that."]


async def test_the_annotators_sheet_counts_answers_hours_and_pay(scene: Scene) -> None:
    [sheet] = files(await scene.root.command("export", "annotators"))
    assert sheet.name == "rep-annotators.csv"
    rows = list(csv.reader(io.StringIO(sheet.data.decode())))
    assert rows[0] == COLUMNS
    table = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    assert set(table) == {scene.ann_id, scene.bob_id}
    ann, bob = table[scene.ann_id], table[scene.bob_id]
    # Ann: 10 + 20 + 30 seconds, then twenty minutes cut to the five-minute session gap.
    assert (ann["answers"], ann["active_hours"], ann["earnings"], ann["currency"]) == (
        "4",
        "0.10",
        "2.00",
        "EUR",
    )
    assert (bob["answers"], bob["active_hours"], bob["earnings"]) == ("3", "0.05", "1.50")
    assert (ann["gold_answers"], ann["gold_accuracy"], ann["agreement"]) == (
        "1",
        "1.0000",
        "1.0000",
    )
    assert (bob["gold_accuracy"], bob["compared_answers"], bob["agreement"]) == (
        "0.0000",
        "2",
        "0.5000",
    )
    [saturday] = files(await scene.root.command("export", "annotators", "2027-01-16"))
    days = {r[0]: r for r in csv.reader(io.StringIO(saturday.data.decode()))}
    assert days[scene.ann_id][2:5] == ["1", "0.08", "0.50"]  # Saturday in Berlin only
    assert days[scene.bob_id][2] == "3"
    await scene.root.command("export", "annotators", "2027-02-30")
    assert "'2027-02-30' is not a date" in last(scene.root)


async def test_label_studio_export_has_the_task_format_and_round_trips(scene: Scene) -> None:
    [export] = files(await scene.root.command("export", "label-studio"))
    assert export.name == "rep-label-studio.json"
    tasks = json.loads(export.data)
    assert [t["id"] for t in tasks] == ["g", "i1", "i2", "i3", "i4"]
    by_id = {t["id"]: t for t in tasks}
    for task in tasks:
        assert set(task) == {"id", "data", "meta", "annotations", "predictions"}
        assert task["data"]["tapmark_id"] == task["id"]
        for annotation in task["annotations"]:
            [result] = annotation["result"]
            assert set(result) == {"from_name", "to_name", "type", "value"}
            assert (result["from_name"], result["to_name"], result["type"]) == (
                "label",
                "text",
                "choices",
            )
            assert result["value"]["choices"][0] in {"pos", "neg", "neu"}
            assert "completed_by" not in annotation
    i2 = by_id["i2"]
    assert [a["annotator"] for a in i2["annotations"]] == [scene.ann_id, scene.bob_id]
    assert i2["meta"]["annotators"] == [scene.ann_id, scene.bob_id]
    assert [a["result"][0]["value"]["choices"] for a in i2["annotations"]] == [["pos"], ["neg"]]
    assert all(a["ground_truth"] is False for a in i2["annotations"])
    assert i2["annotations"][0]["created_at"].endswith("Z")
    [prediction] = i2["predictions"]
    assert prediction["model_version"].startswith("tapmark-")
    assert prediction["result"][0]["value"]["choices"] == ["pos"]
    assert 0.6 <= prediction["score"] <= 1.0
    assert by_id["i4"]["predictions"] == [] and by_id["i4"]["annotations"] == []
    gold = by_id["g"]["annotations"][-1]
    assert gold["ground_truth"] is True and gold["result"][0]["value"]["choices"] == ["pos"]

    spec = ProjectSpec.model_validate(
        {
            "name": "again",
            "title": "Again",
            "task": "single_choice",
            "labels": ["pos", "neg", "neu"],
        }
    )
    items = {i.ext_id: i for i in read_batch("rep-label-studio.json", export.data, spec)}
    assert list(items) == ["g", "i1", "i2", "i3", "i4"]
    assert items["g"].gold == "pos" and items["g"].explanation == "Clearly."
    assert items["i3"].gold is None and items["i3"].data == {"text": "third"}
    suggestion = items["i2"].data["suggestion"]
    assert suggestion["label"] == "pos" and suggestion["score"] == prediction["score"]
    assert suggestion["model_version"] == prediction["model_version"]
    assert items["i2"].data["text"] == "second" and "tapmark_id" not in items["i2"].data


async def test_csv_cells_a_spreadsheet_would_run_are_defused(store: Store, clock: Clock) -> None:
    recorder = Recorder(
        Core(store, clock=clock, rng=random.Random(1), admins=frozenset({("console", "root")}))
    )
    root = recorder.person("root")
    await root.upload("rep.toml", PROJECT.replace(b'"EUR"', b'"=SUM(1)"'))
    await root.upload("b1.csv", b"id,text\n=2+3,fine\n@cmd,also fine\n")
    await root.tap("Publish")
    await root.command("invite", "annotator")
    ann = recorder.person("ann")
    await ann.command("start", last(root).split()[-1])
    await answer(ann, clock, "pos", 5)
    [items] = files(await root.command("export", "csv"))
    ids = [row[0] for row in csv.reader(io.StringIO(items.data.decode()))][1:]
    assert ids == ["'=2+3", "'@cmd"]
    [sheet] = files(await root.command("export", "annotators"))
    [row] = list(csv.DictReader(io.StringIO(sheet.data.decode())))
    assert (row["earnings"], row["currency"]) == ("0.50", "'=SUM(1)")


async def test_the_report_names_who_waits_for_work(
    recorder: Recorder, make_project: Any, store: Store, clock: Clock
) -> None:
    code = await make_project(items=1, overlap=1)
    ann, bob = recorder.person("ann"), recorder.person("bob")
    await ann.command("start", code)
    await ann.tap("pos")
    clock.advance(60)
    await bob.command("start", code)
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        s = await summary(tx, project, clock())
        ids = [
            (await tx.member_by_identity("console", n)).pseudonym  # type: ignore[union-attr]
            for n in ("ann", "bob")
        ]
    assert summary_json(s)["waiting_for_work"] == ids, "longest waiting first"
    assert f"Waiting for work: 2 annotators ({ids[0]}, {ids[1]})" in plain(summary_text(s))
    await bob.command("stop")
    async with store.transaction() as tx:
        s = await summary(tx, project, clock())
    assert summary_json(s)["waiting_for_work"] == ids[:1]
