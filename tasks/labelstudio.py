"""Label Studio task JSON (an array of ``{"id", "data", "meta", "annotations", "predictions"}``)
as batch rows.

- The item's id is ``data.tapmark_id`` when present (our own Label Studio export puts it there,
  since Label Studio renumbers the tasks it imports), else the task's ``id``, else its number.
- An annotation marked ``ground_truth`` with a choice makes the item gold; ``meta.explanation``
  then becomes the gold explanation. Other annotations are not imported.
- The first prediction's first choice is kept in the item's data as a model suggestion:
  ``data.suggestion = {"label", "score", "model_version"}`` (score and model_version null when
  the prediction has none). Annotators are not shown it.
"""

from __future__ import annotations

import json
from typing import Any

from tasks.base import SUGGESTION_KEY
from tasks.problems import Problem, Row

ID_KEY = "tapmark_id"


def labelstudio_rows(text: str) -> list[Row]:
    """Rows numbered by task (1-based: "line N" in messages means the N-th task)."""
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        return [(exc.lineno, None, [Problem(exc.lineno, "", f"invalid JSON ({exc.msg})")])]
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        return [(1, None, [Problem(1, "", "expected a list of Label Studio tasks")])]
    rows: list[Row] = []
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            rows.append((number, None, [Problem(number, "data", "missing or not an object")]))
            continue
        data = dict(task["data"])
        own_id = data.pop(ID_KEY, None)
        row: dict[str, Any] = {"id": own_id if own_id not in (None, "") else task.get("id", number),
                               "data": data}
        gold = _ground_truth(task.get("annotations") or [])
        if gold is not None:
            row["gold"] = gold
            meta = task.get("meta")
            if isinstance(meta, dict) and isinstance(meta.get("explanation"), str):
                row["explanation"] = meta["explanation"]
        suggestion = _suggestion(task.get("predictions") or [])
        if suggestion is not None:
            data[SUGGESTION_KEY] = suggestion
        rows.append((number, row, []))
    return rows


def _first_choice(results: Any) -> str | None:
    for result in results if isinstance(results, list) else []:
        choices = (result.get("value") or {}).get("choices") if isinstance(result, dict) \
            else None
        if isinstance(choices, list) and choices:
            return str(choices[0])
    return None


def _ground_truth(annotations: list[Any]) -> str | None:
    for annotation in annotations:
        if isinstance(annotation, dict) and annotation.get("ground_truth"):
            choice = _first_choice(annotation.get("result"))
            if choice is not None:
                return choice
    return None


def _suggestion(predictions: Any) -> dict[str, Any] | None:
    if not isinstance(predictions, list) or not predictions \
            or not isinstance(predictions[0], dict):
        return None
    first = predictions[0]
    label = _first_choice(first.get("result"))
    if label is None:
        return None
    score = first.get("score")
    version = first.get("model_version")
    return {
        "label": label,
        "score": float(score) if isinstance(score, int | float) and
        not isinstance(score, bool) else None,
        "model_version": str(version) if version is not None else None,
    }
