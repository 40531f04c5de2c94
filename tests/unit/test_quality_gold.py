"""Gold accuracy with a Beta prior and its credible bounds."""

from __future__ import annotations

import math

import pytest

from bot.quality.gold import beta_cdf, beta_ppf, gold_accuracy


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


@pytest.mark.parametrize(
    ("x", "a", "b", "expected"),
    [
        (0.3, 1.0, 1.0, 0.3),  # uniform
        (0.3, 2.0, 1.0, 0.09),  # x^2
        (0.3, 1.0, 3.0, 1 - 0.7**3),
        (0.5, 5.0, 5.0, 0.5),  # symmetric
    ],
)
def test_beta_cdf_closed_forms(x: float, a: float, b: float, expected: float) -> None:
    assert beta_cdf(x, a, b) == pytest.approx(expected, abs=1e-10)


def test_beta_ppf_inverts_cdf() -> None:
    for q in (0.05, 0.5, 0.95):
        x = beta_ppf(q, 7.0, 3.5)
        assert beta_cdf(x, 7.0, 3.5) == pytest.approx(q, abs=1e-9)
    assert beta_ppf(0.25, 1.0, 1.0) == pytest.approx(0.25, abs=1e-9)
    assert math.isclose(beta_ppf(0.0, 2.0, 2.0), 0.0, abs_tol=1e-9)


def test_bad_arguments_raise() -> None:
    for args in ((4, 3), (-1, 3)):
        with pytest.raises(ValueError):
            gold_accuracy(*args)
    with pytest.raises(ValueError):
        gold_accuracy(1, 2, prior_mean=1.0)
    with pytest.raises(ValueError):
        gold_accuracy(1, 2, prior_strength=0)


def test_posterior_mean_matches_the_full_estimate() -> None:
    from bot.quality import gold_accuracy, posterior_mean

    for correct, total in [(0, 0), (3, 3), (2, 5), (17, 20)]:
        assert abs(posterior_mean(correct, total) - gold_accuracy(correct, total).mean) < 1e-12
