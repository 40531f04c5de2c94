"""A simulated crowd marking the synthetic pictures, and how close its consensus comes to the
truth. Pure: no I/O (the pictures' truth is enough; nothing is drawn).

`simulate` runs the whole quality loop on its own: every annotator first answers gold pictures
(their accuracy is the posterior mean of the gold answers scored right, as
`bot.quality.gold`), then each item gets answers from distinct annotators under dynamic
overlap (`decide_regions`) until done or disputed. The report compares the consensus with the
truth and with the annotators on their own:

- ``mean_iou``: per item, the mean over the true regions of the similarity of the region
  matched to each (IoU; for points the point similarity; 0 when missed), averaged over items;
- ``score``: the gold score of `tasks.regions.scoring` against the truth, which also
  counts stray regions and wrong labels.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.quality.gold import posterior_mean
from bot.quality.overlap import OverlapPolicy
from bot.quality.regions.consensus import consensus_of, decide_regions
from tasks.regions.answer import Region
from tasks.regions.matching import DEFAULT, RegionSettings, match
from tasks.regions.scoring import score_gold
from tasks.regions.synth import TaskName, draw_answer, make_crowd, make_scene, rules_for

GOLD_OFFSET = 1_000_000
"""Gold pictures are numbered from here, apart from the items'."""
_ANY_OVERLAP = RegionSettings(match_iou=1e-9)


def truth_iou(
    truth: Sequence[Region], regions: Sequence[Region], settings: RegionSettings = DEFAULT
) -> float:
    """The mean similarity of each true region to the region matched to it (0 when none);
    1 when there is nothing to find and nothing was marked, 0 when only strays were."""
    if not truth:
        return 1.0 if not regions else 0.0
    tuned = RegionSettings(_ANY_OVERLAP.match_iou, settings.label_bonus, settings.point_sigma)
    return sum(p.similarity for p in match(truth, regions, tuned)) / len(truth)


@dataclass
class _Record:
    id: str
    kind: str
    accuracy: float = 0.0
    gold_right: int = 0
    gold_total: int = 0
    ious: list[float] | None = None


def simulate(
    task: TaskName = "bbox",
    crowd: int = 10,
    items: int = 200,
    seed: int = 0,
    min_overlap: int = 3,
    max_overlap: int = 5,
    confidence: float = 0.9,
    gold: int = 10,
    settings: RegionSettings = DEFAULT,
) -> dict[str, Any]:
    """The crowd's run as a JSON-ready report (see the module's docstring)."""
    if crowd < max(min_overlap, 1):
        raise ValueError("the crowd must have at least min_overlap annotators")
    rules = rules_for(task)
    people = make_crowd(crowd, seed)
    rng = random.Random(f"simulate:{task}:{seed}")
    records = [_Record(p.id, p.kind, ious=[]) for p in people]
    for k in range(gold):
        scene = make_scene(task, GOLD_OFFSET + k, seed)
        for person, record in zip(people, records, strict=True):
            answer = draw_answer(person, scene, rules, rng)
            record.gold_total += 1
            record.gold_right += score_gold(scene.truth, answer, settings).right
    for record in records:
        record.accuracy = posterior_mean(record.gold_right, record.gold_total)
    policy = OverlapPolicy(min_overlap, min(max_overlap, crowd), confidence)
    statuses = {"done": 0, "disputed": 0, "more": 0}
    answers_given = 0
    ious: list[float] = []
    scores: list[float] = []
    for index in range(items):
        scene = make_scene(task, index, seed)
        order = rng.sample(range(crowd), crowd)
        drawn: list[tuple[Region, ...]] = []
        accuracy: list[float] = []
        status = "more"
        for who in order:
            answer = draw_answer(people[who], scene, rules, rng)
            drawn.append(answer)
            accuracy.append(records[who].accuracy)
            iou_list = records[who].ious
            if iou_list is not None:
                iou_list.append(truth_iou(scene.truth, answer, settings))
            if len(drawn) < policy.min_overlap:
                continue
            result = consensus_of(drawn, accuracy, settings)
            status = decide_regions(result, policy).status
            if status != "more":
                break
        statuses[status] += 1
        answers_given += len(drawn)
        ious.append(truth_iou(scene.truth, result.regions, settings))
        scores.append(score_gold(scene.truth, result.regions, settings).score)
    per_person = [
        {
            "id": r.id,
            "kind": r.kind,
            "gold": f"{r.gold_right}/{r.gold_total}",
            "accuracy": round(r.accuracy, 3),
            "answers": len(r.ious or []),
            "mean_iou": round(statistics.fmean(r.ious), 4) if r.ious else None,
        }
        for r in records
    ]
    answered = [float(p["mean_iou"]) for p in per_person if p["mean_iou"] is not None]
    return {
        "task": task,
        "crowd": crowd,
        "items": items,
        "seed": seed,
        "policy": {
            "min_overlap": policy.min_overlap,
            "max_overlap": policy.max_overlap,
            "confidence": confidence,
        },
        "answers": answers_given,
        "answers_per_item": round(answers_given / items, 3) if items else 0.0,
        "done": statuses["done"],
        "disputed": statuses["disputed"],
        "consensus": {
            "mean_iou": round(statistics.fmean(ious), 4) if ious else None,
            "score": round(statistics.fmean(scores), 4) if scores else None,
        },
        "median_annotator_mean_iou": round(statistics.median(answered), 4) if answered else None,
        "annotators": per_person,
    }
