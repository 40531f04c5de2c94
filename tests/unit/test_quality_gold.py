"""Gold accuracy with a Beta prior and its credible bounds."""

from __future__ import annotations

import math

import pytest

from bot.quality.gold import gold_accuracy


def test_three_of_three_is_not_certainty() -> None:
    est = gold_accuracy(3, 3)
    assert 0.75 < est.mean < 1.0
    assert est.lower < est.mean < est.upper < 1.0
    assert est.lower < 0.75  # three answers cannot prove a member clears a 0.75 bar


def test_more_evidence_narrows_the_interval_and_moves_the_mean() -> None:
    small = gold_accuracy(9, 10)
    large = gold_accuracy(90, 100)
    assert large.upper - large.lower < small.upper - small.lower
    assert abs(large.mean - 0.9) < abs(small.mean - 0.9)
    assert gold_accuracy(0, 0).mean == pytest.approx(0.75)  # no answers: the prior mean


def test_below_bar_decisions() -> None:
    bad = gold_accuracy(4, 20, prior_mean=0.8, prior_strength=4)
    assert bad.below(0.7) and bad.maybe_below(0.7)
    good = gold_accuracy(48, 50, prior_mean=0.8, prior_strength=4)
    assert not good.below(0.7) and not good.maybe_below(0.7)


def test_posterior_mean_formula() -> None:
    est = gold_accuracy(7, 10, prior_mean=0.5, prior_strength=2)
    assert est.mean == pytest.approx(8 / 12)


def binomial_tail(n: int, k: int, x: float) -> float:
    """P(Binomial(n, x) >= k), which equals the Beta(k, n - k + 1) CDF at x."""
    return sum(math.comb(n, i) * x**i * (1 - x) ** (n - i) for i in range(k, n + 1))


@pytest.mark.parametrize(("correct", "total"), [(0, 0), (3, 3), (2, 5), (0, 6), (9, 10), (40, 50)])
@pytest.mark.parametrize("level", [0.5, 0.9])
def test_the_bounds_are_the_posterior_quantiles(correct: int, total: int, level: float) -> None:
    # A prior of mean 0.5 and weight 2 is Beta(1, 1): the posterior has whole parameters, whose
    # CDF is a binomial tail, so the bounds can be checked without the library that finds them.
    est = gold_accuracy(correct, total, prior_mean=0.5, prior_strength=2.0, level=level)
    a, b = 1 + correct, 1 + total - correct
    tail = (1 - level) / 2
    assert binomial_tail(a + b - 1, a, est.lower) == pytest.approx(tail, abs=1e-9)
    assert binomial_tail(a + b - 1, a, est.upper) == pytest.approx(1 - tail, abs=1e-9)
    assert est.mean == pytest.approx(a / (a + b))
    assert (est.correct, est.total, est.level) == (correct, total, level)


def test_the_default_prior_is_three_right_of_four() -> None:
    # Beta(3, 1) has CDF x**3: its quantile q is q ** (1 / 3).
    est = gold_accuracy(0, 0, level=0.5)
    assert est.lower == pytest.approx(0.25 ** (1 / 3), abs=1e-12)
    assert est.upper == pytest.approx(0.75 ** (1 / 3), abs=1e-12)
    assert est.mean == pytest.approx(0.75)


def test_below_and_maybe_below_are_strict() -> None:
    est = gold_accuracy(0, 0, level=0.5)
    assert not est.below(est.upper) and est.below(est.upper + 1e-9)
    assert not est.maybe_below(est.lower) and est.maybe_below(est.lower + 1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"correct": 4, "total": 3}, "need 0 <= correct <= total"),
        ({"correct": -1, "total": 3}, "need 0 <= correct <= total"),
        ({"correct": 0, "total": -1}, "need 0 <= correct <= total"),
        ({"prior_mean": 1.0}, "prior_mean must lie strictly between 0 and 1"),
        ({"prior_mean": 0.0}, "prior_mean must lie strictly between 0 and 1"),
        ({"prior_strength": 0.0}, "prior_strength must be positive"),
        ({"prior_strength": -1.0}, "prior_strength must be positive"),
        ({"level": 0.0}, "level must lie strictly between 0 and 1"),
        ({"level": 1.0}, "level must lie strictly between 0 and 1"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {"correct": 1, "total": 2, **kwargs}
    with pytest.raises(ValueError) as raised:
        gold_accuracy(**args)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_arguments_at_their_edges_are_taken() -> None:
    for correct, total in ((0, 0), (2, 2), (0, 2)):
        assert 0.0 < gold_accuracy(correct, total).mean < 1.0
    assert gold_accuracy(1, 2, prior_mean=0.01, prior_strength=0.01, level=0.01).total == 2


def test_posterior_mean_matches_the_full_estimate() -> None:
    from bot.quality import gold_accuracy, posterior_mean

    for correct, total in [(0, 0), (3, 3), (2, 5), (17, 20)]:
        assert abs(posterior_mean(correct, total) - gold_accuracy(correct, total).mean) < 1e-12
