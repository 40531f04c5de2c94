"""Dynamic overlap: after each answer, decide whether an item is done, needs another answer,
or is disputed.

Given the answers an item has so far and a model of the workers (a confusion matrix each, or
just an accuracy), the item's posterior is ``prior_k * prod_j confusion[w_j, k, l_j]``
normalised. The rule (:class:`OverlapPolicy`):

* ``done``: the top class has posterior ``>= confidence`` and the item has ``>= min_overlap``
  answers;
* ``disputed``: not done, and it already has ``>= max_overlap`` answers;
* ``more``: otherwise, ask one more worker.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.quality.encoding import FloatArray, IntArray
from bot.quality.result import Aggregation, pick_labels
from bot.quality.voting import one_coin_confusion

Status = Literal["done", "more", "disputed"]
STATUSES: tuple[Status, Status, Status] = ("more", "done", "disputed")
"""Status names by code, as :func:`decide_many` returns them (0 more, 1 done, 2 disputed)."""


@dataclass(frozen=True, slots=True)
class OverlapPolicy:
    """How many answers an item gets: at least ``min_overlap``, at most ``max_overlap``, and in
    between until its top class reaches posterior ``confidence``."""

    min_overlap: int = 3
    max_overlap: int = 8
    confidence: float = 0.975

    def __post_init__(self) -> None:
        if self.min_overlap < 1 or self.max_overlap < self.min_overlap:
            raise ValueError("need 1 <= min_overlap <= max_overlap")
        if not 0.0 < self.confidence <= 1.0:
            raise ValueError("confidence must lie in (0, 1]")


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with an item now: its status, current best label, that label's posterior,
    the whole posterior and the number of answers it is based on."""

    status: Status
    label: int
    confidence: float
    posterior: FloatArray
    n_answers: int


@dataclass(frozen=True, slots=True)
class WorkerModel:
    """Worker quality for the policy.

    ``confusion[r]`` is the ``[true, answered]`` matrix of the worker at row ``r``; ``index``
    maps worker ids to rows (when ``None`` the ids are the row numbers). Workers not in the
    model answer according to ``default``.
    """

    confusion: FloatArray
    class_prior: FloatArray
    default: FloatArray
    index: Mapping[Hashable, int] | None = None

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return int(self.class_prior.shape[0])

    @classmethod
    def from_accuracy(
        cls,
        accuracy: Mapping[Hashable, float],
        n_classes: int,
        default_accuracy: float = 0.7,
        class_prior: Sequence[float] | None = None,
    ) -> WorkerModel:
        """One-coin workers: each is right with their accuracy, wrong evenly otherwise."""
        ids = list(accuracy)
        acc = np.asarray([accuracy[w] for w in ids], dtype=np.float64).reshape(-1)
        acc = np.clip(acc, 1e-4, 1.0 - 1e-4)
        prior = (
            np.full(n_classes, 1.0 / n_classes)
            if class_prior is None
            else np.asarray(class_prior, dtype=np.float64)
        )
        default = one_coin_confusion(np.asarray([default_accuracy]), n_classes)[0]
        return cls(
            one_coin_confusion(acc, n_classes),
            prior / prior.sum(),
            default,
            {w: i for i, w in enumerate(ids)},
        )

    @classmethod
    def from_aggregation(
        cls, result: Aggregation, default: FloatArray | None = None
    ) -> WorkerModel:
        """The worker model an EM method ended with (rows are worker indices).

        Unknown workers default to the answer-weighted mean of the known matrices unless
        ``default`` is given.
        """
        if result.confusion is None:
            raise ValueError(f"method {result.method!r} has no worker model")
        conf = result.confusion
        k = conf.shape[1]
        prior = result.class_prior if result.class_prior is not None else np.full(k, 1.0 / k)
        fallback = conf.mean(axis=0) if default is None else default
        return cls(conf, prior, np.asarray(fallback, dtype=np.float64))

    def matrices(self, workers: Sequence[Hashable]) -> FloatArray:
        """The confusion matrix of each listed worker, shape ``(len(workers), K, K)``."""
        rows = np.empty((len(workers), self.n_classes, self.n_classes))
        n_rows = self.confusion.shape[0]
        for j, w in enumerate(workers):
            r = self.index.get(w, -1) if self.index is not None else _as_row(w, n_rows)
            rows[j] = self.confusion[r] if 0 <= r < n_rows else self.default
        return rows

    def posterior(self, workers: Sequence[Hashable], labels: Sequence[int]) -> FloatArray:
        """Posterior over the true class of one item given its answers."""
        if len(workers) != len(labels):
            raise ValueError("workers and labels must have the same length")
        log_post = np.log(np.maximum(self.class_prior, 1e-300))
        if labels:
            mats = self.matrices(workers)
            lab = np.asarray(labels, dtype=np.int64)
            if lab.min() < 0 or lab.max() >= self.n_classes:
                raise ValueError("label index out of range")
            log_post = log_post + np.log(np.maximum(mats[np.arange(len(lab)), :, lab], 1e-300)).sum(
                axis=0
            )
        post = np.exp(log_post - log_post.max())
        return np.asarray(post / post.sum(), dtype=np.float64)


def _as_row(worker: Hashable, n_rows: int) -> int:
    if isinstance(worker, int | np.integer) and 0 <= int(worker) < n_rows:
        return int(worker)
    return -1


def decide(
    workers: Sequence[Hashable],
    labels: Sequence[int],
    model: WorkerModel,
    policy: OverlapPolicy,
    seed: int = 0,
) -> Decision:
    """Decide one item from its answers so far (worker ids and class indices)."""
    post = model.posterior(workers, labels)
    status = decide_many(np.asarray([len(labels)]), post[None, :], policy)[0]
    label, _ = pick_labels(post[None, :], seed)
    return Decision(STATUSES[int(status)], int(label[0]), float(post[label[0]]), post, len(labels))


def decide_many(n_answers: IntArray, posterior: FloatArray, policy: OverlapPolicy) -> IntArray:
    """The policy over many items at once: codes 0 more, 1 done, 2 disputed (see STATUSES)."""
    top = posterior.max(axis=1) if posterior.size else np.zeros(n_answers.shape[0])
    done = (top >= policy.confidence - 1e-12) & (n_answers >= policy.min_overlap)
    disputed = ~done & (n_answers >= policy.max_overlap)
    return np.where(done, 1, np.where(disputed, 2, 0)).astype(np.int64)
