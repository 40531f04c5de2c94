"""Replay of recorded answers through the policy, on synthetic crowds."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.encoding import Answers
from bot.quality.overlap import OverlapPolicy
from bot.quality.replay import assess, choose_gold, replay


def _crowd(n_items: int = 300, per_item: int = 10, seed: int = 0) -> tuple[Answers, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_workers = 30
    acc = rng.uniform(0.6, 0.95, n_workers)
    truth = rng.integers(0, 2, n_items)
    items, workers, labels = [], [], []
    for i in range(n_items):
        for w in rng.choice(n_workers, per_item, replace=False):
            items.append(i)
            workers.append(int(w))
            labels.append(int(truth[i]) if rng.random() < acc[w] else 1 - int(truth[i]))
    return Answers.from_arrays(items, workers, labels, n_items, n_workers, 2), truth


def test_replay_uses_fewer_answers_and_stays_accurate() -> None:
    a, truth = _crowd()
    items = np.arange(a.n_items)
    res = replay(a, items, truth, OverlapPolicy(3, 8, 0.975), gold_fraction=0.1, seed=1)
    assert res.gold_items.size == 30
    assert res.gold_answers == 300
    assert res.eval_items.size == 270
    assert not np.isin(res.eval_items, res.gold_items).any()
    assert 3 <= res.labels_per_item <= 8
    assert res.labels_per_item < 7
    others = np.setdiff1d(items, res.gold_items)
    assert res.used[others].min() >= 3 and res.used[others].max() <= 8
    assert res.accuracy > 0.9
    counts = res.counts_by_status()
    assert sum(counts.values()) == 270 and counts.get("done", 0) > 200


def test_replay_is_deterministic_per_seed() -> None:
    a, truth = _crowd(seed=2)
    items = np.arange(a.n_items)
    r1 = replay(a, items, truth, seed=5)
    r2 = replay(a, items, truth, seed=5)
    r3 = replay(a, items, truth, seed=6)
    assert np.array_equal(r1.used, r2.used) and r1.accuracy == r2.accuracy
    assert not np.array_equal(r1.gold_items, r3.gold_items)


def test_a_stricter_policy_asks_more() -> None:
    a, truth = _crowd(seed=3)
    items = np.arange(a.n_items)
    loose = replay(a, items, truth, OverlapPolicy(2, 5, 0.9))
    strict = replay(a, items, truth, OverlapPolicy(3, 10, 0.999))
    assert strict.labels_per_item > loose.labels_per_item


def test_items_run_out_of_answers() -> None:
    a, truth = _crowd(per_item=2, seed=4)
    res = replay(a, np.arange(a.n_items), truth, OverlapPolicy(3, 8, 0.975))
    assert res.labels_per_item == pytest.approx(2.0)
    assert set(res.counts_by_status()) == {"exhausted"}


def test_choose_gold() -> None:
    g = np.arange(100)
    assert choose_gold(g, 0.1, 0).size == 10
    assert choose_gold(g, 0.001, 0).size == 1
    assert choose_gold(g, 0.0, 0).size == 0
    with pytest.raises(ValueError):
        choose_gold(g, 1.5, 0)


def test_assess_a_live_project() -> None:
    a, truth = _crowd(seed=5)
    # keep 1 answer on items 0-49, 10 on the rest
    rank = np.zeros(a.n_answers, dtype=np.int64)
    for i in range(a.n_items):
        idx = np.flatnonzero(a.items == i)
        rank[idx] = np.arange(idx.size)
    live = a.subset((a.items >= 50) | (rank < 1))
    gold = np.arange(250, 300)
    res = assess(live, gold, truth[gold], OverlapPolicy(3, 8, 0.975))
    assert np.all(res.status[:50] == 0)  # one answer is under min_overlap: more
    assert np.all(res.status[gold] == 1)
    assert np.mean(res.status[50:250] == 1) > 0.7  # ten answers: mostly done
    assert np.mean(res.labels[50:250] == truth[50:250]) > 0.9
    assert np.all((res.confidence >= 0.5) & (res.confidence <= 1.0))
