"""The dynamic-overlap policy: done, more or disputed."""

from __future__ import annotations

import numpy as np
import pytest

from bot.quality.dawid_skene import dawid_skene
from bot.quality.encoding import Answers
from bot.quality.overlap import OverlapPolicy, WorkerModel, decide, decide_many

POLICY = OverlapPolicy(min_overlap=2, max_overlap=4, confidence=0.95)


def test_two_strong_agreeing_workers_are_enough() -> None:
    model = WorkerModel.from_accuracy({"ann": 0.95, "bob": 0.95, "cy": 0.6}, n_classes=2)
    d = decide(["ann", "bob"], [1, 1], model, POLICY)
    assert d.status == "done" and d.label == 1 and d.confidence > 0.99
    assert d.n_answers == 2


def test_below_min_overlap_asks_for_more_even_when_confident() -> None:
    model = WorkerModel.from_accuracy({"ann": 0.99}, n_classes=2)
    d = decide(["ann"], [0], model, POLICY)
    assert d.status == "more" and d.confidence > 0.95


def test_disagreement_asks_more_then_disputes_at_max() -> None:
    model = WorkerModel.from_accuracy({w: 0.7 for w in "abcd"}, n_classes=2)
    assert decide(["a", "b"], [0, 1], model, POLICY).status == "more"
    d = decide(list("abcd"), [0, 1, 0, 1], model, POLICY)
    assert d.status == "disputed"
    assert d.confidence == pytest.approx(0.5)


def test_weak_workers_need_more_answers_than_strong_ones() -> None:
    strong = WorkerModel.from_accuracy({w: 0.97 for w in "abc"}, n_classes=2)
    weak = WorkerModel.from_accuracy({w: 0.75 for w in "abc"}, n_classes=2)
    assert decide(["a", "b"], [1, 1], strong, POLICY).status == "done"
    assert decide(["a", "b"], [1, 1], weak, POLICY).status == "more"


def test_unknown_workers_use_the_default_accuracy() -> None:
    model = WorkerModel.from_accuracy({"a": 0.99}, n_classes=3, default_accuracy=0.5)
    post = model.posterior(["stranger"], [2])
    assert post[2] == pytest.approx(0.5)
    assert post[0] == pytest.approx(0.25)


def test_confusion_model_from_dawid_skene_uses_worker_rows() -> None:
    # worker 2 always answers the opposite of workers 0 and 1
    items = np.repeat(np.arange(30), 3)
    workers = np.tile([0, 1, 2], 30)
    truth = np.arange(30) % 2
    labels = np.where(workers == 2, 1 - truth[items], truth[items])
    r = dawid_skene(Answers.from_arrays(items, workers, labels))
    model = WorkerModel.from_aggregation(r)
    d = decide([2, 2], [0, 0], model, POLICY)  # two answers of 0 from the flipper
    assert d.label == 1 and d.status == "done"


def test_decide_many_matches_decide() -> None:
    post = np.array([[0.99, 0.01], [0.6, 0.4], [0.6, 0.4], [0.97, 0.03]])
    n = np.array([2, 2, 4, 1])
    assert decide_many(n, post, POLICY).tolist() == [1, 0, 2, 0]


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        OverlapPolicy(min_overlap=3, max_overlap=2)
    with pytest.raises(ValueError):
        OverlapPolicy(confidence=0.0)
    model = WorkerModel.from_accuracy({"a": 0.9}, n_classes=2)
    with pytest.raises(ValueError):
        model.posterior(["a"], [0, 1])
    with pytest.raises(ValueError):
        model.posterior(["a"], [5])
