"""Accuracy on gold (control) questions with a Beta prior, so 3 right out of 3 is not 100 %.

The posterior of a worker's accuracy after ``correct`` right answers out of ``total`` is
``Beta(a + correct, b + total - correct)`` where the prior ``Beta(a, b)`` has mean
``prior_mean`` and weight ``a + b = prior_strength`` (worth that many pseudo-answers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GoldEstimate:
    """Posterior of a worker's accuracy: its mean and an equal-tailed credible interval."""

    mean: float
    lower: float
    upper: float
    correct: int
    total: int
    level: float

    def below(self, bar: float) -> bool:
        """True when even the optimistic end of the interval is under ``bar``: confidently bad."""
        return self.upper < bar

    def maybe_below(self, bar: float) -> bool:
        """True when the lower credible bound is under ``bar``: not yet shown to clear it."""
        return self.lower < bar


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the regularised incomplete beta function (Lentz's method)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def beta_cdf(x: float, a: float, b: float) -> float:
    """The Beta(a, b) cumulative distribution function at ``x``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """The Beta(a, b) quantile function (inverse CDF) by bisection, to about 1e-12."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must lie in [0, 1]")
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if beta_cdf(mid, a, b) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return 0.5 * (lo + hi)


def posterior_mean(
    correct: int, total: int, prior_mean: float = 0.75, prior_strength: float = 4.0
) -> float:
    """Just the posterior mean of :func:`gold_accuracy`, without the interval (much cheaper)."""
    return (prior_mean * prior_strength + correct) / (prior_strength + total)


def gold_accuracy(
    correct: int,
    total: int,
    prior_mean: float = 0.75,
    prior_strength: float = 4.0,
    level: float = 0.9,
) -> GoldEstimate:
    """Posterior accuracy after ``correct`` right answers out of ``total`` gold questions.

    ``mean`` is the posterior mean ``(a + correct) / (a + b + total)``; ``lower``/``upper``
    bound the central ``level`` credible interval, so ``lower`` is a cautious figure for
    "is this member under the bar" decisions. With the defaults 3/3 gives a mean of about 0.86
    and a lower bound near 0.6, not 100 %.
    """
    if total < 0 or correct < 0 or correct > total:
        raise ValueError("need 0 <= correct <= total")
    if not 0.0 < prior_mean < 1.0:
        raise ValueError("prior_mean must lie strictly between 0 and 1")
    if prior_strength <= 0.0:
        raise ValueError("prior_strength must be positive")
    if not 0.0 < level < 1.0:
        raise ValueError("level must lie strictly between 0 and 1")
    a = prior_mean * prior_strength + correct
    b = (1.0 - prior_mean) * prior_strength + (total - correct)
    tail = (1.0 - level) / 2.0
    return GoldEstimate(
        mean=a / (a + b),
        lower=beta_ppf(tail, a, b),
        upper=beta_ppf(1.0 - tail, a, b),
        correct=correct,
        total=total,
        level=level,
    )
