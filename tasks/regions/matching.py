"""Matching the regions of two answers one to one (Hungarian, SciPy's linear_sum_assignment).

Two regions may be matched when their similarity (`tasks.regions.geometry.similarity`: IoU for
areas, a Gaussian of the distance for points) is at least `RegionSettings.match_iou`. Among
the allowed pairings the one with the largest total weight wins, a pair's weight being its
similarity plus `label_bonus` when the labels agree, so of two overlapping regions (a rider on
a horse) each is matched with the one of its own label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from tasks.regions.answer import Region
from tasks.regions.geometry import POINT_SIGMA, FloatArray, similarity_matrix


@dataclass(frozen=True, slots=True)
class RegionSettings:
    """The knobs of region matching, consensus and gold scoring."""

    match_iou: float = 0.5
    """The least similarity for two regions to count as the same thing (COCO's IoU 0.5)."""
    cluster_iou: float = 0.3
    """The least similarity for a region to join a cluster of other annotators' regions in a
    consensus (looser than `match_iou`: joining is not agreeing, see
    `bot.quality.regions.consensus`)."""
    label_bonus: float = 0.5
    point_sigma: float = POINT_SIGMA
    prior_accuracy: float = 0.75
    """The accuracy assumed for an annotator with no gold record yet."""
    right_score: float = 0.5
    """The gold score (see `tasks.regions.scoring`) from which a gold answer is right."""

    def __post_init__(self) -> None:
        if not 0.0 < self.match_iou <= 1.0 or not 0.0 < self.cluster_iou <= 1.0:
            raise ValueError("match_iou and cluster_iou must lie in (0, 1]")
        if self.label_bonus < 0 or self.point_sigma <= 0:
            raise ValueError("label_bonus must be >= 0 and point_sigma > 0")


DEFAULT = RegionSettings()


@dataclass(frozen=True, slots=True)
class Pair:
    """Region `a` of the first answer matched with region `b` of the second."""

    a: int
    b: int
    similarity: float
    same_label: bool


IDENTICAL_BONUS = 1e-6
"""What an exact copy adds to a pair's weight: between two equally good matchings (two regions
of one answer covering the same area, a similarity one float step under 1) the one pairing
each region with its copy wins. Too small to outweigh any real difference in similarity."""


def assign(
    sim: FloatArray,
    same_label: np.ndarray,
    settings: RegionSettings = DEFAULT,
    least: float | None = None,
    identical: np.ndarray | None = None,
) -> list[Pair]:
    """The matching for a similarity matrix and its label agreement (same shape; `identical`:
    which pairs are exact copies); pairs need a similarity of at least `least` (default
    `match_iou`)."""
    if sim.size == 0:
        return []
    allowed = sim >= (settings.match_iou if least is None else least) - 1e-12
    if not allowed.any():
        return []
    weight = np.where(allowed, sim + settings.label_bonus * same_label, 0.0)
    if identical is not None:
        weight = weight + IDENTICAL_BONUS * (identical & allowed)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    return [
        Pair(int(i), int(j), float(sim[i, j]), bool(same_label[i, j]))
        for i, j in zip(rows, cols, strict=True)
        if allowed[i, j]
    ]


def label_agreement(a: Sequence[Region], b: Sequence[Region]) -> np.ndarray:
    return np.array([[r.label == s.label for s in b] for r in a], dtype=bool).reshape(
        len(a), len(b)
    )


def match(
    a: Sequence[Region],
    b: Sequence[Region],
    settings: RegionSettings = DEFAULT,
    least: float | None = None,
) -> list[Pair]:
    """The one-to-one matching of two answers' regions (regions on different pictures never
    match); pairs need a similarity of at least `least` (default `match_iou`)."""
    sim = similarity_matrix(a, b, settings.point_sigma)
    return assign(sim, label_agreement(a, b), settings, least, _copies(a, b, sim))


def _copies(a: Sequence[Region], b: Sequence[Region], sim: FloatArray) -> np.ndarray | None:
    """Which pairs are exact copies, where it matters: when a region is as alike as can be to
    more than one (otherwise the matching is the same without it, and this costs nothing)."""
    if sim.size == 0 or sim.max() < 1.0 - 1e-9:
        return None
    near = sim >= 1.0 - 1e-9
    if near.sum(axis=0).max() < 2 and near.sum(axis=1).max() < 2:
        return None
    identical = np.zeros(sim.shape, dtype=bool)
    for i, j in np.argwhere(near):
        identical[i, j] = a[i] == b[j]
    return identical
