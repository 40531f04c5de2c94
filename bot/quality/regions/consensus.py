"""Consensus over several annotators' regions of one item, with a confidence per region and per
item, and the done / more / disputed decision of dynamic overlap.

1. **Clusters.** Annotators are taken in order of skill (highest first). The first one's regions
   each start a cluster; each next annotator's regions are matched one to one
   (`matching.match`, similarity at least `cluster_iou`) with the clusters' consensus regions
   so far, and a region left over starts a new cluster. A cluster holds at most one region
   per annotator.
2. **Consensus region** per cluster: its shape and label by skill-weighted vote, its geometry
   the skill-weighted median of the coordinates of the members of that shape: a box's edges, a
   point's x and y, a polygon's vertices once every polygon is put in the same vertex order
   (same direction, same start; polygons with different numbers of vertices are first
   resampled along their outline). Skill weights are the log-odds of each annotator's gold
   accuracy (at least `MIN_WEIGHT`; an accuracy under 0.5 counts as 0.5).
3. **Confidence.** An annotator *confirms* a cluster when they drew a region matching its
   consensus region (similarity at least `match_iou`) with its label. Everyone else, including
   those who drew nothing there, speaks against it. The region's confidence is the posterior
   that it is there, from those yes and no votes weighted by log-odds (as for a multi-label
   task, even prior): kept when above 0.5. The item's confidence is that of its least certain
   decision: ``min(max(p, 1 - p))`` over its clusters (1 with none).
4. **Decision** (the rule of `bot.quality.overlap`): done once the item's confidence reaches
   the project's bar with at least `min_overlap` answers; else one more answer up to
   `max_overlap`; then disputed, for QA. Clusters that disagree (a different label, loose
   shapes) or are orphaned (one annotator only) keep the confidence down until more answers
   settle them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from bot.quality.encoding import FloatArray
from bot.quality.overlap import OverlapPolicy, Status
from tasks.regions.answer import Region, dumps, loads, shoelace, tenth
from tasks.regions.geometry import similarity
from tasks.regions.matching import DEFAULT, RegionSettings, match

MIN_WEIGHT = 0.05
"""The least skill weight in a median, so that even a poor annotator's shape is defined."""
MAX_VERTICES = 64
"""Polygons of different vertex counts are resampled to 4 × the largest count, at most this."""
SIMPLIFY_PX = 0.5
METHOD = "region_consensus"


@dataclass(frozen=True, slots=True)
class Cluster:
    """One thing marked on the item: the consensus region and how it was agreed on."""

    region: Region
    members: tuple[int, ...]
    """The answers (by index) with a region in this cluster."""
    confirmed: tuple[int, ...]
    """Those whose region matches the consensus region, with its label."""
    posterior: float
    label_share: float
    """The skill-weighted share of members with the consensus label."""
    agreement: float
    """The skill-weighted mean similarity of the members' regions to the consensus region."""

    @property
    def kept(self) -> bool:
        return self.posterior > 0.5

    @property
    def orphan(self) -> bool:
        return len(self.members) == 1


@dataclass(frozen=True, slots=True)
class RegionConsensus:
    """The consensus of an item's answers: the kept regions (canonical order) with their
    confidence, every cluster, and the item's confidence."""

    regions: tuple[Region, ...]
    confidences: tuple[float, ...]
    clusters: tuple[Cluster, ...]
    confidence: float
    n_answers: int

    @property
    def value(self) -> str:
        """The consensus as a stored answer string."""
        return dumps(self.regions)


@dataclass(frozen=True, slots=True)
class RegionDecision:
    """As `bot.judging.verdicts.Verdict`: the status, the result's stored value, its confidence, the
    method and why (for the QA flag)."""

    status: Status
    value: str
    confidence: float
    method: str
    reason: str


def evidence(accuracy: Sequence[float]) -> FloatArray:
    """Each annotator's vote weight: the log-odds of their accuracy, and 0 under 0.5 (someone
    whose gold answers are mostly wrong tells nothing either way: their missing a region is
    no sign that it is there)."""
    acc = np.clip(np.asarray(accuracy, dtype=np.float64), 0.5, 1.0 - 1e-4)
    return np.asarray(np.log(acc / (1.0 - acc)), dtype=np.float64)


def weighted_median(values: FloatArray, weights: FloatArray) -> FloatArray:
    """The weighted median of each column of ``values`` (rows are the weighted samples); at an
    exact half the mean of the two middle values."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape[0] == 1:
        return np.asarray(values[0], dtype=np.float64)
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    cum = np.cumsum(np.asarray(weights, dtype=np.float64)[order], axis=0)
    half = cum[-1] / 2.0
    eps = 1e-9 * cum[-1]
    idx = np.minimum((cum < half - eps).sum(axis=0), values.shape[0] - 1)
    cols = np.arange(values.shape[1])
    low = ordered[idx, cols]
    at_half = np.abs(cum[idx, cols] - half) <= eps
    high = ordered[np.minimum(idx + 1, values.shape[0] - 1), cols]
    return np.asarray(np.where(at_half, (low + high) / 2.0, low), dtype=np.float64)


def median_of(values: Sequence[float], weights: Sequence[float]) -> float:
    """`weighted_median` of one column, in plain Python (faster for a handful of values)."""
    if len(values) == 1:
        return values[0]
    order = sorted(range(len(values)), key=values.__getitem__)
    total = sum(weights)
    half, eps = total / 2.0, 1e-9 * total
    cum = 0.0
    for pos, k in enumerate(order):
        cum += weights[k]
        if cum >= half - eps:
            if abs(cum - half) <= eps and pos + 1 < len(order):
                return (values[k] + values[order[pos + 1]]) / 2.0
            return values[k]
    return values[order[-1]]


def consensus_of(
    answers: Sequence[Sequence[Region]],
    accuracy: Sequence[float],
    settings: RegionSettings = DEFAULT,
) -> RegionConsensus:
    """The consensus of one item's answers; ``accuracy[i]`` is the gold accuracy of the
    annotator who gave ``answers[i]``."""
    n = len(answers)
    if len(accuracy) != n:
        raise ValueError("one accuracy per answer")
    votes = [float(v) for v in evidence(accuracy)]
    weight = [max(v, MIN_WEIGHT) for v in votes]
    against = -sum(votes)
    groups: list[list[tuple[int, Region]]] = []
    centres: list[Region] = []
    order = sorted(range(n), key=lambda k: -weight[k])
    last = max((k for k, i in enumerate(order) if answers[i]), default=-1)
    for step, i in enumerate(order):
        regions = answers[i]
        if not regions:
            continue
        pairs = match(regions, centres, settings, settings.cluster_iou) if centres else []
        taken = {p.a: p.b for p in pairs}
        for k, region in enumerate(regions):
            if k in taken:
                groups[taken[k]].append((i, region))
            else:
                groups.append([(i, region)])
                centres.append(region)
        if step < last:
            for p in pairs:
                members = groups[p.b]
                centres[p.b] = _merge([r for _, r in members], [weight[j] for j, _ in members])
    clusters = [_cluster(group, votes, weight, against, settings) for group in groups]
    kept = sorted((c for c in clusters if c.kept), key=lambda c: c.region.sort_key())
    certainty = [max(c.posterior, 1.0 - c.posterior) for c in clusters]
    return RegionConsensus(
        regions=tuple(c.region for c in kept),
        confidences=tuple(c.posterior for c in kept),
        clusters=tuple(clusters),
        confidence=min(certainty) if certainty else 1.0,
        n_answers=n,
    )


def _cluster(
    group: list[tuple[int, Region]],
    votes: list[float],
    weight: list[float],
    against: float,
    settings: RegionSettings,
) -> Cluster:
    """`against` is the score with every annotator speaking against the region."""
    regions = [r for _, r in group]
    w = [weight[i] for i, _ in group]
    region = _merge(regions, w)
    sims = [similarity(r, region, settings.point_sigma) for r in regions]
    same = [r.label == region.label for r in regions]
    bar = settings.match_iou - 1e-12
    confirmed = tuple(i for (i, _), s, ok in zip(group, sims, same, strict=True) if ok and s >= bar)
    score = against + 2.0 * sum(votes[i] for i in confirmed)
    total = sum(w)
    return Cluster(
        region=region,
        members=tuple(i for i, _ in group),
        confirmed=confirmed,
        posterior=1.0 / (1.0 + math.exp(-score)) if score > -700 else 0.0,
        label_share=sum(x for x, ok in zip(w, same, strict=True) if ok) / total,
        agreement=sum(x * s for x, s in zip(w, sims, strict=True)) / total,
    )


def _vote(keys: Sequence[str], w: Sequence[float]) -> str:
    """The key with the most weight; a tie goes to the one named first."""
    totals: dict[str, float] = {}
    for key, weight in zip(keys, w, strict=True):
        totals[key] = totals.get(key, 0.0) + weight
    best = max(totals.values())
    return next(k for k in keys if totals[k] >= best - 1e-12)


def _merge(regions: list[Region], w: list[float]) -> Region:
    """The consensus region of one cluster (members listed by skill, highest first)."""
    shape = _vote([r.type for r in regions], w)
    label = _vote([r.label for r in regions], w)
    pick = [k for k, r in enumerate(regions) if r.type == shape]
    sub, sw = [regions[k] for k in pick], [w[k] for k in pick]
    image = regions[0].image
    if shape == "box":
        x0, y0, x1, y1 = (
            tenth(median_of(column, sw)) for column in zip(*(r.bounds() for r in sub), strict=True)
        )
        return Region(image, label, "box", x0, y0, tenth(x1 - x0), tenth(y1 - y0))
    if shape == "point":
        x, y = (
            tenth(median_of(column, sw)) for column in zip(*((r.x, r.y) for r in sub), strict=True)
        )
        return Region(image, label, "point", x, y)
    points = _polygon_median(
        [np.array(r.points, dtype=np.float64) for r in sub], np.array(sw, dtype=np.float64)
    )
    return Region(image, label, "polygon", points=points or sub[0].points)


def _polygon_median(
    polygons: list[FloatArray],
    w: FloatArray,
) -> tuple[tuple[float, float], ...]:
    """The vertex-wise weighted median of polygons put in the order of the first; empty when
    it comes out degenerate."""
    counts = {len(p) for p in polygons}
    resampled = len(counts) > 1
    if resampled:
        k = min(MAX_VERTICES, 4 * max(counts))
        polygons = [_resample(p, k) for p in polygons]
    if len(polygons) == 1:
        median = polygons[0]
    else:
        reference = polygons[0]
        aligned = np.stack([reference] + [_align(p, reference) for p in polygons[1:]])
        m, k = aligned.shape[0], aligned.shape[1]
        median = weighted_median(aligned.reshape(m, 2 * k), w).reshape(k, 2)
    if resampled:
        simple = shapely.Polygon(median).simplify(SIMPLIFY_PX, preserve_topology=True)
        if isinstance(simple, shapely.Polygon) and not simple.is_empty:
            median = np.asarray(simple.exterior.coords[:-1], dtype=np.float64)
    points: list[tuple[float, float]] = []
    for x, y in median:
        point = (tenth(float(x)), tenth(float(y)))
        if not points or points[-1] != point:
            points.append(point)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3 or abs(shoelace(points)) < 1e-6:
        return ()
    return tuple(points)


def _align(polygon: FloatArray, reference: FloatArray) -> FloatArray:
    """The polygon's vertices cycled (and reversed if that fits better) to lie closest to the
    reference's, vertex by vertex."""
    k = len(reference)
    shifts = (np.arange(k)[None, :] + np.arange(k)[:, None]) % k
    best, best_cost = polygon, math.inf
    for candidate in (polygon, polygon[::-1]):
        costs = ((candidate[shifts] - reference[None, :, :]) ** 2).sum(axis=(1, 2))
        s = int(np.argmin(costs))
        if costs[s] < best_cost - 1e-9:
            best, best_cost = candidate[shifts[s]], float(costs[s])
    return best


def _resample(polygon: FloatArray, k: int) -> FloatArray:
    """`k` points spaced evenly along the closed outline, from its first vertex."""
    closed = np.vstack([polygon, polygon[:1]])
    steps = np.hypot(*np.diff(closed, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(steps)])
    at = np.linspace(0.0, cum[-1], k, endpoint=False)
    return np.column_stack([np.interp(at, cum, closed[:, 0]), np.interp(at, cum, closed[:, 1])])


def decide_regions(result: RegionConsensus, policy: OverlapPolicy) -> RegionDecision:
    """Done, more or disputed for an item's consensus (see the module's docstring)."""
    n = result.n_answers
    if result.confidence >= policy.confidence - 1e-12 and n >= policy.min_overlap:
        status: Status = "done"
    else:
        status = "disputed" if n >= policy.max_overlap else "more"
    unsure = [
        c
        for c in result.clusters
        if max(c.posterior, 1.0 - c.posterior) < policy.confidence - 1e-12
    ]
    several = any(c.region.image > 0 for c in result.clusters)
    shown = "; ".join(_describe(c, n, several) for c in unsure[:5])
    more = f" and {len(unsure) - 5} more" if len(unsure) > 5 else ""
    orphans = sum(c.orphan for c in result.clusters) if n > 1 else 0
    lonely = f"; {orphans} drawn by one annotator only" if orphans else ""
    return RegionDecision(
        status,
        result.value,
        result.confidence,
        METHOD,
        f"{n} answers; {len(result.regions)} regions kept, {len(unsure)} uncertain"
        f"{': ' + shown + more if unsure else ''}{lonely} (the least certain at "
        f"{result.confidence:.2f}; the project asks for {policy.confidence:.2f})",
    )


def _describe(cluster: Cluster, n: int, several: bool) -> str:
    where = f" on picture {cluster.region.image + 1}" if several else ""
    return (
        f"{cluster.region.label} {cluster.region.type}{where}, {len(cluster.confirmed)} of "
        f"{n} agree, at {cluster.posterior:.2f}"
    )


def judge_regions(
    values: Sequence[str],
    accuracy: Sequence[float],
    policy: OverlapPolicy,
    settings: RegionSettings = DEFAULT,
) -> RegionDecision:
    """The decision on an item from its counted answers (stored strings) and each answer's
    annotator accuracy; an answer that is not a region answer counts as no regions."""
    answers = []
    for value in values:
        try:
            answers.append(loads(value))
        except ValueError:
            answers.append(())
    return decide_regions(consensus_of(answers, accuracy, settings), policy)
