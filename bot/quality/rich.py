"""Aggregation for the answers that are not one label: sets of labels or cells, ratings,
comparisons. Pure numpy, no I/O.

- `multilabel_posterior`: each element (a label, a grid cell) is a yes/no question of its own;
  its posterior under one-coin annotators is the logistic of the summed log-odds votes.
- `rating_summary`: median, quartiles, median absolute deviation and agreement with the median.
- `bradley_terry`: strengths of candidates from pairwise comparisons (ties count half a win each
  way), fitted by Hunter's MM iteration with one win and one loss against a virtual average
  candidate added to each, so every strength is finite and the fit exists for any comparison
  graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.quality.encoding import BoolArray, FloatArray


def log_odds(accuracy: FloatArray) -> FloatArray:
    acc = np.clip(np.asarray(accuracy, dtype=np.float64), 1e-4, 1.0 - 1e-4)
    return np.asarray(np.log(acc / (1.0 - acc)), dtype=np.float64)


def multilabel_posterior(votes: BoolArray, accuracy: FloatArray) -> FloatArray:
    """P(element is on) per element, from ``votes[answer, element]`` and each answer's
    annotator accuracy, with an even prior. An element nobody answered stays at 0.5."""
    votes = np.asarray(votes, dtype=bool)
    if votes.ndim != 2 or votes.shape[0] != np.asarray(accuracy).shape[0]:
        raise ValueError("votes must be (answers, elements) with one accuracy per answer")
    weights = log_odds(accuracy)[:, None]
    score = np.where(votes, weights, -weights).sum(axis=0)
    return np.asarray(1.0 / (1.0 + np.exp(-score)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """A rating item's answers: the median and the spread around it. `agreement` is the share
    of answers within the tolerance of the median."""

    n: int
    median: float
    mean: float
    q1: float
    q3: float
    mad: float
    low: float
    high: float
    agreement: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "median": self.median,
            "mean": round(self.mean, 4),
            "q1": self.q1,
            "q3": self.q3,
            "iqr": self.iqr,
            "mad": self.mad,
            "min": self.low,
            "max": self.high,
            "agreement": round(self.agreement, 4),
        }


def rating_summary(values: Sequence[float], tolerance: float) -> RatingSummary:
    if not values:
        raise ValueError("no ratings")
    x = np.asarray(values, dtype=np.float64)
    median = float(np.median(x))
    q1, q3 = (float(q) for q in np.quantile(x, [0.25, 0.75]))
    return RatingSummary(
        n=int(x.size),
        median=median,
        mean=float(x.mean()),
        q1=q1,
        q3=q3,
        mad=float(np.median(np.abs(x - median))),
        low=float(x.min()),
        high=float(x.max()),
        agreement=float(np.mean(np.abs(x - median) <= tolerance + 1e-9)),
    )


@dataclass(frozen=True, slots=True)
class Strengths:
    """Bradley-Terry strengths: ``score[i]`` is the log-strength of candidate ``i`` (the mean
    score is 0); P(i beats j) = 1 / (1 + exp(score[j] - score[i]))."""

    score: FloatArray
    wins: FloatArray
    losses: FloatArray
    ties: FloatArray
    iterations: int

    def order(self) -> list[int]:
        """Candidates from strongest to weakest (ties of score by index)."""
        return sorted(range(self.score.size), key=lambda i: (-float(self.score[i]), i))


def bradley_terry(
    comparisons: Sequence[tuple[int, int, float]],
    n: int,
    tol: float = 1e-9,
    max_iter: int = 5_000,
) -> Strengths:
    """Fit strengths from ``(i, j, outcome)`` comparisons of candidates ``0..n-1``: outcome 1
    means i won, 0 that j won, 0.5 a tie. Each MM step costs one pass over the distinct pairs;
    it stops when no log-strength moves more than `tol`."""
    wins = np.zeros(n)
    losses = np.zeros(n)
    ties = np.zeros(n)
    counts: dict[tuple[int, int], float] = {}
    for i, j, outcome in comparisons:
        if i == j or not (0 <= i < n and 0 <= j < n) or not 0.0 <= outcome <= 1.0:
            raise ValueError(f"bad comparison {(i, j, outcome)!r}")
        key = (i, j) if i < j else (j, i)
        counts[key] = counts.get(key, 0.0) + 1.0
        wins[i] += outcome
        wins[j] += 1.0 - outcome
        losses[i] += 1.0 - outcome
        losses[j] += outcome
        if outcome == 0.5:
            ties[i] += 1.0
            ties[j] += 1.0
    left = np.fromiter((k[0] for k in counts), dtype=np.int64, count=len(counts))
    right = np.fromiter((k[1] for k in counts), dtype=np.int64, count=len(counts))
    times = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    strength = np.ones(n)
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007
        share = times / (strength[left] + strength[right])
        denom = np.bincount(left, share, minlength=n) + np.bincount(right, share, minlength=n)
        # Each candidate also won once and lost once against a virtual one of strength 1,
        # which fixes the scale: no renormalising.
        new = (wins + 1.0) / (denom + 2.0 / (strength + 1.0))
        change = float(np.max(np.abs(np.log(new / strength)))) if n else 0.0
        strength = new
        if change < tol:
            break
    score = np.log(strength) if n else np.zeros(0)
    return Strengths(
        np.asarray(score - (score.mean() if n else 0.0), dtype=np.float64),
        wins,
        losses,
        ties,
        iterations,
    )
