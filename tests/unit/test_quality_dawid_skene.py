"""Dawid-Skene and its variants on small hand-made cases, against a naive reference."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.dawid_skene import (
    EMSettings,
    dawid_skene,
    dawid_skene_gold,
    dawid_skene_loo,
    dawid_skene_prior,
    leave_one_out_posterior,
    one_coin,
    run_em,
)
from bot.quality.encoding import Answers
from bot.quality.layout import Layout, stable_order
from bot.quality.methods import METHODS, aggregate, cross_fitted_accuracy
from bot.quality.voting import majority_vote


def crowd(
    n_items: int,
    accuracies: list[float],
    n_classes: int = 2,
    per_item: int | None = None,
    seed: int = 0,
) -> tuple[Answers, np.ndarray]:
    """A synthetic crowd of one-coin workers; returns answers and the truth."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, n_items)
    items, workers, labels = [], [], []
    n_w = len(accuracies)
    for i in range(n_items):
        chosen = range(n_w) if per_item is None else rng.choice(n_w, per_item, replace=False)
        for w in chosen:
            if rng.random() < accuracies[w]:
                lab = int(truth[i])
            else:
                lab = int(rng.choice([c for c in range(n_classes) if c != truth[i]]))
            items.append(i)
            workers.append(int(w))
            labels.append(lab)
    a = Answers.from_arrays(items, workers, labels, n_items, n_w, n_classes)
    return a, truth


def naive_ds(a: Answers, iterations: int, smoothing: float) -> np.ndarray:
    """Textbook Dawid-Skene with Python loops, for checking the vectorised one."""
    k = a.n_classes
    post = majority_vote(a).posterior.copy()
    for _ in range(iterations):
        conf = np.full((a.n_workers, k, k), smoothing)
        for i, w, lab in zip(a.items, a.workers, a.labels, strict=True):
            conf[w, :, lab] += post[i]
        conf /= conf.sum(axis=2, keepdims=True)
        prior = post.sum(axis=0) + smoothing
        prior /= prior.sum()
        logp = np.tile(np.log(prior), (a.n_items, 1))
        for i, w, lab in zip(a.items, a.workers, a.labels, strict=True):
            logp[i] += np.log(conf[w, :, lab])
        post = np.exp(logp - logp.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
    return post


def test_vectorised_em_matches_the_naive_reference() -> None:
    a, _ = crowd(40, [0.9, 0.8, 0.6, 0.55, 0.7], n_classes=3, per_item=3, seed=3)
    r = dawid_skene(a, smoothing=0.5, max_iter=7, tol=0.0)
    assert r.iterations == 7
    assert np.allclose(r.posterior, naive_ds(a, 7, 0.5), atol=1e-10)


def test_ds_beats_mv_when_a_worker_is_adversarial() -> None:
    # two good workers and one who always answers the opposite, plus a coin-flipper
    a, truth = crowd(300, [0.85, 0.8, 0.0, 0.5], seed=1)
    mv = majority_vote(a)
    ds = dawid_skene(a)
    assert ds.method == "ds"
    assert np.mean(ds.labels == truth) > np.mean(mv.labels == truth) + 0.05
    assert ds.confusion is not None
    assert ds.confusion[2, 0, 1] > 0.9 and ds.confusion[2, 1, 0] > 0.9  # flips learned
    assert ds.class_prior is not None and ds.class_prior.sum() == pytest.approx(1.0)
    assert np.all((ds.confidence >= 0) & (ds.confidence <= 1))


def test_ds_recovers_synthetic_truth() -> None:
    a, truth = crowd(500, [0.9, 0.75, 0.7, 0.65, 0.6, 0.55], n_classes=3, per_item=4, seed=2)
    r = dawid_skene(a)
    assert np.mean(r.labels == truth) > np.mean(majority_vote(a).labels == truth)
    assert np.mean(r.labels == truth) > 0.85


def test_ds_gold_clamps_known_items_and_anchors_workers() -> None:
    a, truth = crowd(200, [0.85, 0.8, 0.75], seed=4)
    gold_items = np.arange(0, 200, 4)
    gold_labels = truth[gold_items]
    r = dawid_skene_gold(a, gold_items, gold_labels)
    assert r.method == "ds_gold"
    assert np.array_equal(r.labels[gold_items], gold_labels)
    assert np.allclose(r.confidence[gold_items], 1.0)
    # if gold says the crowd has the classes backwards, the anchored workers are learned
    # as flippers and the other items follow the gold's orientation
    flipped = 1 - truth
    r2 = dawid_skene_gold(a, gold_items, flipped[gold_items])
    others = np.setdiff1d(np.arange(200), gold_items)
    assert np.mean(r2.labels[others] == flipped[others]) > 0.7
    assert np.mean(dawid_skene(a).labels[others] == truth[others]) > 0.7


def test_one_coin_and_prior_and_loo_variants_run() -> None:
    a, truth = crowd(200, [0.9, 0.8, 0.7, 0.6], per_item=3, seed=5)
    for r in (one_coin(a), dawid_skene_prior(a), dawid_skene_loo(a)):
        assert np.mean(r.labels == truth) > 0.8
        assert r.posterior.shape == (200, 2)
        assert np.allclose(r.posterior.sum(axis=1), 1.0)
    oc = one_coin(a)
    assert oc.confusion is not None
    # one-coin matrices have equal diagonal entries per worker
    assert np.allclose(oc.confusion[:, 0, 0], oc.confusion[:, 1, 1])


def test_leave_one_out_is_less_confident_than_plain_em_on_sparse_workers() -> None:
    a, _ = crowd(30, [0.8] * 20, per_item=3, seed=6)
    settings = EMSettings(0.1, 0.1, 1.0)
    post, _, _, _ = run_em(a, majority_vote(a).posterior, settings)
    loo = leave_one_out_posterior(a, post, settings)
    assert loo.max(axis=1).mean() < post.max(axis=1).mean()


def test_items_without_answers_and_empty_input() -> None:
    a = Answers.from_arrays([0, 0, 2], [0, 1, 1], [1, 1, 0], n_items=4, n_classes=2)
    r = dawid_skene(a)
    assert r.labels[0] == 1 and r.labels[2] == 0
    assert r.posterior.shape == (4, 2)
    empty = Answers.from_arrays([], [], [], 0, 0, 2)
    assert dawid_skene(empty).labels.shape == (0,)


def test_stable_order_matches_argsort() -> None:
    rng = np.random.default_rng(0)
    for bound in (5, 70_000, 5_000_000):
        keys = rng.integers(0, bound, 5_000)
        assert np.array_equal(stable_order(keys, bound), np.argsort(keys, kind="stable"))
    assert stable_order(np.arange(10), 10).tolist() == list(range(10))


def test_layout_sums_agree_with_bincount() -> None:
    a, _ = crowd(50, [0.7, 0.8, 0.9], n_classes=3, per_item=2, seed=7)
    lay = Layout.of(a)
    post = np.random.default_rng(1).dirichlet(np.ones(3), size=50)
    cells = a.workers * 3 + a.labels
    expect = np.stack([np.bincount(cells, post[a.items, t], 9) for t in range(3)], axis=1)
    assert np.allclose(lay.cell_counts(post), expect)


def test_every_method_runs_through_the_registry() -> None:
    a, truth = crowd(120, [0.85, 0.8, 0.75, 0.7], per_item=3, seed=8)
    gold = (np.arange(0, 120, 3), truth[np.arange(0, 120, 3)])
    for name in METHODS:
        r = aggregate(a, name, gold)
        assert r.method == name
        assert np.mean(r.labels == truth) > 0.75
    with pytest.raises(ValueError):
        aggregate(a, "ds_gold", None)
    with pytest.raises(ValueError):
        aggregate(a, "nope")
    acc = cross_fitted_accuracy(a, "ds_gold", gold[0], gold[1])
    assert 0.7 < acc < 1.0  # scored on gold the run did not see, so not trivially 1
