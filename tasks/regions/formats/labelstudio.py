"""Label Studio task JSON with ``rectanglelabels``, ``polygonlabels`` and ``keypointlabels``
results, in percent of the picture's width and height.

Reading: each task is an item (tasks with the same ``data.tapmark_id`` make one item of
several pictures, in the order of ``data.tapmark_index``), named by ``data.tapmark_id``, else
the task's ``id``, else its number; its picture is ``data.image`` (else the task's only text
field). The annotation marked ``ground_truth`` becomes the gold; the first prediction the
pre-annotations. Other annotations, and results of other types (choices, text), are not read.
Percentages are placed on the picture the results name (``original_width``,
``original_height``); results without them are placed on a frame of `PERCENT_FRAME` px a side,
which `tasks.regions.items.to_stored` scales onto the stored picture like any other. A rotated
rectangle becomes a polygon when the project takes polygons, and is refused otherwise.

Writing: one task per picture, ``data`` ``{"image", "tapmark_id", "tapmark_index"}``; the
regions as the ground-truth annotation (role ``gold``) or as a prediction with its score
(role ``regions``, a consensus), for the labelling config of `labeling_config`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import quoteattr

from tasks.problems import Problem, Row
from tasks.regions.answer import SHAPES, Region, Shape
from tasks.regions.formats.common import ItemRegions, Role, check_role, make_row

ID_KEY = "tapmark_id"
INDEX_KEY = "tapmark_index"
PERCENT_FRAME = 10_000
TO_NAME = "image"
FROM_NAME: dict[str, str] = {"box": "box", "polygon": "polygon", "point": "keypoint"}
RESULT_TYPE: dict[str, str] = {
    "box": "rectanglelabels",
    "polygon": "polygonlabels",
    "point": "keypointlabels",
}
TAGS: dict[str, str] = {
    "box": "RectangleLabels",
    "polygon": "PolygonLabels",
    "point": "KeyPointLabels",
}
SHAPE_OF = {kind: shape for shape, kind in RESULT_TYPE.items()}


def labeling_config(
    labels: Sequence[str],
    shapes: Sequence[Shape],
    points: Sequence[str] | None = None,
) -> str:
    """The Label Studio labelling config (XML) the written tasks fit."""
    lines = ["<View>", f'  <Image name="{TO_NAME}" value="$image"/>']
    for shape in shapes:
        names = points if shape == "point" and points else labels
        lines.append(f'  <{TAGS[shape]} name="{FROM_NAME[shape]}" toName="{TO_NAME}">')
        lines.extend(f"    <Label value={quoteattr(n)}/>" for n in names)
        lines.append(f"  </{TAGS[shape]}>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def write_labelstudio(items: Sequence[ItemRegions], role: Role = "gold") -> bytes:
    """The items as Label Studio tasks (a JSON list, UTF-8)."""
    role = check_role(role)
    tasks: list[dict[str, Any]] = []
    for item in items:
        for index, picture in enumerate(item.pictures):
            placed = item.on(index)
            results = [
                _result(k, r, s, picture.width, picture.height)
                for k, (r, s) in enumerate(placed, start=1)
            ]
            task: dict[str, Any] = {
                "id": len(tasks) + 1,
                "data": {"image": picture.file_name, ID_KEY: item.id, INDEX_KEY: index},
            }
            if role == "gold":
                task["annotations"] = [{"result": results, "ground_truth": True}]
            else:
                scores = [s for _, s in placed if s is not None]
                prediction: dict[str, Any] = {"result": results, "model_version": "tapmark"}
                if scores:
                    prediction["score"] = min(scores)
                task["predictions"] = [prediction]
            tasks.append(task)
    return json.dumps(tasks, ensure_ascii=False).encode("utf-8")


def _pct(value: float, whole: int) -> float:
    return round(100.0 * value / whole, 8)


def _result(k: int, region: Region, score: float | None, width: int, height: int) -> dict[str, Any]:
    kind = RESULT_TYPE[region.type]
    value: dict[str, Any]
    if region.type == "box":
        value = {
            "x": _pct(region.x, width),
            "y": _pct(region.y, height),
            "width": _pct(region.w, width),
            "height": _pct(region.h, height),
            "rotation": 0,
        }
    elif region.type == "polygon":
        value = {
            "points": [[_pct(x, width), _pct(y, height)] for x, y in region.points],
            "closed": True,
        }
    else:
        value = {"x": _pct(region.x, width), "y": _pct(region.y, height), "width": 1.0}
    value[kind] = [region.label]
    result: dict[str, Any] = {
        "id": f"r{k}",
        "from_name": FROM_NAME[region.type],
        "to_name": TO_NAME,
        "type": kind,
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": value,
    }
    if score is not None:
        result["score"] = score
    return result


def read_labelstudio(content: bytes | str, shapes: Sequence[Shape] = SHAPES) -> list[Row]:
    """Rows of a Label Studio export, numbered by item (1 for the first task); problems name
    the task and result (``annotations[0].result[2]``)."""
    try:
        tasks = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        return [(0, None, [Problem(0, "", f"not Label Studio JSON ({exc})")])]
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        return [(0, None, [Problem(0, "", "expected a list of Label Studio tasks")])]
    groups: dict[str, list[tuple[int, int, dict[str, Any]]]] = {}
    rows: list[Row] = []
    for number, task in enumerate(tasks, start=1):
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            rows.append((number, None, [Problem(number, "data", "missing or not an object")]))
            continue
        own = data.get(ID_KEY)
        item_id = str(own) if own not in (None, "") else str(task.get("id", number))
        index = data.get(INDEX_KEY, 0)
        place = index if isinstance(index, int) and not isinstance(index, bool) else 0
        groups.setdefault(item_id, []).append((place, number, task))
    for item_id, members in groups.items():
        members.sort(key=lambda m: (m[0], m[1]))
        rows.append(_item(item_id, members, shapes))
    rows.sort(key=lambda r: r[0])
    return rows


def _item(
    item_id: str, members: list[tuple[int, int, dict[str, Any]]], shapes: Sequence[Shape]
) -> Row:
    number = members[0][1]
    refs: list[str] = []
    sizes: list[tuple[int, int]] = []
    gold: list[Region] | None = None
    predicted: list[Region] = []
    problems: list[Problem] = []
    for image, (_, task_number, task) in enumerate(members):
        ref = _picture(task["data"])
        if ref is None:
            problems.append(Problem(task_number, "data.image", "missing (the picture)"))
            continue
        refs.append(ref)
        truth = next(
            (
                a
                for a in task.get("annotations") or []
                if isinstance(a, dict) and a.get("ground_truth")
            ),
            None,
        )
        prediction = next(iter(task.get("predictions") or []), None)
        found = {}
        for key, source in (("annotations", truth), ("predictions", prediction)):
            if not isinstance(source, dict):
                continue
            at = (task.get(key) or []).index(source)
            found[key] = (f"{key}[{at}]", source.get("result") or [])
        size = _size([r for _, results in found.values() for r in results if isinstance(r, dict)])
        sizes.append(size)
        for key, (where, results) in found.items():
            try:
                regions = _regions(results, size, shapes, image, where)
            except ValueError as exc:
                problems.append(Problem(task_number, "", str(exc)))
                continue
            if key == "annotations":
                gold = [*(gold or []), *regions]
            else:
                predicted.extend(regions)
    if problems:
        return (number, None, problems)
    return make_row(number, item_id, refs, sizes, "annotations", predicted, gold)


def _picture(data: dict[str, Any]) -> str | None:
    image = data.get("image")
    if isinstance(image, str) and image.strip():
        return image.strip()
    texts = [
        v
        for k, v in data.items()
        if isinstance(v, str) and v.strip() and k not in (ID_KEY, INDEX_KEY)
    ]
    return texts[0].strip() if len(texts) == 1 else None


def _size(results: list[dict[str, Any]]) -> tuple[int, int]:
    for result in results:
        width, height = result.get("original_width"), result.get("original_height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            return width, height
    return PERCENT_FRAME, PERCENT_FRAME


def _regions(
    results: Any, size: tuple[int, int], shapes: Sequence[Shape], image: int, where: str
) -> list[Region]:
    if not isinstance(results, list):
        raise ValueError(f"{where}.result: must be a list")
    width, height = size
    out = []
    for k, result in enumerate(results):
        here = f"{where}.result[{k}]"
        kind = result.get("type") if isinstance(result, dict) else None
        if kind not in SHAPE_OF:
            continue
        value = result.get("value")
        labels = value.get(kind) if isinstance(value, dict) else None
        if not isinstance(labels, list) or not labels or not isinstance(labels[0], str):
            raise ValueError(f"{here}.value.{kind}: missing (the label)")
        try:
            out.append(_region(SHAPE_OF[kind], value, labels[0], width, height, shapes, image))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{here}.value: {exc}") from None
    return out


def _number(value: dict[str, Any], key: str) -> float:
    v = value.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{key} must be a number")
    return float(v)


def _region(
    shape: str,
    value: dict[str, Any],
    label: str,
    width: int,
    height: int,
    shapes: Sequence[Shape],
    image: int,
) -> Region:
    sx, sy = width / 100.0, height / 100.0
    if shape == "point":
        return Region(image, label, "point", _number(value, "x") * sx, _number(value, "y") * sy)
    if shape == "polygon":
        raw = value.get("points")
        if not isinstance(raw, list):
            raise ValueError("points must be a list of [x, y] pairs")
        points = []
        for pair in raw:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("points must be a list of [x, y] pairs")
            points.append((float(pair[0]) * sx, float(pair[1]) * sy))
        return Region(image, label, "polygon", points=tuple(points))
    x, y = _number(value, "x") * sx, _number(value, "y") * sy
    w, h = _number(value, "width") * sx, _number(value, "height") * sy
    rotation = float(value.get("rotation") or 0.0) % 360.0
    if abs(rotation) < 1e-9:
        return Region(image, label, "box", x, y, w, h)
    if "polygon" not in shapes:
        raise ValueError(
            f"a rectangle rotated by {rotation:g}° (the project takes no polygons to hold it)"
        )
    turn = math.radians(rotation)
    cos, sin = math.cos(turn), math.sin(turn)
    corners = ((0.0, 0.0), (w, 0.0), (w, h), (0.0, h))
    return Region(
        image,
        label,
        "polygon",
        points=tuple((x + dx * cos - dy * sin, y + dx * sin + dy * cos) for dx, dy in corners),
    )
