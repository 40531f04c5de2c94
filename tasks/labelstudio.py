"""Label Studio task JSON (an array of ``{"id", "data", "annotations", "predictions"}``) as
batch rows. An annotation marked ``ground_truth`` with a choice becomes the item's gold answer."""

from __future__ import annotations

import json
from typing import Any

from tasks.problems import Problem, Row


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
        row: dict[str, Any] = {"id": task.get("id", number), "data": task["data"]}
        gold = _ground_truth(task.get("annotations") or [])
        if gold is not None:
            row["gold"] = gold
        rows.append((number, row, []))
    return rows


def _ground_truth(annotations: list[Any]) -> str | None:
    for annotation in annotations:
        if not isinstance(annotation, dict) or not annotation.get("ground_truth"):
            continue
        for result in annotation.get("result") or []:
            choices = (result.get("value") or {}).get("choices") if isinstance(result, dict) \
                else None
            if isinstance(choices, list) and choices:
                return str(choices[0])
    return None
