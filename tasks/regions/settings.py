"""A region project's settings: its labels and the ``[options]`` of REGIONS_SPEC.

- ``shapes``: the shapes allowed, from ``"box"``, ``"polygon"``, ``"point"``; by default the
  task type's own (`bbox` boxes, `polygon` polygons, `keypoints` points);
- ``min_regions`` (0) and ``max_regions`` (50), per picture;
- ``min_size`` (4 px): a box's width and height, a polygon's bounding box, at least;
- ``points``: ordered keypoint names; a point's label is then one of them, each once a picture.
"""

from __future__ import annotations

from typing import Any

from domain.spec import ProjectSpec
from tasks.regions.answer import SHAPES, RegionRules, Shape

OPTION_KEYS = frozenset({"shapes", "min_regions", "max_regions", "min_size", "points"})
DEFAULT_SHAPES: dict[str, tuple[Shape, ...]] = {
    "bbox": ("box",),
    "polygon": ("polygon",),
    "keypoints": ("point",),
}
MAX_REGIONS = 1000
MAX_SIZE = 10_000.0
MAX_NAMES = 100


def rules_of(spec: ProjectSpec) -> RegionRules:
    """The rules an answer to this project is checked against (the options already checked
    by `check_options`; a bad value falls back to its default)."""
    options = spec.options
    shapes = options.get("shapes")
    chosen = tuple(s for s in SHAPES if isinstance(shapes, list) and s in shapes)
    points = options.get("points")
    return RegionRules(
        labels=tuple(spec.label_values()),
        shapes=chosen or DEFAULT_SHAPES.get(spec.task, ("box",)),
        min_regions=_int(options, "min_regions", 0),
        max_regions=_int(options, "max_regions", 50),
        min_size=_float(options, "min_size", 4.0),
        points=tuple(points) if isinstance(points, list) and points else None,
    )


def _int(options: dict[str, Any], key: str, default: int) -> int:
    value = options.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(options: dict[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def check_options(spec: ProjectSpec) -> list[str]:
    """Problems with a region project's options and labels (empty when fine)."""
    options = spec.options
    problems: list[str] = []
    shapes = options.get("shapes")
    if shapes is not None and (
        not isinstance(shapes, list)
        or not shapes
        or any(s not in SHAPES for s in shapes)
        or len(set(shapes)) != len(shapes)
    ):
        problems.append(
            'options: shapes: must be a list from "box", "polygon", "point" '
            f"(each once), not {shapes!r}"
        )
    for key, low, default in (("min_regions", 0, 0), ("max_regions", 1, 50)):
        value = options.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_REGIONS:
            problems.append(
                f"options: {key}: must be a whole number from {low} to {MAX_REGIONS}, not {value!r}"
            )
    low_n, high_n = options.get("min_regions", 0), options.get("max_regions", 50)
    if isinstance(low_n, int) and isinstance(high_n, int) and low_n > high_n:
        problems.append(f"options: min_regions ({low_n}) is more than max_regions ({high_n})")
    size = options.get("min_size", 4.0)
    if isinstance(size, bool) or not isinstance(size, int | float) or not 0 <= size <= MAX_SIZE:
        problems.append(
            f"options: min_size: must be a number of pixels from 0 to {MAX_SIZE:g}, not {size!r}"
        )
    points = options.get("points")
    rules = rules_of(spec)
    if points is not None:
        if (
            not isinstance(points, list)
            or not points
            or len(points) > MAX_NAMES
            or any(not isinstance(p, str) or not p.strip() for p in points)
            or len(set(points)) != len(points)
        ):
            problems.append(
                f"options: points: must be a list of up to {MAX_NAMES} distinct keypoint names"
            )
        elif "point" not in rules.shapes:
            problems.append(
                "options: points: names keypoints, but the project's shapes have no point"
            )
    if any(s in rules.shapes for s in ("box", "polygon")) and not spec.labels:
        problems.append("labels: boxes and polygons need at least 1 label (what to mark)")
    if "point" in rules.shapes and not rules.point_labels():
        problems.append("labels: points need labels or options.points (the keypoint names)")
    return problems
