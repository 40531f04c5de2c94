"""The replay with skill routing among the people online, on synthetic crowds."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.encoding import Answers
from bot.quality.overlap import OverlapPolicy
from bot.quality.replay_routing import replay_routed, weak_share
from bot.quality.routing import RoutingSettings

ARRIVAL = RoutingSettings(routing="arrival")


def _crowd(
    n_items: int = 400, per_item: int = 10, seed: int = 0, no_gold_from: int = 40
) -> tuple[Answers, np.ndarray, np.ndarray, np.ndarray]:
    """40 workers, a third of them spammers (50%), the rest 65-95% right; items 0-39 are the
    gold items, and workers from ``no_gold_from`` on never answered one (newcomers to the
    model). Returns the answers, the truth, the gold items and each worker's accuracy."""
    rng = np.random.default_rng(seed)
    n_workers = 40
    acc = np.where(np.arange(n_workers) % 3 == 0, 0.5, rng.uniform(0.65, 0.95, n_workers))
    truth = rng.integers(0, 2, n_items)
    gold = np.arange(40)
    items, workers, labels = [], [], []
    for i in range(n_items):
        pool = np.arange(no_gold_from) if i < 40 else np.arange(n_workers)
        for w in rng.choice(pool, per_item, replace=False):
            items.append(i)
            workers.append(int(w))
            labels.append(int(truth[i]) if rng.random() < acc[w] else 1 - int(truth[i]))
    answers = Answers.from_arrays(items, workers, labels, n_items, n_workers, 2)
    return answers, truth, gold, acc


def test_routing_saves_labels_and_keeps_accuracy() -> None:
    a, truth, gold, _ = _crowd()
    skill = [replay_routed(a, gold, truth[gold], seed=s, gold_fraction=1.0) for s in range(3)]
    plain = [
        replay_routed(a, gold, truth[gold], seed=s, gold_fraction=1.0, routing=ARRIVAL)
        for s in range(3)
    ]
    lpi_skill = np.mean([r.labels_per_item for r in skill])
    lpi_plain = np.mean([r.labels_per_item for r in plain])
    assert lpi_skill < lpi_plain - 0.5
    eval_truth = truth  # every item has a true label here; score the non-gold ones
    others = np.arange(40, a.n_items)
    acc_skill = np.mean([np.mean(r.labels[others] == eval_truth[others]) for r in skill])
    acc_plain = np.mean([np.mean(r.labels[others] == eval_truth[others]) for r in plain])
    assert acc_skill >= acc_plain - 0.01
    assert acc_skill > 0.93


def test_routing_spends_few_answers_on_spammers() -> None:
    a, truth, gold, acc = _crowd()
    res = replay_routed(a, gold, truth[gold], seed=1, gold_fraction=1.0)
    plain = replay_routed(a, gold, truth[gold], seed=1, gold_fraction=1.0, routing=ARRIVAL)
    assert res.revealed is not None and plain.revealed is not None
    not_gold = a.items >= 40
    spam = (acc[a.workers] == 0.5) & not_gold
    assert spam[res.revealed].sum() < 0.5 * spam[plain.revealed].sum()
    used, recorded = weak_share(a, res.revealed & not_gold, np.arange(a.n_items), truth)
    assert used < 0.6 * recorded


def test_newcomers_without_gold_are_tried_and_the_good_ones_kept() -> None:
    a, truth, gold, acc = _crowd(no_gold_from=30)  # workers 30-39 never saw a gold item
    res = replay_routed(a, gold, truth[gold], seed=2, gold_fraction=1.0)
    assert res.revealed is not None
    per_worker = np.bincount(a.workers[res.revealed & (a.items >= 40)], minlength=40)
    newcomers = np.arange(30, 40)
    assert np.all(per_worker[newcomers] > 0)  # nobody left at the prior
    good = newcomers[acc[newcomers] >= 0.8]
    spam = newcomers[acc[newcomers] == 0.5]
    assert good.size and spam.size
    assert per_worker[good].min() > per_worker[spam].max()


def test_with_one_person_online_there_is_nothing_to_choose() -> None:
    a, truth, gold, _ = _crowd(n_items=150)
    one = replay_routed(a, gold, truth[gold], seed=3, online=1)
    plain = replay_routed(a, gold, truth[gold], seed=3, online=1, routing=ARRIVAL)
    assert np.array_equal(one.used, plain.used)
    assert np.array_equal(one.labels, plain.labels)


def test_deterministic_per_seed_and_counts_the_gold_overhead() -> None:
    a, truth, gold, _ = _crowd(n_items=200)
    policy = OverlapPolicy(3, 6, 0.95)
    r1 = replay_routed(a, gold, truth[gold], policy, 0.5, seed=4)
    r2 = replay_routed(a, gold, truth[gold], policy, 0.5, seed=4)
    r3 = replay_routed(a, gold, truth[gold], policy, 0.5, seed=5)
    assert np.array_equal(r1.used, r2.used) and r1.accuracy == r2.accuracy
    assert not np.array_equal(r1.used, r3.used)
    assert r1.gold_items.size == 20 and r1.gold_answers == 200
    others = a.n_items - 20
    assert r1.labels_per_item == pytest.approx(r1.used[r1.status >= 0].sum() / others)
    assert r1.labels_per_item_with_gold == pytest.approx(r1.labels_per_item + 200 / others)
    assert r1.used[r1.status >= 0].max() <= 6  # never beyond the overlap limit
    assert set(r1.counts_by_status()) <= {"done", "disputed", "exhausted"}


def test_online_must_be_positive() -> None:
    a, truth, gold, _ = _crowd(n_items=50)
    with pytest.raises(ValueError, match="online"):
        replay_routed(a, gold, truth[gold], online=0)
