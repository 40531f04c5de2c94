"""Accuracy on gold (control) questions with a Beta prior, so 3 right out of 3 is not 100 %.

The posterior of a worker's accuracy after ``correct`` right answers out of ``total`` is
``Beta(a + correct, b + total - correct)`` where the prior ``Beta(a, b)`` has mean
``prior_mean`` and weight ``a + b = prior_strength`` (worth that many pseudo-answers). Its
quantiles come from SciPy's inverse regularised incomplete beta function.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.special import betaincinv


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
        lower=float(betaincinv(a, b, tail)),
        upper=float(betaincinv(a, b, 1.0 - tail)),
        correct=correct,
        total=total,
        level=level,
    )
