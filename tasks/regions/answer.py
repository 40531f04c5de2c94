"""The canonical region answer: parse, check against the project's rules, canonicalise.

An answer is ``{"regions": [Region, ...]}`` stored as JSON with sorted keys and no spaces, in
pixel coordinates of the stored picture (origin top left, x right, y down), every number
rounded to 0.1 px and the regions sorted by (image, type, label, coordinates), so the same
drawing always stores the same string. See `canonical_answer`, the one function a submitted
drawing, a gold answer and a pre-annotation all go through.

Coordinates a little outside the picture (up to `EDGE_SLACK` px, as a drag to the very edge or a
rounding in another tool gives) are moved onto its edge; further out they are refused. A box
drawn right to left or bottom to top (negative width or height) is turned the right way round;
a polygon's repeated neighbouring points and a closing copy of its first point are dropped.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tasks.base import AnswerError

Shape = Literal["box", "polygon", "point"]
SHAPES: tuple[Shape, ...] = ("box", "polygon", "point")
SHAPE_WORDS: dict[str, tuple[str, str]] = {
    "box": ("box", "boxes"),
    "polygon": ("polygon", "polygons"),
    "point": ("point", "points"),
}
EDGE_SLACK = 0.5
"""Pixels a coordinate may lie outside the picture and still be moved onto its edge."""
EMPTY = '{"regions":[]}'

_KEYS: dict[str, frozenset[str]] = {
    "box": frozenset({"image", "label", "type", "x", "y", "w", "h"}),
    "polygon": frozenset({"image", "label", "type", "points"}),
    "point": frozenset({"image", "label", "type", "x", "y"}),
}

Size = tuple[int, int]


@dataclass(frozen=True, slots=True)
class RegionRules:
    """What a project accepts (from its ``[options]``, see `tasks.regions.settings`)."""

    labels: tuple[str, ...]
    shapes: tuple[Shape, ...]
    min_regions: int = 0
    max_regions: int = 50
    min_size: float = 4.0
    points: tuple[str, ...] | None = None
    """Ordered keypoint names: a point's label is one of them, each used once per image."""

    def point_labels(self) -> tuple[str, ...]:
        return self.points if self.points else self.labels


@dataclass(frozen=True, slots=True)
class Region:
    """One marked region. A box uses x, y (top left), w, h; a point x, y; a polygon `points`."""

    image: int
    label: str
    type: Shape
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    points: tuple[tuple[float, float], ...] = field(default=())

    def coords(self) -> tuple[float, ...]:
        if self.type == "box":
            return (self.x, self.y, self.w, self.h)
        if self.type == "point":
            return (self.x, self.y)
        return tuple(v for p in self.points for v in p)

    def sort_key(self) -> tuple[int, str, str, tuple[float, ...]]:
        return (self.image, self.type, self.label, self.coords())

    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1); a point's is the point itself."""
        if self.type == "box":
            return (self.x, self.y, self.x + self.w, self.y + self.h)
        if self.type == "point":
            return (self.x, self.y, self.x, self.y)
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (min(xs), min(ys), max(xs), max(ys))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"image": self.image, "label": self.label, "type": self.type}
        if self.type == "box":
            out.update(x=self.x, y=self.y, w=self.w, h=self.h)
        elif self.type == "point":
            out.update(x=self.x, y=self.y)
        else:
            out["points"] = [[px, py] for px, py in self.points]
        return out


def tenth(value: float) -> float:
    """A coordinate rounded to 0.1 px (never -0.0)."""
    return round(value, 1) + 0.0


def dumps(regions: Sequence[Region]) -> str:
    """The stored string of regions already in canonical form (rounded, inside the picture):
    sorted, JSON with sorted keys and no spaces."""
    ordered = sorted(regions, key=Region.sort_key)
    return json.dumps(
        {"regions": [r.as_json() for r in ordered]}, sort_keys=True, separators=(",", ":")
    )


def rounded(region: Region) -> Region:
    """The region with every coordinate rounded to 0.1 px."""
    return Region(
        region.image,
        region.label,
        region.type,
        tenth(region.x),
        tenth(region.y),
        tenth(region.w),
        tenth(region.h),
        tuple((tenth(px), tenth(py)) for px, py in region.points),
    )


def loads(value: str) -> tuple[Region, ...]:
    """The regions of a stored (canonical) answer, without checking them against any rules.
    AnswerError when it is not a region answer at all."""
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        raise AnswerError("not a region answer (JSON)") from None
    items = decoded.get("regions") if isinstance(decoded, dict) else None
    if not isinstance(items, list):
        raise AnswerError('not a region answer (expected {"regions": [...]})')
    return from_json(items)


def from_json(items: list[Any]) -> tuple[Region, ...]:
    """Regions from their canonical JSON form, not checked against any rules."""
    try:
        return tuple(_trusted(r) for r in items)
    except (KeyError, TypeError, ValueError, IndexError):
        raise AnswerError("not a region answer (a region is malformed)") from None


def _trusted(raw: dict[str, Any]) -> Region:
    kind = raw["type"]
    if kind == "box":
        return Region(
            int(raw["image"]),
            str(raw["label"]),
            "box",
            float(raw["x"]),
            float(raw["y"]),
            float(raw["w"]),
            float(raw["h"]),
        )
    if kind == "point":
        return Region(
            int(raw["image"]), str(raw["label"]), "point", float(raw["x"]), float(raw["y"])
        )
    if kind == "polygon":
        return Region(
            int(raw["image"]),
            str(raw["label"]),
            "polygon",
            points=tuple((float(p[0]), float(p[1])) for p in raw["points"]),
        )
    raise ValueError(kind)


def canonical_answer(
    raw: Any,
    rules: RegionRules,
    sizes: Sequence[Size] | None = None,
    n_images: int | None = None,
) -> str:
    """The stored string of an answer, or AnswerError saying which rule it breaks.

    `raw` is the answer as JSON text or data: ``{"regions": [...]}`` (a bare list of regions
    is taken too). `sizes` are the pictures' (width, height) in pixels, one per picture; without
    them coordinates are only checked to be numbers at or above 0 (a batch being read before
    its pictures are stored) and `n_images`, when given, bounds the ``image`` index.
    """
    return dumps(canonical_regions(raw, rules, sizes, n_images))


def canonical_regions(
    raw: Any,
    rules: RegionRules,
    sizes: Sequence[Size] | None = None,
    n_images: int | None = None,
) -> tuple[Region, ...]:
    """`canonical_answer` as regions, sorted."""
    items = _region_list(raw)
    count = len(sizes) if sizes is not None else n_images
    regions = [
        _region(number, item, rules, sizes, count) for number, item in enumerate(items, start=1)
    ]
    regions.sort(key=Region.sort_key)
    _check_counts(regions, rules, count)
    return tuple(regions)


def _region_list(raw: Any) -> list[Any]:
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise AnswerError("not valid JSON") from None
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"regions"})
        if unknown:
            raise AnswerError(f"unknown field {unknown[0]!r} (an answer holds only regions)")
        raw = raw.get("regions")
    if not isinstance(raw, list):
        raise AnswerError('expected {"regions": [...]}')
    return raw


def _region(
    number: int,
    item: Any,
    rules: RegionRules,
    sizes: Sequence[Size] | None,
    count: int | None,
) -> Region:
    where = f"region {number}"
    if not isinstance(item, dict):
        raise AnswerError(f"{where}: not an object")
    kind = item.get("type")
    if kind not in SHAPES:
        raise AnswerError(f"{where}: type must be box, polygon or point, not {kind!r}")
    if kind not in rules.shapes:
        allowed = ", ".join(SHAPE_WORDS[s][1] for s in rules.shapes)
        raise AnswerError(
            f"{where}: {SHAPE_WORDS[kind][1]} are not allowed here (allowed: {allowed})"
        )
    unknown = sorted(set(item) - _KEYS[kind])
    if unknown:
        raise AnswerError(f"{where}: unknown field {unknown[0]!r} for a {kind}")
    image = item.get("image", 0)
    if isinstance(image, bool) or not isinstance(image, int) or image < 0:
        raise AnswerError(f"{where}: image must be a picture's number from 0")
    if count is not None and image >= count:
        raise AnswerError(
            f"{where}: image {image} is not one of the item's pictures (0 to {count - 1})"
        )
    label = _label(where, item.get("label"), kind, rules)
    size = sizes[image] if sizes is not None else None
    if kind == "box":
        return _box(where, item, image, label, rules, size)
    if kind == "point":
        x, y = _xy(where, item.get("x"), item.get("y"), size)
        return Region(image, label, "point", x, y)
    return _polygon(where, item.get("points"), image, label, rules, size)


def _label(where: str, label: Any, kind: str, rules: RegionRules) -> str:
    allowed = rules.point_labels() if kind == "point" else rules.labels
    if not isinstance(label, str) or label not in allowed:
        what = "keypoint" if kind == "point" and rules.points else "label"
        shown = ", ".join(allowed) or "none"
        raise AnswerError(f"{where}: {label!r} is not a {what} (known: {shown})")
    return label


def _number(where: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AnswerError(f"{where}: {name} must be a number")
    return float(value)


def _inside(where: str, name: str, value: float, limit: float | None) -> float:
    """The coordinate moved onto the picture's edge when it is just outside; AnswerError when
    it is well outside."""
    top = math.inf if limit is None else limit
    if value < -EDGE_SLACK or value > top + EDGE_SLACK:
        edge = "" if limit is None else f" (the picture is 0 to {limit:g})"
        raise AnswerError(f"{where}: {name} = {value:g} is outside the picture{edge}")
    return min(max(value, 0.0), top)


def _xy(where: str, x: Any, y: Any, size: Size | None) -> tuple[float, float]:
    width, height = size if size is not None else (None, None)
    return (
        tenth(_inside(where, "x", _number(where, "x", x), width)),
        tenth(_inside(where, "y", _number(where, "y", y), height)),
    )


def _box(
    where: str,
    item: dict[str, Any],
    image: int,
    label: str,
    rules: RegionRules,
    size: Size | None,
) -> Region:
    x, y = _number(where, "x", item.get("x")), _number(where, "y", item.get("y"))
    w, h = _number(where, "w", item.get("w")), _number(where, "h", item.get("h"))
    if w < 0:
        x, w = x + w, -w
    if h < 0:
        y, h = y + h, -h
    x0, y0 = _xy(where, x, y, size)
    x1, y1 = _xy(where, x + w, y + h, size)
    w, h = tenth(x1 - x0), tenth(y1 - y0)
    _big_enough(where, "a box", w, h, rules)
    return Region(image, label, "box", x0, y0, w, h)


def _big_enough(where: str, what: str, w: float, h: float, rules: RegionRules) -> None:
    if w < rules.min_size - 1e-9 or h < rules.min_size - 1e-9:
        raise AnswerError(
            f"{where}: {what} of {w:g} × {h:g} px is too small (at least "
            f"{rules.min_size:g} px each way)"
        )


def _polygon(
    where: str,
    raw: Any,
    image: int,
    label: str,
    rules: RegionRules,
    size: Size | None,
) -> Region:
    if not isinstance(raw, list):
        raise AnswerError(f"{where}: points must be a list of [x, y] pairs")
    points: list[tuple[float, float]] = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise AnswerError(f"{where}: points must be a list of [x, y] pairs")
        point = _xy(where, pair[0], pair[1], size)
        if not points or points[-1] != point:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise AnswerError(f"{where}: a polygon needs at least 3 different points")
    if abs(shoelace(points)) < 1e-6:
        raise AnswerError(f"{where}: the polygon has no area (its points lie on a line)")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    _big_enough(where, "a polygon", tenth(max(xs) - min(xs)), tenth(max(ys) - min(ys)), rules)
    return Region(image, label, "polygon", points=tuple(points))


def shoelace(points: Sequence[tuple[float, float]]) -> float:
    """The signed area of a polygon (positive when its points run counter-clockwise in a
    y-up frame, that is clockwise on screen)."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return total / 2.0


def _check_counts(regions: Sequence[Region], rules: RegionRules, count: int | None) -> None:
    per_image = Counter(r.image for r in regions)
    pictures = range(count if count is not None else max([0, *per_image]) + 1)
    several = len(pictures) > 1
    word = SHAPE_WORDS[rules.shapes[0]] if len(rules.shapes) == 1 else ("region", "regions")
    for image in pictures:
        n = per_image.get(image, 0)
        on = f" on picture {image + 1}" if several else ""
        if n > rules.max_regions:
            raise AnswerError(f"at most {_many(rules.max_regions, word)}{on}")
        if n < rules.min_regions:
            raise AnswerError(f"at least {_many(rules.min_regions, word)}{on}")
    if rules.points:
        used = Counter((r.image, r.label) for r in regions if r.type == "point")
        for (image, name), n in sorted(used.items()):
            if n > 1:
                on = f" on picture {image + 1}" if several else ""
                raise AnswerError(f"keypoint {name!r} is marked {n} times{on} (once at most)")


def _many(n: int, word: tuple[str, str]) -> str:
    return f"{n} {word[0] if n == 1 else word[1]}"
