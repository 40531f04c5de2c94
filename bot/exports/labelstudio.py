"""The Label Studio export: a JSON list of tasks in Label Studio's import format, with every
answer as an annotation and the aggregated result as a prediction.

One task per item::

    {"id": "r1",
     "data": {"text": "...", "tapmark_id": "r1"},
     "meta": {"status": "done", "annotators": ["a-3f9c21d0aa", ...]},
     "annotations": [{"result": [CHOICE], "ground_truth": false, "was_cancelled": false,
                      "lead_time": 2.14, "created_at": "2026-11-27T21:40:03Z",
                      "annotator": "a-3f9c21d0aa"}, ...],
     "predictions": [{"model_version": "tapmark-gold_weighted_posterior", "score": 0.9731,
                      "result": [CHOICE]}]}

where CHOICE is ``{"from_name": "label", "to_name": "text", "type": "choices",
"value": {"choices": ["positive"]}}``: a labeling config with ``<Choices name="label"
toName="text">`` over ``<Text name="text" value="$text"/>`` reads it (`to_name` is the item's
``text`` field, or its first field when it has none). Other task types give other results (see
`region`), for a config with the matching control tag named ``label``. A gold item gets one
more annotation, the gold label with ``"ground_truth": true``, and its explanation in
``meta.explanation``.

Label Studio takes ``completed_by`` only as one of its own user ids or e-mails, so annotations
carry none (Label Studio credits them to whoever imports the file); the pseudonymous annotator
is in each annotation's ``annotator`` and, in annotation order, in ``meta.annotators``, which
Label Studio keeps. ``data.tapmark_id`` keeps our item id through Label Studio's renumbering;
our own import reads it back (see `tasks.labelstudio`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from bot.exports.records import iso
from bot.exports.region_sets import export_region_labelstudio, is_region_task
from bot.exports.regions import with_rectangles
from storage.contract import Tx
from storage.rows import ExportRow
from tasks import task_type
from tasks.base import SUGGESTION_KEY
from tasks.labelstudio import ID_KEY

FROM_NAME = "label"


def shown_field(data: dict[str, Any]) -> str:
    """The data field a Label Studio object tag shows: ``text``, else the first field (a
    model's suggestion aside)."""
    if "text" in data:
        return "text"
    return next((key for key in data if key != SUGGESTION_KEY), "text")


def region(value: str, to_name: str, aggregation: str = "categorical") -> dict[str, Any]:
    """One Label Studio result for a stored answer. Choice tasks give ``choices`` with the
    label; multi_choice and image_grid (stored as a JSON list) all their choices; rating a
    ``rating``; free_text a ``textarea``."""
    kind = "choices"
    content: dict[str, Any] = {"choices": [value]}
    if aggregation == "multilabel":
        try:
            chosen = json.loads(value)
        except ValueError:
            chosen = None
        if isinstance(chosen, list):
            content = {"choices": [str(c) for c in chosen]}
    elif aggregation == "rating":
        try:
            number = float(value)
            kind, content = "rating", {"rating": int(number) if number.is_integer() else number}
        except ValueError:
            pass
    elif aggregation == "text":
        kind, content = "textarea", {"text": [value]}
    return {"from_name": FROM_NAME, "to_name": to_name, "type": kind, "value": content}


def ls_task(row: ExportRow, aggregation: str = "categorical") -> dict[str, Any]:
    item = row.item
    to_name = shown_field(item.data)

    def result(value: str) -> list[dict[str, Any]]:
        return [region(value, to_name, aggregation)]

    annotations: list[dict[str, Any]] = [
        {
            "result": result(a.label),
            "ground_truth": False,
            "was_cancelled": False,
            "lead_time": a.time_ms / 1000,
            "created_at": iso(a.at),
            "annotator": a.annotator,
        }
        for a in row.answers
    ]
    meta: dict[str, Any] = {
        "status": item.status,
        "gold": item.gold is not None,
        "annotators": [a.annotator for a in row.answers],
    }
    if item.gold is not None:
        annotations.append(
            {"result": result(item.gold), "ground_truth": True, "was_cancelled": False}
        )
        if item.explanation:
            meta["explanation"] = item.explanation
    predictions = (
        []
        if row.result is None
        else [
            {
                "model_version": f"tapmark-{row.result.method}",
                "score": round(row.result.confidence, 4),
                "result": result(row.result.label),
            }
        ]
    )
    return {
        "id": item.ext_id,
        "data": {**item.data, ID_KEY: item.ext_id},
        "meta": meta,
        "annotations": annotations,
        "predictions": predictions,
    }


async def export_label_studio(tx: Tx, project_id: int) -> AsyncIterator[str]:
    """The JSON list, one task a line, written as the rows are read."""
    spec = (await tx.project(project_id)).spec
    if is_region_task(spec.task):
        async for chunk in export_region_labelstudio(tx, project_id):
            yield chunk
        return
    aggregation = task_type(spec.task).aggregation
    opened = False
    async for row in tx.export_rows(project_id):
        task = ls_task(row, aggregation)
        if spec.task == "image_grid":  # regions as rectangles (bot.exports.regions)
            task = with_rectangles(spec, row, task)
        yield ("[\n" if not opened else ",\n") + json.dumps(task, ensure_ascii=False)
        opened = True
    yield "\n]\n" if opened else "[]\n"
