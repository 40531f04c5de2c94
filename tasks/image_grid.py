"""`image_grid`: mark where something is in a picture by switching grid cells on.

A numbered grid is drawn over the picture at import (`bot.media.images.draw_grid`); the person
switches the cells that show the thing on (a check mark on each) and presses *Done*.
Options: `rows` and `cols` (1 to 8 each, default 4).
Labels: the categories of things to find (COCO categories, numbered from 1 in that order).
Payload: ``image`` (the picture; required), optional ``category`` (one of the labels; default the
first) and ``text`` (shown with the picture).
Answer: ``{"cells": [3, 4, 7], "bbox": [x, y, width, height]}``: cell numbers from 1, row by row,
and the pixel box around them in the stored picture (``null`` when no cell is on). Gold: the
cells, as a list, ``3|4|7`` in a CSV cell, or the answer object; an answer is right when its cells
overlap the gold's by at least half (intersection over union).
Aggregation: each cell on its own (on or off), weighted by the annotators' gold accuracy.
"""

from __future__ import annotations

import json
from typing import Any

from domain.spec import ProjectSpec
from tasks.base import (
    AnswerError,
    Option,
    TaskType,
    TaskView,
    check_int_option,
    int_option,
    json_list,
)
from tasks.choice import MAX_LABELS
from tasks.media import media_reference, stored_media

GRID_VARIANT = "grid"
RIGHT_OVERLAP = 0.5

Box = tuple[int, int, int, int]


def grid_of(spec: ProjectSpec) -> tuple[int, int]:
    """(rows, cols)."""
    return int_option(spec, "rows", 4, 1, 8), int_option(spec, "cols", 4, 1, 8)


def cell_box(cell: int, rows: int, cols: int, width: int, height: int) -> Box:
    """The pixel box (x0, y0, x1, y1) of a cell numbered from 1, row by row."""
    r, c = divmod(cell - 1, cols)
    return (
        c * width // cols,
        r * height // rows,
        (c + 1) * width // cols,
        (r + 1) * height // rows,
    )


def bbox(cells: list[int], rows: int, cols: int, width: int, height: int) -> list[int] | None:
    """``[x, y, width, height]`` in pixels around the cells (None for no cells)."""
    if not cells or width <= 0 or height <= 0:
        return None
    boxes = [cell_box(c, rows, cols, width, height) for c in cells]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return [x0, y0, x1 - x0, y1 - y0]


def category_of(spec: ProjectSpec, data: dict[str, Any]) -> str:
    category = data.get("category")
    if isinstance(category, str) and category in spec.label_values():
        return category
    return spec.labels[0].value if spec.labels else ""


def cells_of(value: str) -> list[int]:
    """The cells of a stored answer (empty when it is not one)."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return []
    cells = decoded.get("cells") if isinstance(decoded, dict) else None
    return [int(c) for c in cells] if isinstance(cells, list) else []


class ImageGrid(TaskType):
    name = "image_grid"
    mode = "toggle"
    aggregation = "multilabel"
    option_keys = frozenset({"rows", "cols"})

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec)
        problems += check_int_option(spec, "rows", 1, 8) + check_int_option(spec, "cols", 1, 8)
        if not spec.labels:
            problems.append("labels: an image_grid task needs at least 1 label (what to find)")
        if len(spec.labels) > MAX_LABELS:
            problems.append(f"labels: at most {MAX_LABELS} categories")
        return problems

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        ref = media_reference(data)
        if ref is None or ref[0] != "image":
            return ["data.image: missing (an image_grid item is a picture)"]
        category = data.get("category")
        if category is not None and category not in spec.label_values():
            return [
                f"data.category: {category!r} is not a label (labels: "
                f"{', '.join(spec.label_values())})"
            ]
        return []

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        rows, cols = grid_of(spec)
        options = tuple(Option(str(n), str(n)) for n in range(1, rows * cols + 1))
        shown = {label.value: label.shown for label in spec.labels}
        category = shown.get(category_of(spec, data), category_of(spec, data))
        text = data.get("text")
        body = text if isinstance(text, str) and text.strip() else ""
        return TaskView(
            prompt=spec.instructions,
            body=body,
            options=options,
            mode="toggle",
            selected=selected,
            columns=cols,
            hint=f"Tick every cell that shows {category}, then press Done (none if there is none).",
            media=stored_media(data, GRID_VARIANT) or stored_media(data),
        )

    def toggled(self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int]) -> str:
        rows, cols = grid_of(spec)
        if any(i >= rows * cols for i in selected):
            raise AnswerError("that cell is not on the grid")
        return self._answer(spec, data, [i + 1 for i in sorted(selected)])

    def _answer(self, spec: ProjectSpec, data: dict[str, Any], cells: list[int]) -> str:
        rows, cols = grid_of(spec)
        media = stored_media(data)
        width, height = (media.width, media.height) if media else (0, 0)
        cells = sorted(set(cells))
        return json.dumps({"cells": cells, "bbox": bbox(cells, rows, cols, width, height)})

    def validate(self, spec: ProjectSpec, value: str) -> str:
        raise AnswerError("cells are switched on with the buttons, then Done")

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        if isinstance(gold, dict):
            gold = gold.get("cells")
        if isinstance(gold, str):
            text = gold.strip()
            if text.startswith("{"):
                try:
                    decoded = json.loads(text)
                except ValueError:
                    raise AnswerError("not valid JSON") from None
                return self.parse_gold(spec, data, decoded)
            parts = (
                json_list(text)
                if text.startswith("[")
                else [p.strip() for p in text.split("|") if p.strip()]
            )
            gold = [int(p) if isinstance(p, str) and p.isdigit() else p for p in parts]
        rows, cols = grid_of(spec)
        if not isinstance(gold, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and 1 <= c <= rows * cols for c in gold
        ):
            raise AnswerError(f"must be cell numbers from 1 to {rows * cols} (in CSV: 3|4|7)")
        return self._answer(spec, data, gold)

    def is_correct(self, spec: ProjectSpec, data: dict[str, Any], gold: str, value: str) -> bool:
        right, given = set(cells_of(gold)), set(cells_of(value))
        if not right and not given:
            return True
        return len(right & given) / len(right | given) >= RIGHT_OVERLAP

    def describe(self, spec: ProjectSpec, value: str) -> str:
        cells = cells_of(value)
        if not cells:
            return "no cells"
        return ("cell " if len(cells) == 1 else "cells ") + ", ".join(map(str, cells))

    def decode(self, value: str) -> Any:
        try:
            return json.loads(value)
        except ValueError:
            return value

    def elements(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        rows, cols = grid_of(spec)
        return [str(n) for n in range(1, rows * cols + 1)]

    def chosen(self, value: str) -> frozenset[str]:
        return frozenset(str(c) for c in cells_of(value))

    def combine(self, spec: ProjectSpec, data: dict[str, Any], chosen: frozenset[str]) -> str:
        return self._answer(spec, data, [int(c) for c in chosen])
