"""Majority vote and skill-weighted vote."""

from __future__ import annotations

import numpy as np

from bot.quality.encoding import Answers, FloatArray, IntArray
from bot.quality.result import Aggregation, finish, pick_labels


def majority_vote(answers: Answers, seed: int = 0, smoothing: float = 1.0) -> Aggregation:
    """Plain majority vote (``mv``).

    The label is the most voted class; ties are broken uniformly at random by a generator
    seeded with ``seed`` and flagged in ``ties``. The posterior is the smoothed vote share
    ``(votes_k + s) / (n + K s)`` (the posterior mean under a symmetric Dirichlet(s) prior), so
    one vote out of one is not certainty. Items without answers get the uniform posterior.
    """
    counts = answers.counts()
    labels, ties = pick_labels(counts, seed)
    k = answers.n_classes
    posterior = (counts + smoothing) / (counts.sum(axis=1, keepdims=True) + k * smoothing)
    conf = posterior[np.arange(answers.n_items), labels]
    return Aggregation("mv", labels, conf, posterior, ties)


def accuracy_counts(answers: Answers, reference: IntArray) -> tuple[FloatArray, FloatArray]:
    """Per worker: how many of their answers match ``reference`` (a class per item, -1 = skip),
    and on how many items with a reference they answered."""
    ref = reference[answers.items]
    seen = ref >= 0
    hit = seen & (ref == answers.labels)
    n = answers.n_workers
    correct = np.bincount(answers.workers, weights=hit.astype(np.float64), minlength=n)
    total = np.bincount(answers.workers, weights=seen.astype(np.float64), minlength=n)
    return correct.astype(np.float64), total.astype(np.float64)


def smoothed_accuracy(
    correct: FloatArray, total: FloatArray, prior_mean: float, prior_strength: float
) -> FloatArray:
    """Posterior-mean accuracy under a Beta prior with the given mean and weight."""
    a = prior_mean * prior_strength
    return (correct + a) / (total + prior_strength)


def log_odds_weights(accuracy: FloatArray, n_classes: int) -> FloatArray:
    """Vote weights ``log(acc (K-1) / (1 - acc))``: the one-coin model's evidence per vote."""
    acc = np.clip(accuracy, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.log(acc * max(n_classes - 1, 1) / (1.0 - acc)), dtype=np.float64)


def weighted_vote(
    answers: Answers,
    gold_items: IntArray | None = None,
    gold_labels: IntArray | None = None,
    prior_mean: float = 0.7,
    prior_strength: float = 4.0,
    seed: int = 0,
) -> Aggregation:
    """Skill-weighted vote (``wmv``).

    Each worker's accuracy is the posterior mean under a Beta prior (``prior_mean``,
    ``prior_strength``) from their answers on gold items when gold is given; workers with no
    gold answers (or every worker when there is no gold) are scored instead by agreement with
    the majority vote, leaving their own vote out of the comparison. A vote counts
    ``log(acc (K-1) / (1 - acc))``, floored at zero: a worker no better than chance is ignored
    rather than read backwards, so agreeing votes always push the same way. The posterior is
    the softmax of the summed weights (the one-coin model's posterior with a uniform class
    prior, for workers above chance); equal scores are settled by the plain vote count.
    """
    k, n_w = answers.n_classes, answers.n_workers
    counts = answers.counts()
    # leave-one-out agreement with the majority: remove the worker's own vote first
    own = counts[answers.items].copy()
    own[np.arange(answers.n_answers), answers.labels] -= 1.0
    others_label, others_tie = pick_labels(own, seed)
    has_others = own.sum(axis=1) > 0
    usable = has_others & ~others_tie
    agree = usable & (others_label == answers.labels)
    correct: FloatArray = np.asarray(
        np.bincount(answers.workers, weights=agree.astype(np.float64), minlength=n_w),
        dtype=np.float64,
    )
    total: FloatArray = np.asarray(
        np.bincount(answers.workers, weights=usable.astype(np.float64), minlength=n_w),
        dtype=np.float64,
    )
    if gold_items is not None and gold_labels is not None and gold_items.size:
        reference = np.full(answers.n_items, -1, dtype=np.int64)
        reference[gold_items] = gold_labels
        g_correct, g_total = accuracy_counts(answers, reference)
        use_gold = g_total > 0
        correct = np.where(use_gold, g_correct, correct)
        total = np.where(use_gold, g_total, total)
    acc = smoothed_accuracy(correct, total, prior_mean, prior_strength)
    weights = np.maximum(log_odds_weights(acc, k), 0.0)
    scores = np.bincount(
        answers.items * k + answers.labels,
        weights=weights[answers.workers],
        minlength=answers.n_items * k,
    )
    # equal weighted scores are settled by the plain vote count (then by the seeded rule)
    logits = scores.reshape(answers.n_items, k) + 1e-9 * counts
    posterior = np.exp(logits - logits.max(axis=1, keepdims=True)) if logits.size else logits
    posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), 1e-300)
    confusion = one_coin_confusion(acc, k)
    return finish("wmv", posterior, seed, confusion=confusion)


def one_coin_confusion(accuracy: FloatArray, n_classes: int) -> FloatArray:
    """Confusion matrices of one-coin workers: ``acc`` on the diagonal, the rest spread evenly."""
    off = (1.0 - accuracy) / max(n_classes - 1, 1)
    conf = np.repeat(off[:, None, None], n_classes, axis=1).repeat(n_classes, axis=2)
    idx = np.arange(n_classes)
    conf[:, idx, idx] = accuracy[:, None]
    if n_classes == 1:
        conf[:, 0, 0] = 1.0
    return np.asarray(conf, dtype=np.float64)
