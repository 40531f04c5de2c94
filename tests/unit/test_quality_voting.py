"""Majority vote and skill-weighted vote on small hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.encoding import Answers
from bot.quality.voting import majority_vote, weighted_vote


def _answers(rows: list[tuple[int, int, int]], n_classes: int = 2) -> Answers:
    """Rows are (item, worker, label)."""
    items, workers, labels = zip(*rows, strict=True)
    return Answers.from_arrays(items, workers, labels, n_classes=n_classes)


def test_mv_picks_the_most_voted_class_with_smoothed_confidence() -> None:
    a = _answers([(0, 0, 1), (0, 1, 1), (0, 2, 0), (1, 0, 0), (1, 1, 0), (1, 2, 0)])
    r = majority_vote(a)
    assert r.method == "mv"
    assert r.labels.tolist() == [1, 0]
    assert r.confidence[0] == pytest.approx(3 / 5)  # (2 + 1) / (3 + 2)
    assert r.confidence[1] == pytest.approx(4 / 5)
    assert np.allclose(r.posterior.sum(axis=1), 1.0)
    assert not r.ties.any()


def test_mv_ties_are_flagged_and_seeded() -> None:
    rows = [(i, w, w % 2) for i in range(200) for w in range(2)]  # every item 1-1
    a = _answers(rows)
    r1, r2, r3 = majority_vote(a, seed=1), majority_vote(a, seed=1), majority_vote(a, seed=2)
    assert r1.ties.all()
    assert r1.labels.tolist() == r2.labels.tolist()
    assert r1.labels.tolist() != r3.labels.tolist()
    assert 0.3 < r1.labels.mean() < 0.7  # both classes win some ties
    assert np.allclose(r1.confidence, 0.5)


def test_mv_item_without_answers_gets_uniform_posterior() -> None:
    a = Answers.from_arrays([0], [0], [2], n_items=2, n_classes=3)
    r = majority_vote(a)
    assert np.allclose(r.posterior[1], 1 / 3)
    assert r.ties[1]


def test_wmv_trusts_the_worker_who_is_right_on_gold() -> None:
    # worker 0 is right on the four gold items, workers 1 and 2 always wrong there;
    # on item 4 worker 0 disagrees with both of them
    rows = []
    for i in range(4):
        rows += [(i, 0, 1), (i, 1, 0), (i, 2, 0)]
    rows += [(4, 0, 1), (4, 1, 0), (4, 2, 0)]
    a = _answers(rows)
    gold_items = np.arange(4)
    gold_labels = np.ones(4, dtype=np.int64)
    assert majority_vote(a).labels[4] == 0
    r = weighted_vote(a, gold_items, gold_labels)
    assert r.method == "wmv"
    assert r.labels[4] == 1
    # workers 1 and 2 are below chance on gold: ignored (weight 0), not read backwards, so the
    # item's posterior is worker 0's smoothed gold accuracy (4 + 0.7 * 4) / (4 + 4)
    assert r.confidence[4] == pytest.approx(0.85, abs=1e-6)
    assert r.confusion is not None and r.confusion[0, 1, 1] > r.confusion[1, 1, 1]


def test_wmv_without_gold_downweights_the_odd_one_out() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 60)
    rows = []
    for i, t in enumerate(truth):
        for w in range(4):  # four reliable workers
            rows.append((i, w, int(t) if rng.random() < 0.9 else 1 - int(t)))
        rows.append((i, 4, 1 - int(t)))  # one worker always wrong
    a = _answers(rows)
    r = weighted_vote(a)
    assert r.confusion is not None
    assert r.confusion[4, 0, 0] < 0.3  # estimated accuracy of the bad worker
    assert np.mean(r.labels == truth) >= np.mean(majority_vote(a).labels == truth)
