"""The synthetic pictures and crowd, and the crowd's consensus against the truth."""

from __future__ import annotations

import io
import json
import random

import pytest
from PIL import Image

from bot.quality.regions import score_gold
from bot.quality.regions.crowd import simulate, truth_iou
from tasks.regions.answer import Region, canonical_answer, dumps
from tasks.regions.formats import read_coco
from tasks.regions.synth import (
    COLOURS,
    TASKS,
    TaskName,
    dataset_files,
    draw_answer,
    example_set,
    make_crowd,
    rules_for,
)


@pytest.mark.parametrize("task", TASKS)
def test_scenes_are_the_same_for_the_same_seed_and_valid_answers(task: TaskName) -> None:
    scenes = example_set(task, 6, seed=3)
    assert [s.truth for s in scenes] == [s.truth for s in example_set(task, 6, seed=3)]
    assert [s.truth for s in scenes] != [s.truth for s in example_set(task, 6, seed=4)]
    for scene in scenes:
        assert scene.truth
        stored = dumps(scene.truth)
        assert canonical_answer(stored, rules_for(task), [(scene.width, scene.height)]) == stored


def test_the_pictures_show_the_truth() -> None:
    for scene in example_set("bbox", 8):
        image = Image.open(io.BytesIO(scene.jpeg())).convert("RGB")
        assert image.size == (scene.width, scene.height)
        for region in scene.truth:
            centre = image.getpixel((int(region.x + region.w / 2), int(region.y + region.h / 2)))
            assert isinstance(centre, tuple)
            assert (
                min(sum(abs(a - b) for a, b in zip(centre, c, strict=True)) for c in COLOURS) < 60
            ), (scene.name, region)


def test_good_annotators_come_close_and_the_spammer_does_not() -> None:
    crowd = {a.kind: a for a in make_crowd(10, seed=1)}
    rng = random.Random(5)
    scenes = example_set("bbox", 30)
    rules = rules_for("bbox")

    def mean(kind: str) -> float:
        return sum(
            score_gold(s.truth, draw_answer(crowd[kind], s, rules, rng)).score for s in scenes
        ) / len(scenes)

    assert mean("good") > 0.75 > mean("careless") > mean("spammer")
    assert mean("spammer") < 0.1


def test_truth_iou_counts_missed_regions_as_nothing() -> None:
    truth = (Region(0, "car", "box", 0, 0, 10, 10), Region(0, "car", "box", 50, 50, 10, 10))
    assert truth_iou(truth, truth) == 1.0
    assert truth_iou(truth, truth[:1]) == 0.5
    assert truth_iou((), ()) == 1.0 and truth_iou((), truth) == 0.0


def test_the_example_set_as_files() -> None:
    scenes = example_set("polygon", 6)
    files = dataset_files("polygon", scenes, gold_every=3)
    rows = [json.loads(line) for line in files["batch.jsonl"].decode().splitlines()]
    assert [r["data"]["image"] for r in rows] == [f"images/{s.name}" for s in scenes]
    assert all(path in files for path in (r["data"]["image"] for r in rows))
    assert [r.get("gold") for r in rows] == [
        dumps(s.truth) if k % 3 == 0 else None for k, s in enumerate(scenes)
    ]
    truth = {
        row["id"]: row["gold"]
        for _, row, _ in read_coco(files["truth.json"], "gold")
        if row is not None
    }
    assert truth == {s.name.rsplit(".", 1)[0]: dumps(s.truth) for s in scenes}


@pytest.mark.parametrize("task", TASKS)
def test_the_crowds_consensus_beats_the_median_annotator(task: TaskName) -> None:
    report = simulate(task, crowd=10, items=80, seed=2)
    consensus_iou = report["consensus"]["mean_iou"]
    assert consensus_iou > report["median_annotator_mean_iou"] + 0.02
    assert report["done"] + report["disputed"] == 80
    assert report["done"] > 0.8 * 80
    assert 3 <= report["answers_per_item"] <= 5
    people = {p["kind"]: p for p in report["annotators"]}
    assert (
        people["spammer"]["accuracy"] < people["careless"]["accuracy"] < people["good"]["accuracy"]
    )
    assert people["spammer"]["mean_iou"] < 0.1 < consensus_iou
