"""The common result of every aggregation method."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.quality.encoding import BoolArray, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class Aggregation:
    """Per-item consensus.

    ``posterior[i, k]`` is the method's probability that item ``i`` belongs to class ``k``
    (rows sum to 1); ``labels`` is the chosen class, ``confidence`` its posterior probability.
    ``ties`` marks items whose top score was shared and broken by the seeded rule.
    ``confusion`` (``[worker, true, answered]``, rows sum to 1) and ``class_prior`` are the worker
    model the method ended with, when it has one; ``iterations`` counts EM rounds (0 if none).
    """

    method: str
    labels: IntArray
    confidence: FloatArray
    posterior: FloatArray
    ties: BoolArray
    confusion: FloatArray | None = None
    class_prior: FloatArray | None = None
    iterations: int = 0

    @property
    def n_items(self) -> int:
        """How many items the result covers."""
        return int(self.labels.shape[0])

    def accuracy(self, gold_items: IntArray, gold_labels: IntArray) -> float:
        """Share of the given gold items whose label matches (NaN when there are none)."""
        if gold_items.size == 0:
            return float("nan")
        return float(np.mean(self.labels[gold_items] == gold_labels))


def pick_labels(scores: FloatArray, seed: int = 0) -> tuple[IntArray, BoolArray]:
    """Arg-max per row with ties broken uniformly at random by a seeded generator.

    Scores within a relative 1e-9 of the row maximum count as tied. Returns the labels and a
    mask of the rows that were ties.
    """
    n, k = scores.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    top = scores[:, 0].copy()
    for t in range(1, k):
        np.maximum(top, scores[:, t], out=top)
    tied = scores >= (top - 1e-9 * np.maximum(np.abs(top), 1e-300))[:, None]
    n_top = tied.sum(axis=1)
    labels = np.argmax(tied, axis=1).astype(np.int64)
    ties = n_top > 1
    rows = np.flatnonzero(ties)
    if rows.size:
        rng = np.random.default_rng(seed)
        keys = np.where(tied[rows], rng.random((rows.size, k)), -1.0)
        labels[rows] = np.argmax(keys, axis=1)
    return labels, ties


def finish(
    method: str,
    posterior: FloatArray,
    seed: int = 0,
    confusion: FloatArray | None = None,
    class_prior: FloatArray | None = None,
    iterations: int = 0,
) -> Aggregation:
    """Wrap a posterior matrix into an :class:`Aggregation` (labels by seeded arg-max)."""
    labels, ties = pick_labels(posterior, seed)
    conf = posterior[np.arange(posterior.shape[0]), labels] if posterior.size else np.zeros(0)
    return Aggregation(
        method=method,
        labels=labels,
        confidence=np.asarray(conf, dtype=np.float64),
        posterior=posterior,
        ties=ties,
        confusion=confusion,
        class_prior=class_prior,
        iterations=iterations,
    )
