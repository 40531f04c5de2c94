"""Areas, overlaps and distances of regions. Pure: numpy, and shapely for polygons.

`similarity` is what matching uses: the intersection over union of two areas (a box or a
polygon, either way round), or for two points ``exp(-d² / 2σ²)`` with `point_sigma` px (1 at
the same place, 0.61 at one σ, under 0.5 beyond 1.18 σ); regions on different pictures, and a
point against an area, are 0. A self-intersecting polygon counts the area it encloses (shapely's
``make_valid``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray

from tasks.regions.answer import Region, shoelace

FloatArray = NDArray[np.float64]
POINT_SIGMA = 8.0
"""Default σ in pixels of the point similarity."""
SMALL = 64
"""Up to this many pairs a similarity matrix is filled pair by pair (numpy's overhead would
cost more than it saves)."""


def area(region: Region) -> float:
    """The region's area in px² (0 for a point)."""
    if region.type == "box":
        return region.w * region.h
    if region.type == "polygon":
        return float(shapely.area(_geometry(region)))
    return 0.0


def is_area(region: Region) -> bool:
    return region.type != "point"


def _geometry(region: Region) -> shapely.Geometry:
    if region.type == "box":
        return shapely.box(region.x, region.y, region.x + region.w, region.y + region.h)
    polygon = shapely.Polygon(region.points)
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def box_iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """IoU of every box of `a` with every box of `b`, both ``(n, 4)`` as x0, y0, x1, y1."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ix = np.clip(
        np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]),
        0.0,
        None,
    )
    iy = np.clip(
        np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]),
        0.0,
        None,
    )
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.asarray(
        np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0), dtype=np.float64
    )


def iou(a: Region, b: Region) -> float:
    """Intersection over union of two areas (0 when either is a point or they are on
    different pictures)."""
    if a.image != b.image or not is_area(a) or not is_area(b):
        return 0.0
    if a.type == "box" and b.type == "box":
        ix = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
        iy = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
        inter = ix * iy if ix > 0 and iy > 0 else 0.0
        union = a.w * a.h + b.w * b.h - inter
        return inter / union if union > 0 else 0.0
    ga, gb = _geometry(a), _geometry(b)
    inter = float(shapely.area(shapely.intersection(ga, gb)))
    union = float(shapely.area(ga)) + float(shapely.area(gb)) - inter
    return min(1.0, max(0.0, inter / union)) if union > 0 else 0.0


def point_similarity(a: Region, b: Region, sigma: float = POINT_SIGMA) -> float:
    d2 = (a.x - b.x) ** 2 + (a.y - b.y) ** 2
    return math.exp(-d2 / (2.0 * sigma * sigma))


def similarity(a: Region, b: Region, point_sigma: float = POINT_SIGMA) -> float:
    """How alike two regions are, from 0 to 1 (see the module's docstring)."""
    if a.image != b.image:
        return 0.0
    if a.type == "point" and b.type == "point":
        return point_similarity(a, b, point_sigma)
    return iou(a, b)


def similarity_matrix(
    a: Sequence[Region],
    b: Sequence[Region],
    point_sigma: float = POINT_SIGMA,
) -> FloatArray:
    """`similarity` of every region of `a` with every region of `b`, shape ``(len(a),
    len(b))``; boxes and points are done at once with numpy, polygons with shapely."""
    out = np.zeros((len(a), len(b)), dtype=np.float64)
    if not a or not b:
        return out
    if len(a) * len(b) <= SMALL:
        for i, r in enumerate(a):
            for j, s in enumerate(b):
                out[i, j] = similarity(r, s, point_sigma)
        return out
    image_a = np.fromiter((r.image for r in a), np.int64, len(a))
    image_b = np.fromiter((r.image for r in b), np.int64, len(b))
    same = image_a[:, None] == image_b[None, :]
    boxes_a = [i for i, r in enumerate(a) if r.type == "box"]
    boxes_b = [j for j, r in enumerate(b) if r.type == "box"]
    if boxes_a and boxes_b:
        ious = box_iou_matrix(
            np.array([a[i].bounds() for i in boxes_a]), np.array([b[j].bounds() for j in boxes_b])
        )
        out[np.ix_(boxes_a, boxes_b)] = ious
    points_a = [i for i, r in enumerate(a) if r.type == "point"]
    points_b = [j for j, r in enumerate(b) if r.type == "point"]
    if points_a and points_b:
        pa = np.array([(a[i].x, a[i].y) for i in points_a])
        pb = np.array([(b[j].x, b[j].y) for j in points_b])
        d2 = ((pa[:, None, :] - pb[None, :, :]) ** 2).sum(axis=2)
        out[np.ix_(points_a, points_b)] = np.exp(-d2 / (2.0 * point_sigma * point_sigma))
    if any(r.type == "polygon" for r in a) or any(r.type == "polygon" for r in b):
        areas_a = [i for i, r in enumerate(a) if is_area(r)]
        areas_b = [j for j, r in enumerate(b) if is_area(r)]
        for i in areas_a:
            for j in areas_b:
                if (a[i].type == "polygon" or b[j].type == "polygon") and same[i, j]:
                    out[i, j] = iou(a[i], b[j])
    return np.asarray(np.where(same, out, 0.0), dtype=np.float64)


def polygon_area(points: Sequence[tuple[float, float]]) -> float:
    """The area a simple polygon encloses (shoelace), in px²."""
    return abs(shoelace(points))
