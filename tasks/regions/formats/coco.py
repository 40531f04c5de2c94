"""COCO (``instances``/``person_keypoints`` JSON): images, categories, ``bbox``,
``segmentation`` polygons and ``keypoints``.

Writing: one COCO image per picture (``tapmark_id`` and ``tapmark_index`` name its item and
its place in the item), categories are the labels numbered from 1; a box is an annotation with
``bbox`` ``[x, y, w, h]``, a polygon one with ``segmentation`` ``[[x1, y1, x2, y2, ...]]`` and
its ``bbox``, a point one with ``keypoints`` ``[x, y, 2]`` in its label's category. Named
keypoints (the project's ``points``) go together, one annotation per picture, in the category
``keypoints`` whose ``keypoints`` are the names (``[0, 0, 0]`` for one not marked). With
scores (a consensus) every annotation has its ``score``.

Reading: each image is an item (images with the same ``tapmark_id`` make one item of several
pictures), named by ``tapmark_id`` or else the image's ``id``. An annotation's
``segmentation`` polygons become polygons when the project takes polygons, else its ``bbox`` a
box (its four-corner polygon in a project of polygons only); an annotation with
``keypoints`` gives its marked points (visibility 1 or 2) and nothing else, named by its
category's ``keypoints`` names, or by the category's name when it has none. An RLE mask
(``iscrowd``) is read as its box when the project takes boxes, and refused otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from tasks.problems import Problem, Row
from tasks.regions.answer import SHAPES, Region, Shape, tenth
from tasks.regions.formats.common import FormatError, ItemRegions, Role, check_role, role_row
from tasks.regions.geometry import polygon_area

KEYPOINT_CATEGORY = "keypoints"


def write_coco(
    items: Sequence[ItemRegions],
    labels: Sequence[str],
    points: Sequence[str] | None = None,
) -> bytes:
    """The items as one COCO JSON file (UTF-8); FormatError for a region whose label is not
    one of `labels` (or a point's not one of `points`)."""
    categories: list[dict[str, Any]] = [
        {"id": k, "name": label, "supercategory": ""} for k, label in enumerate(labels, 1)
    ]
    category = {label: k for k, label in enumerate(labels, 1)}
    keypoint_id = len(labels) + 1
    if points:
        categories.append(
            {
                "id": keypoint_id,
                "name": KEYPOINT_CATEGORY,
                "supercategory": "",
                "keypoints": list(points),
                "skeleton": [],
            }
        )
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for item in items:
        for index, picture in enumerate(item.pictures):
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": picture.file_name,
                    "width": picture.width,
                    "height": picture.height,
                    "tapmark_id": item.id,
                    "tapmark_index": index,
                }
            )
            named: list[tuple[Region, float | None]] = []
            for region, score in item.on(index):
                if region.type == "point" and points:
                    if region.label not in points:
                        raise FormatError(f"item {item.id}: {region.label!r} is not a keypoint")
                    named.append((region, score))
                    continue
                if region.label not in category:
                    raise FormatError(f"item {item.id}: {region.label!r} is not a label")
                entry = _annotation(region)
                entry.update(
                    id=len(annotations) + 1, image_id=image_id, category_id=category[region.label]
                )
                if score is not None:
                    entry["score"] = score
                annotations.append(entry)
            if named and points:
                entry = _keypoints(named, points)
                entry.update(id=len(annotations) + 1, image_id=image_id, category_id=keypoint_id)
                annotations.append(entry)
    document = {
        "info": {"description": "tapmark regions"},
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _annotation(region: Region) -> dict[str, Any]:
    x0, y0, x1, y1 = region.bounds()
    bbox = [x0, y0, tenth(x1 - x0), tenth(y1 - y0)]
    if region.type == "box":
        return {"bbox": bbox, "area": round(region.w * region.h, 2), "iscrowd": 0}
    if region.type == "polygon":
        return {
            "segmentation": [[v for p in region.points for v in p]],
            "bbox": bbox,
            "area": round(polygon_area(region.points), 2),
            "iscrowd": 0,
        }
    return {
        "keypoints": [region.x, region.y, 2],
        "num_keypoints": 1,
        "bbox": [region.x, region.y, 0.0, 0.0],
        "area": 0.0,
        "iscrowd": 0,
    }


def _keypoints(named: list[tuple[Region, float | None]], names: Sequence[str]) -> dict[str, Any]:
    at = {r.label: r for r, _ in named}
    flat: list[float] = []
    for name in names:
        point = at.get(name)
        flat.extend([point.x, point.y, 2] if point else [0, 0, 0])
    xs, ys = [r.x for r, _ in named], [r.y for r, _ in named]
    bbox = [min(xs), min(ys), tenth(max(xs) - min(xs)), tenth(max(ys) - min(ys))]
    entry: dict[str, Any] = {
        "keypoints": flat,
        "num_keypoints": len(at),
        "bbox": bbox,
        "area": round(bbox[2] * bbox[3], 2),
        "iscrowd": 0,
    }
    scores = [s for _, s in named if s is not None]
    if scores:
        entry["score"] = sum(scores) / len(scores)
    return entry


def read_coco(
    content: bytes | str,
    role: Role = "regions",
    shapes: Sequence[Shape] = SHAPES,
) -> list[Row]:
    """Rows of a COCO file, numbered by item (1 for the first image); problems name the JSON
    path (``annotations[4].bbox``)."""
    role = check_role(role)
    try:
        document = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        return [(0, None, [Problem(0, "", f"not COCO JSON ({exc})")])]
    if not isinstance(document, dict) or not isinstance(document.get("images"), list):
        return [(0, None, [Problem(0, "images", "missing: a COCO file lists its images")])]
    problems: list[Problem] = []
    categories = _categories(document.get("categories"), problems)
    images: dict[Any, tuple[int, dict[str, Any]]] = {}
    for k, image in enumerate(document["images"]):
        where = f"images[{k}]"
        if (
            not isinstance(image, dict)
            or not isinstance(image.get("file_name"), str)
            or not _size(image)
        ):
            problems.append(Problem(0, where, "needs id, file_name, width and height"))
            continue
        if image.get("id") in images:
            problems.append(Problem(0, f"{where}.id", f"{image.get('id')!r} repeats"))
            continue
        images[image.get("id")] = (k, image)
    found: dict[Any, list[Region]] = {key: [] for key in images}
    raw_annotations = document.get("annotations") or []
    if not isinstance(raw_annotations, list):
        problems.append(Problem(0, "annotations", "must be a list"))
        raw_annotations = []
    for k, ann in enumerate(raw_annotations):
        where = f"annotations[{k}]"
        if not isinstance(ann, dict) or ann.get("image_id") not in images:
            problems.append(Problem(0, f"{where}.image_id", "names no image of the file"))
            continue
        category = categories.get(ann.get("category_id"))
        if category is None:
            problems.append(Problem(0, f"{where}.category_id", "names no category of the file"))
            continue
        try:
            found[ann["image_id"]].extend(_regions(ann, category, shapes))
        except ValueError as exc:
            problems.append(Problem(0, where, str(exc)))
    if problems:
        return [(0, None, problems)]
    return _rows(images, found, role)


def _size(image: dict[str, Any]) -> bool:
    return all(
        isinstance(image.get(k), int) and not isinstance(image.get(k), bool) and image[k] > 0
        for k in ("width", "height")
    )


def _categories(raw: Any, problems: list[Problem]) -> dict[Any, tuple[str, list[str]]]:
    out: dict[Any, tuple[str, list[str]]] = {}
    for k, category in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(category, dict) or not isinstance(category.get("name"), str):
            problems.append(Problem(0, f"categories[{k}]", "needs id and name"))
            continue
        names = category.get("keypoints")
        out[category.get("id")] = (
            category["name"],
            [str(n) for n in names] if isinstance(names, list) else [],
        )
    return out


def _numbers(value: Any, what: str) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{what} must be a list of numbers")
    return [float(v) for v in value]


def _regions(
    ann: dict[str, Any],
    category: tuple[str, list[str]],
    shapes: Sequence[Shape],
) -> list[Region]:
    """The regions of one annotation, on picture 0 (the item's place is set later)."""
    name, keypoint_names = category
    if ann.get("keypoints") is not None:
        flat = _numbers(ann["keypoints"], "keypoints")
        if len(flat) % 3:
            raise ValueError("keypoints must be x, y, visibility triples")
        out = []
        for k in range(len(flat) // 3):
            x, y, visible = flat[3 * k : 3 * k + 3]
            if visible > 0:
                label = keypoint_names[k] if k < len(keypoint_names) else name
                out.append(Region(0, label, "point", x, y))
        return out
    segmentation = ann.get("segmentation")
    if isinstance(segmentation, list) and segmentation and "polygon" in shapes:
        rings = segmentation if isinstance(segmentation[0], list) else [segmentation]
        out = []
        for ring in rings:
            flat = _numbers(ring, "segmentation")
            if len(flat) % 2:
                raise ValueError("segmentation: a polygon is x, y pairs")
            out.append(
                Region(
                    0,
                    name,
                    "polygon",
                    points=tuple((flat[i], flat[i + 1]) for i in range(0, len(flat), 2)),
                )
            )
        return out
    if isinstance(segmentation, dict) and "box" not in shapes:
        raise ValueError(
            "segmentation: an RLE mask (iscrowd) is not a polygon or a box this project takes"
        )
    if ann.get("bbox") is None:
        raise ValueError("has no bbox, segmentation or keypoints")
    x, y, w, h = _box(ann["bbox"])
    if "box" in shapes or "polygon" not in shapes:
        return [Region(0, name, "box", x, y, w, h)]
    return [Region(0, name, "polygon", points=((x, y), (x + w, y), (x + w, y + h), (x, y + h)))]


def _box(raw: Any) -> tuple[float, float, float, float]:
    values = _numbers(raw, "bbox")
    if len(values) != 4:
        raise ValueError("bbox must be [x, y, width, height]")
    return values[0], values[1], values[2], values[3]


def _place(image: dict[str, Any]) -> int:
    index = image.get("tapmark_index", 0)
    return index if isinstance(index, int) and not isinstance(index, bool) else 0


def _rows(
    images: dict[Any, tuple[int, dict[str, Any]]],
    found: dict[Any, list[Region]],
    role: Role,
) -> list[Row]:
    groups: dict[str, list[Any]] = {}
    for key, (_, image) in sorted(images.items(), key=lambda kv: kv[1][0]):
        own = image.get("tapmark_id")
        groups.setdefault(str(own) if own not in (None, "") else str(image.get("id")), []).append(
            key
        )
    rows = []
    for number, (item_id, keys) in enumerate(groups.items(), start=1):
        keys.sort(key=lambda key: (_place(images[key][1]), images[key][0]))
        refs = [images[key][1]["file_name"] for key in keys]
        sizes = [(images[key][1]["width"], images[key][1]["height"]) for key in keys]
        regions = [
            Region(i, r.label, r.type, r.x, r.y, r.w, r.h, r.points)
            for i, key in enumerate(keys)
            for r in found[key]
        ]
        rows.append(
            role_row(number, item_id, refs, sizes, f"images[{images[keys[0]][0]}]", regions, role)
        )
    return rows
