"""What the JSONL export adds for task types whose answers are more than a label.

For multi_choice, rating, pairwise, review, free_text and image_grid each answer gains
``"value"`` (the answer as data: a list of labels, a number, the cells and box) and the result
gains ``"value"`` too; the record gains ``"summary"``, how the counted answers add up:

- multi_choice, image_grid: ``{"answers": n, "votes": {label or cell: answers choosing it}}``
  (image_grid adds ``category`` and the picture's ``width`` and ``height``);
- rating: ``{"n", "median", "mean", "q1", "q3", "iqr", "mad", "min", "max", "agreement"}``;
- pairwise: ``{"votes": {"A", "B", "same"}, "a", "b"}`` (the candidates' ids);
- review: ``{"votes", "suggestion", "accepted"}`` (the share of answers that accepted);
- free_text: ``{"variants": [{"text", "count"}], "disagree": bool}``, grouped by the
  normalised form, most frequent first.

single_choice and binary records are left exactly as they were.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from bot.quality.rich import bradley_terry, rating_summary
from domain.spec import ProjectSpec
from storage.contract import StoreError, Tx
from storage.rows import ExportRow
from tasks import task_type
from tasks.free_text import normalise
from tasks.image_grid import category_of
from tasks.media import stored_media
from tasks.pairwise import SAME, A, B, sides
from tasks.rating import tolerance_of
from tasks.review import suggested

PLAIN = ("single_choice", "binary")
OUTCOME = {A: 1.0, B: 0.0, SAME: 0.5}


def typed_record(spec: ProjectSpec, record: dict[str, Any], row: ExportRow) -> dict[str, Any]:
    """`record` (a JSONL export record of `row`) with the type's values and summary."""
    if spec.task in PLAIN:
        return record
    kind = task_type(spec.task)
    for shown, answer in zip(record["answers"], row.answers, strict=True):
        shown["value"] = kind.decode(answer.label)
    if record.get("result") is not None and row.result is not None:
        record["result"]["value"] = kind.decode(row.result.label)
    counted = [a.label for a in row.answers if a.excluded is None]
    record["summary"] = summary(spec, row.item.data, counted)
    return record


def summary(spec: ProjectSpec, data: dict[str, Any], values: list[str]) -> dict[str, Any]:
    """How an item's counted answers add up, by task type (see the module's docstring)."""
    kind = task_type(spec.task)
    if kind.aggregation == "multilabel":
        votes = Counter(e for v in values for e in kind.chosen(v))
        out: dict[str, Any] = {
            "answers": len(values),
            "votes": {e: votes.get(e, 0) for e in kind.elements(spec, data)},
        }
        if spec.task == "image_grid":
            media = stored_media(data)
            out.update(
                category=category_of(spec, data),
                width=media.width if media else 0,
                height=media.height if media else 0,
            )
        return out
    if kind.aggregation == "rating":
        numbers = [float(v) for v in values if v.strip().isdigit()]
        return rating_summary(numbers, tolerance_of(spec)).as_dict() if numbers else {"n": 0}
    if kind.aggregation == "text":
        groups: dict[str, Counter[str]] = {}
        for v in values:
            groups.setdefault(normalise(v), Counter())[v.strip()] += 1
        ranked = sorted(groups.values(), key=lambda c: -sum(c.values()))
        variants = [{"text": c.most_common(1)[0][0], "count": sum(c.values())} for c in ranked]
        return {"variants": variants, "disagree": len(groups) > 1}
    votes = Counter(values)
    out = {"votes": {c: votes.get(c, 0) for c in kind.classes(spec, data)}}
    if spec.task == "pairwise":
        out["a"], out["b"] = sides(data)
    elif spec.task == "review":
        label, _ = suggested(data)
        out["suggestion"] = label
        out["accepted"] = round(votes.get(str(label), 0) / len(values), 4) if values else None
    return out


async def ranking(tx: Tx, project_id: int) -> dict[str, Any]:
    """The Bradley-Terry ranking of a pairwise project's candidates over every counted answer:
    ``{"method", "comparisons", "candidates": [{"rank", "id", "score", "wins", "losses",
    "ties"}]}``, strongest first. A score is a log-strength (their mean is 0): candidate i beats
    j with probability 1 / (1 + exp(score_j - score_i)). Ties ("same") count half a win each
    way."""
    project = await tx.project(project_id)
    if project.spec.task != "pairwise":
        raise StoreError(
            f"the ranking is for pairwise projects; {project.name!r} is {project.spec.task}"
        )
    names: dict[str, int] = {}
    comparisons: list[tuple[int, int, float]] = []
    async for row in tx.export_rows(project_id):
        a, b = sides(row.item.data)
        i, j = names.setdefault(a, len(names)), names.setdefault(b, len(names))
        for answer in row.answers:
            if answer.excluded is None and answer.label in OUTCOME:
                comparisons.append((i, j, OUTCOME[answer.label]))
    fit = bradley_terry(comparisons, len(names))
    ids = list(names)
    return {
        "method": "bradley_terry",
        "comparisons": len(comparisons),
        "candidates": [
            {
                "rank": rank,
                "id": ids[i],
                "score": round(float(fit.score[i]), 4),
                "wins": float(fit.wins[i]),
                "losses": float(fit.losses[i]),
                "ties": float(fit.ties[i]),
            }
            for rank, i in enumerate(fit.order(), start=1)
        ],
    }


async def export_ranking(tx: Tx, project_id: int) -> AsyncIterator[str]:
    yield json.dumps(await ranking(tx, project_id), ensure_ascii=False, indent=1) + "\n"
