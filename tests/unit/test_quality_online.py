"""Online Dawid-Skene: answers one at a time, gold clamped, against simulated crowds."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.dawid_skene import EMSettings, run_em
from bot.quality.encoding import Answers
from bot.quality.layout import Layout
from bot.quality.online import OnlineDawidSkene, OnlineSettings
from bot.quality.overlap import OverlapPolicy
from bot.quality.voting import majority_vote


def _crowd(
    n_items: int = 1500, n_workers: int = 20, per_item: int = 5, seed: int = 0
) -> tuple[Answers, np.ndarray, np.ndarray]:
    """Three classes with a skewed prior; every worker has a class-dependent confusion matrix
    (right 55-95% of the time depending on the true class, errors split unevenly)."""
    rng = np.random.default_rng(seed)
    k = 3
    truth = rng.choice(k, size=n_items, p=[0.5, 0.3, 0.2])
    conf = np.empty((n_workers, k, k))
    for w in range(n_workers):
        for t in range(k):
            right = rng.uniform(0.55, 0.95)
            rest = rng.dirichlet(np.ones(k - 1)) * (1 - right)
            conf[w, t] = np.insert(rest, t, right)
    items, workers, labels = [], [], []
    for i in range(n_items):
        for w in rng.choice(n_workers, per_item, replace=False):
            items.append(i)
            workers.append(int(w))
            labels.append(int(rng.choice(k, p=conf[w, truth[i]])))
    answers = Answers.from_arrays(items, workers, labels, n_items, n_workers, k)
    return answers, truth, conf


def _feed(
    answers: Answers, settings: OnlineSettings, gold: np.ndarray, truth: np.ndarray, seed: int
) -> OnlineDawidSkene:
    model = OnlineDawidSkene(answers.n_classes, settings)
    for item in gold.tolist():
        model.set_gold(item, int(truth[item]))
    for j in np.random.default_rng(seed).permutation(answers.n_answers).tolist():
        model.add(int(answers.items[j]), int(answers.workers[j]), int(answers.labels[j]))
    return model


def test_answers_one_at_a_time_recover_the_crowds_confusion_matrices() -> None:
    answers, truth, conf = _crowd()
    gold = np.arange(0, answers.n_items, 20)  # 5% gold
    model = _feed(answers, OnlineSettings(), gold, truth, seed=1)
    model.refresh()
    err = np.abs(model.confusion() - conf)
    # each worker answered about 375 items: every cell within 0.1, on average within 0.03
    assert err.max() < 0.1
    assert err.mean() < 0.03
    assert np.abs(model.class_prior() - [0.5, 0.3, 0.2]).max() < 0.03
    labels = model.posterior().argmax(axis=1)
    mv = majority_vote(answers).labels
    assert np.mean(labels == truth) > np.mean(mv == truth) + 0.02


def test_without_refreshes_the_incremental_steps_alone_learn_the_crowd() -> None:
    answers, truth, conf = _crowd(seed=2)
    settings = OnlineSettings(refresh_every=10**9)
    model = _feed(answers, settings, np.arange(0, answers.n_items, 20), truth, seed=3)
    assert np.abs(model.confusion() - conf).mean() < 0.05
    assert np.mean(model.posterior().argmax(axis=1) == truth) > 0.85


def test_the_counts_stay_the_sums_of_the_current_posteriors() -> None:
    answers, truth, _ = _crowd(n_items=200, seed=4)
    model = _feed(answers, OnlineSettings(refresh_every=37), np.arange(10), truth, seed=5)
    k = answers.n_classes
    seen = model.answers()
    cells = Layout.of(seen).cell_counts(model.posterior())
    expected = cells.reshape(seen.n_workers, k, k).transpose(0, 2, 1)
    assert np.allclose(model.counts(), expected, atol=1e-9)


def test_a_refresh_to_convergence_agrees_with_batch_em_on_the_same_answers() -> None:
    answers, truth, _ = _crowd(n_items=600, seed=6)
    gold = np.arange(0, 600, 10)
    settings = OnlineSettings()
    online = _feed(answers, settings, gold, truth, seed=7)
    online.refresh(rounds=500, tol=1e-10)
    clamp = np.full(answers.n_items, -1)
    clamp[gold] = truth[gold]
    em = settings.em(tol=1e-10, max_iter=500)
    batch, confusion, _, _ = run_em(answers, majority_vote(answers).posterior, em, clamp)
    assert np.mean(online.posterior().argmax(axis=1) == batch.argmax(axis=1)) > 0.995
    assert np.abs(online.confusion() - confusion).max() < 0.02


def test_gold_is_clamped_and_teaches_the_matrices() -> None:
    model = OnlineDawidSkene(2)
    model.set_gold(0, 1)
    for w in range(3):
        model.add(0, w, 0)  # everybody contradicts the gold answer
    assert model.posterior(np.asarray([0]))[0].tolist() == [0.0, 1.0]
    assert model.loo_posterior(np.asarray([0]))[0].tolist() == [0.0, 1.0]
    wrong = model.confusion(np.asarray([0]))[0]
    assert wrong[1, 0] > wrong[1, 1]  # worker 0 now looks like one who says 0 for a 1


def test_an_item_answered_by_workers_who_are_right_on_gold_becomes_certain() -> None:
    model = OnlineDawidSkene(2)
    for g in range(10):
        model.set_gold(g, g % 2)
        for w in range(3):
            model.add(g, w, g % 2)
    for w in range(3):
        model.add(99, w, 1)
    assert model.n_items == 100
    assert model.posterior(np.asarray([99]))[0, 1] > 0.99
    policy = OverlapPolicy(3, 5, 0.95)
    assert model.decide(np.asarray([99]), policy).tolist() == [1]


def test_the_leave_one_out_posterior_is_humbler_than_the_plain_one() -> None:
    model = OnlineDawidSkene(2)
    for w in range(3):
        model.add(0, w, 1)  # three workers seen on one item only: the item vouches for them
    model.refresh(rounds=100)
    plain = model.posterior(np.asarray([0]))[0, 1]
    loo = model.loo_posterior(np.asarray([0]))[0, 1]
    assert 0.5 < loo < plain


def test_the_stopping_rule_on_the_model() -> None:
    model = OnlineDawidSkene(2)
    for g in range(20):
        model.set_gold(g, g % 2)
        for w in range(6):
            model.add(g, w, g % 2 if w < 3 else (g // 2) % 2)  # workers 3-5 guess
    for w in range(3):
        model.add(50, w, 0)  # three good workers agree
    for w in (0, 3):
        model.add(51, w, 1)  # only two answers so far
    model.add(52, 0, 0)
    model.add(52, 1, 1)
    model.add(52, 3, 0)
    model.add(52, 4, 1)  # a split that no more answers can settle within the limit
    codes = model.decide(np.asarray([50, 51, 52, 0]), OverlapPolicy(3, 4, 0.95))
    assert codes.tolist() == [1, 0, 2, 1]  # done, more, disputed; gold is done


def test_an_annotator_answers_an_item_once_and_a_refusal_changes_nothing() -> None:
    model = OnlineDawidSkene(2)
    model.add(0, 0, 1)
    before = (model.counts(), model.posterior(), model.n_answers)
    with pytest.raises(ValueError, match="at most once"):
        model.add(0, 0, 0)
    with pytest.raises(ValueError, match="label"):
        model.add(1, 0, 2)
    assert np.array_equal(model.counts(), before[0])
    assert np.array_equal(model.posterior(), before[1])
    assert model.n_answers == before[2]


def test_rebuilt_from_stored_answers_and_final_results_with_confidence() -> None:
    answers, truth, _ = _crowd(n_items=400, seed=8)
    gold = np.arange(0, 400, 10)
    model = OnlineDawidSkene.of(answers, OnlineSettings(), gold, truth[gold])
    assert model.n_answers == answers.n_answers
    final = model.final()
    assert np.array_equal(final.labels[gold], truth[gold])
    assert np.mean(final.labels == truth) > 0.9
    right = final.labels == truth
    assert final.confidence[right].mean() > final.confidence[~right].mean()
    strict = model.final(EMSettings(1.0, 1.0, 1.0, tol=1e-8))
    assert strict.confidence.max() <= 1.0 and strict.method == "ds_online"


def test_an_item_with_no_answers_has_the_class_prior() -> None:
    model = OnlineDawidSkene(2)
    for i in range(9):
        model.add(i, 0, 0 if i < 6 else 1)
    fresh = model.posterior(np.asarray([500]))[0]
    assert np.allclose(fresh, model.class_prior())
    assert fresh[0] > fresh[1]


def test_a_project_without_gold_still_learns_who_is_good() -> None:
    answers, truth, conf = _crowd(n_items=800, seed=9)
    model = _feed(answers, OnlineSettings(), np.zeros(0, dtype=np.int64), truth, seed=10)
    model.refresh(rounds=50)
    assert np.mean(model.posterior().argmax(axis=1) == truth) > 0.85
    assert np.abs(model.confusion() - conf).mean() < 0.05


def _strong_trio(ambiguity: float) -> OnlineDawidSkene:
    """Three annotators right on all 100 gold questions, answering both classes evenly."""
    model = OnlineDawidSkene(2, OnlineSettings(ambiguity=ambiguity))
    for g in range(100):
        model.set_gold(g, g % 2)
        for w in range(3):
            model.add(g, w, g % 2)
    return model


def test_the_ambiguity_branch_keeps_a_split_between_strong_annotators_open() -> None:
    policy = OverlapPolicy(3, 8, 0.975)
    for ambiguity, split_code in ((0.0, 1), (0.01, 0)):
        model = _strong_trio(ambiguity)
        for w, label in enumerate((1, 1, 1)):
            model.add(140, w, label)
        for w, label in enumerate((1, 1, 0)):
            model.add(141, w, label)
        top = model.loo_posterior(np.asarray([140, 141])).max(axis=1)
        assert top[0] > 0.99  # agreement stays certain either way
        assert model.decide(np.asarray([140, 141]), policy).tolist() == [1, split_code]
        if ambiguity:
            assert 0.5 < top[1] < 0.975


def test_the_ambiguity_prior_must_be_a_probability_below_one() -> None:
    for bad in (-0.1, 1.0):
        with pytest.raises(ValueError, match="ambiguity"):
            OnlineSettings(ambiguity=bad)
