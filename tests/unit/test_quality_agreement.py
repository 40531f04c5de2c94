"""Krippendorff's alpha and Fleiss' kappa against published worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.agreement import (
    coincidences,
    fleiss_kappa,
    krippendorff_alpha,
    worker_agreement,
)
from bot.quality.encoding import Answers, encode


def _from_count_table(table: list[list[int]]) -> Answers:
    """Items as rows of per-class counts (raters are anonymous, numbered per item)."""
    items, workers, labels = [], [], []
    for i, row in enumerate(table):
        j = 0
        for c, n in enumerate(row):
            for _ in range(n):
                items.append(i)
                workers.append(j)
                labels.append(c)
                j += 1
    return Answers.from_arrays(items, workers, labels, n_classes=len(table[0]))


# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with four
# observers, twelve units and missing values; nominal alpha = 0.743.
KRIPPENDORFF = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}

# The standard Fleiss' kappa worked example (10 subjects, 14 raters, 5 categories, kappa
# 0.210), e.g. Wikipedia "Fleiss' kappa"; P-bar = 0.378, P-bar-e = 0.213.
FLEISS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def test_krippendorff_published_example() -> None:
    rows = [
        (obs, unit, value)
        for obs, values in KRIPPENDORFF.items()
        for unit, value in enumerate(values)
        if value is not None
    ]
    answers, _ = encode(rows)
    assert krippendorff_alpha(answers) == pytest.approx(0.743, abs=5e-4)
    # unit 12 has a single value: it is unpairable and must not change alpha
    without = [r for r in rows if r[1] != 11]
    assert krippendorff_alpha(encode(without)[0]) == pytest.approx(
        krippendorff_alpha(answers), abs=1e-12
    )


def test_coincidence_matrix_totals_pairable_values() -> None:
    answers = _from_count_table([[2, 1], [0, 3], [1, 0]])  # last item is unpairable
    o = coincidences(answers)
    assert o.sum() == pytest.approx(6.0)  # the 6 pairable values
    assert np.allclose(o, o.T)


def test_fleiss_worked_example() -> None:
    assert fleiss_kappa(_from_count_table(FLEISS)) == pytest.approx(0.210, abs=5e-4)


def test_perfect_agreement_and_chance() -> None:
    perfect = _from_count_table([[3, 0], [0, 3], [3, 0]])
    assert krippendorff_alpha(perfect) == pytest.approx(1.0)
    assert fleiss_kappa(perfect) == pytest.approx(1.0)
    one_class = _from_count_table([[3, 0], [3, 0]])
    assert krippendorff_alpha(one_class) == 1.0
    assert fleiss_kappa(one_class) == 1.0
    rng = np.random.default_rng(0)
    noise = Answers.from_arrays(
        np.repeat(np.arange(2000), 5), np.tile(np.arange(5), 2000), rng.integers(0, 3, 10000)
    )
    assert abs(krippendorff_alpha(noise)) < 0.03
    assert abs(fleiss_kappa(noise)) < 0.03


def test_fleiss_needs_a_constant_number_of_raters() -> None:
    uneven = _from_count_table([[2, 1], [1, 1]])
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa(uneven)
    assert not np.isnan(krippendorff_alpha(uneven))
    single = _from_count_table([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="at least two"):
        fleiss_kappa(single)
    assert np.isnan(krippendorff_alpha(single))


def test_worker_agreement_with_consensus() -> None:
    # items 0-2: workers 0 and 1 say 0, worker 2 says 1
    answers = Answers.from_arrays(
        [0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 1, 2] * 3, [0, 0, 1] * 3, n_workers=4
    )
    consensus = np.array([0, 0, -1])
    agg = worker_agreement(answers, consensus)
    assert agg.rate[:3].tolist() == [1.0, 1.0, 0.0]
    assert agg.n.tolist() == [2, 2, 2, 0]
    assert np.isnan(agg.rate[3])
    loo = worker_agreement(answers, consensus, leave_one_out=True)
    # for worker 0 the others split 1-1: a tie, skipped
    assert loo.n[0] == 0 and loo.n[2] == 3 and loo.rate[2] == 0.0
