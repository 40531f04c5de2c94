"""Replay recorded crowd answers through the dynamic-overlap policy (a pure simulation).

A seeded share of the items with gold serve as gold (control) questions: all their answers
are revealed up front and their posteriors are clamped to the gold label, which anchors the
worker model. Every other item then receives its recorded answers one at a time, in a seeded
random order, in rounds: each round gives one more answer to every item the policy still
asks about, re-fits the worker model (gold-anchored EM over everything revealed so far) and
applies the policy. An item stops when the policy says ``done`` or ``disputed`` or when its
recorded answers run out. The final label is the gold-anchored aggregation of the answers
used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.quality.dawid_skene import EMSettings, leave_one_out_posterior, run_em
from bot.quality.encoding import Answers, BoolArray, FloatArray, IntArray
from bot.quality.overlap import OverlapPolicy, decide_many
from bot.quality.result import pick_labels
from bot.quality.voting import majority_vote

POLICY_MODEL = EMSettings(diag_prior=0.1, off_prior=0.1, class_smoothing=1.0, tol=1e-6)
"""Worker model the policy uses while answers arrive: gold-anchored Dawid-Skene with a light
Dirichlet(0.1) smoothing; items are judged with leave-one-out confusion matrices (see
:func:`bot.quality.dawid_skene.leave_one_out_posterior`) so their confidence is honest."""

FINAL_MODEL = EMSettings(diag_prior=0.01, off_prior=0.01, class_smoothing=0.01, tol=1e-6)
"""Worker model for the final labels: the same settings as the ``ds_gold`` method."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Outcome of a replay.

    ``labels``/``confidence`` cover all items; ``used`` counts the answers revealed per item;
    ``status`` is the last decision per item (``-1`` for gold items, ``3`` when an item ran
    out of recorded answers before the policy stopped); ``gold_items`` are the items used as
    gold questions and ``eval_items`` the others that have a gold label. ``labels_per_item``
    counts the answers revealed for the items that are not gold questions, per such item;
    ``gold_answers`` the answers of the gold questions (all revealed up front); ``revealed``
    marks every recorded answer that was used, the gold questions' included.
    """

    labels: IntArray
    confidence: FloatArray
    used: IntArray
    status: IntArray
    gold_items: IntArray
    eval_items: IntArray
    accuracy: float
    labels_per_item: float
    gold_answers: int
    rounds: int
    revealed: BoolArray | None = None

    @property
    def labels_per_item_with_gold(self) -> float:
        """Every revealed answer, the gold questions' included, per item that is not a gold
        question: the cost with the gold overhead."""
        others = int(np.sum(self.status >= 0))
        if others == 0:
            return float("nan")
        return self.labels_per_item + self.gold_answers / others

    def counts_by_status(self) -> dict[str, int]:
        """How many non-gold items ended done, disputed, or out of answers."""
        names = {1: "done", 2: "disputed", 3: "exhausted", 0: "more"}
        mask = self.status >= 0
        values, counts = np.unique(self.status[mask], return_counts=True)
        return {names[int(v)]: int(c) for v, c in zip(values, counts, strict=True)}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The policy applied to every item of a project at once.

    ``status`` uses the codes of :data:`bot.quality.overlap.STATUSES` (0 more, 1 done,
    2 disputed); ``labels``/``confidence`` come from the leave-one-out posterior the decision
    was based on; ``posterior`` is the plain EM posterior (a warm start for the next call).
    """

    status: IntArray
    labels: IntArray
    confidence: FloatArray
    posterior: FloatArray


def assess(
    answers: Answers,
    gold_items: IntArray | None = None,
    gold_labels: IntArray | None = None,
    policy: OverlapPolicy | None = None,
    model: EMSettings = POLICY_MODEL,
    start: FloatArray | None = None,
    seed: int = 0,
) -> Assessment:
    """Decide, for every item of a live project, whether it needs another answer.

    This is the step :func:`replay` takes after each round, for use on real answers: fit the
    gold-anchored worker model to all answers so far, judge each item with leave-one-out
    matrices, and apply ``policy`` to its answer count. Gold items come out ``done``.
    """
    policy = policy or OverlapPolicy()
    clamp = np.full(answers.n_items, -1, dtype=np.int64)
    if gold_items is not None and gold_labels is not None:
        clamp[gold_items] = gold_labels
    n_answers = np.bincount(answers.items, minlength=answers.n_items)
    return _assess(answers, clamp, n_answers, policy, model, start, seed)


def _assess(
    answers: Answers,
    clamp: IntArray,
    n_answers: IntArray,
    policy: OverlapPolicy,
    model: EMSettings,
    start: FloatArray | None,
    seed: int,
) -> Assessment:
    vote = majority_vote(answers).posterior
    initial = vote if start is None else 0.5 * (start + vote)
    posterior, _, _, _ = run_em(answers, initial, model, clamp)
    current = leave_one_out_posterior(answers, posterior, model, clamp)
    codes = decide_many(n_answers, current, policy)
    codes[clamp >= 0] = 1
    labels, _ = pick_labels(current, seed)
    conf = current[np.arange(answers.n_items), labels]
    return Assessment(codes, labels, np.asarray(conf, dtype=np.float64), posterior)


def choose_gold(gold_items: IntArray, fraction: float, seed: int) -> IntArray:
    """A seeded random ``fraction`` of the items with gold (rounded, at least one if any)."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("gold fraction must lie in [0, 1]")
    n = round(fraction * gold_items.size)
    if fraction > 0 and gold_items.size and n == 0:
        n = 1
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(gold_items, size=n, replace=False)).astype(np.int64)


def _answer_ranks(answers: Answers, seed: int) -> IntArray:
    """Each answer's position in its item's seeded random order (0 = first)."""
    rng = np.random.default_rng([seed, 1])
    order = np.lexsort((rng.random(answers.n_answers), answers.items))
    starts = np.searchsorted(answers.items[order], np.arange(answers.n_items))
    rank = np.empty(answers.n_answers, dtype=np.int64)
    rank[order] = np.arange(answers.n_answers) - starts[answers.items[order]]
    return rank


def replay(
    answers: Answers,
    gold_items: IntArray,
    gold_labels: IntArray,
    policy: OverlapPolicy | None = None,
    gold_fraction: float = 0.1,
    seed: int = 0,
    policy_model: EMSettings = POLICY_MODEL,
    final_model: EMSettings = FINAL_MODEL,
) -> ReplayResult:
    """Replay ``answers`` through ``policy`` (see the module docstring) and score the result
    against the gold of the items not used as gold questions."""
    policy = policy or OverlapPolicy()
    n_i = answers.n_items
    truth = np.full(n_i, -1, dtype=np.int64)
    truth[gold_items] = gold_labels
    control = choose_gold(np.flatnonzero(truth >= 0), gold_fraction, seed)
    clamp = np.full(n_i, -1, dtype=np.int64)
    clamp[control] = truth[control]
    is_control = clamp >= 0

    n_ans = np.bincount(answers.items, minlength=n_i)
    rank = _answer_ranks(answers, seed)
    used = np.where(is_control, n_ans, 0)
    status = np.where(is_control, -1, 0)
    active = ~is_control & (n_ans > 0)
    posterior: FloatArray = majority_vote(answers.subset(rank < used[answers.items])).posterior
    rounds = 0
    while active.any():
        rounds += 1
        used = np.where(active, np.minimum(used + 1, n_ans), used)
        revealed = answers.subset(rank < used[answers.items])
        if rounds >= policy.min_overlap or np.any(active & (used >= n_ans)):
            step = _assess(revealed, clamp, used, policy, policy_model, posterior, seed)
            posterior, codes = step.posterior, step.status
            exhausted = active & (codes == 0) & (used >= n_ans)
            status = np.where(active, np.where(exhausted, 3, codes), status)
            active &= codes == 0
            active &= ~exhausted

    final = answers.subset(rank < used[answers.items])
    start = majority_vote(final).posterior
    posterior, _, _, _ = run_em(final, start, final_model, clamp)
    labels, _ = pick_labels(posterior, seed)
    conf = posterior[np.arange(n_i), labels]
    evaluate = np.flatnonzero((truth >= 0) & ~is_control)
    accuracy = (
        float(np.mean(labels[evaluate] == truth[evaluate])) if evaluate.size else float("nan")
    )
    others = np.flatnonzero(~is_control)
    per_item = float(used[others].mean()) if others.size else float("nan")
    return ReplayResult(
        labels=labels,
        confidence=np.asarray(conf, dtype=np.float64),
        used=used.astype(np.int64),
        status=status.astype(np.int64),
        gold_items=control,
        eval_items=evaluate.astype(np.int64),
        accuracy=accuracy,
        labels_per_item=per_item,
        gold_answers=int(n_ans[control].sum()),
        rounds=rounds,
        revealed=rank < used[answers.items],
    )
