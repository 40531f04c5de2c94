"""Replay recorded crowd answers with skill routing and limited availability (a simulation).

The same gold questions as :func:`bot.quality.replay.replay` (a seeded share of the items with
gold, all their recorded answers revealed up front, posteriors clamped). Then, in rounds, every
item the stopping rule still asks about gets one more answer: ``online`` people are drawn at
random among those who answered it in the record and have not been used on it yet, and
:func:`bot.quality.routing.pick_annotator` chooses one of them, whose recorded answer is
revealed. The worker model is :class:`bot.quality.online.OnlineDawidSkene`, updated answer by
answer (items are visited in a new seeded order each round) and refreshed on its schedule;
after each round its leave-one-out posteriors decide done / one more / disputed. The final
labels are Dawid-Skene over all revealed answers, gold clamped (:meth:`OnlineDawidSkene.final`).

With ``arrival`` routing the first person drawn answers, which is the recorded answers in a
random order: the same experiment as :func:`bot.quality.replay.replay` on the online model.
"""

from __future__ import annotations

import numpy as np

from bot.quality.dawid_skene import EMSettings
from bot.quality.encoding import Answers, BoolArray, IntArray
from bot.quality.online import FINAL_MODEL, OnlineDawidSkene, OnlineSettings
from bot.quality.overlap import OverlapPolicy
from bot.quality.replay import ReplayResult, choose_gold
from bot.quality.routing import RoutingSettings, pick_annotator


def replay_routed(
    answers: Answers,
    gold_items: IntArray,
    gold_labels: IntArray,
    policy: OverlapPolicy | None = None,
    gold_fraction: float = 0.1,
    seed: int = 0,
    online: int = 3,
    routing: RoutingSettings | None = None,
    model: OnlineSettings | None = None,
    final_model: EMSettings = FINAL_MODEL,
) -> ReplayResult:
    """Replay ``answers`` with routing among ``online`` available people (see the module
    docstring) and score the result against the gold of the items not used as gold
    questions."""
    if online < 1:
        raise ValueError("online must be at least 1")
    policy = policy or OverlapPolicy()
    routing = routing or RoutingSettings()
    n_i = answers.n_items
    truth = np.full(n_i, -1, dtype=np.int64)
    truth[gold_items] = gold_labels
    control = choose_gold(np.flatnonzero(truth >= 0), gold_fraction, seed)
    is_control = np.zeros(n_i, dtype=bool)
    is_control[control] = True

    revealed = is_control[answers.items].copy()
    est = OnlineDawidSkene.of(answers.subset(revealed), model, control, truth[control])
    by_item = np.argsort(answers.items, kind="stable")
    starts = np.searchsorted(answers.items[by_item], np.arange(n_i + 1))
    n_ans = np.diff(starts)
    used = np.where(is_control, n_ans, 0).astype(np.int64)
    status = np.where(is_control, -1, 0).astype(np.int64)
    active = ~is_control & (n_ans > 0)
    rng = np.random.default_rng([seed, 2])
    rounds = 0
    while active.any():
        rounds += 1
        todo = np.flatnonzero(active)
        for i in todo[rng.permutation(todo.size)].tolist():
            mine = by_item[starts[i] : starts[i + 1]]
            free = mine[~revealed[mine]]
            drawn = rng.choice(free, size=min(online, free.size), replace=False)
            workers = answers.workers[drawn]
            pick = pick_annotator(
                est.posterior(np.asarray([i]))[0], est.counts(workers), rng, routing
            )
            j = int(drawn[pick])
            revealed[j] = True
            used[i] += 1
            est.add(i, int(answers.workers[j]), int(answers.labels[j]))
        codes = est.decide(todo, policy)
        exhausted = (codes == 0) & (used[todo] >= n_ans[todo])
        status[todo] = np.where(exhausted, 3, codes)
        active[todo] = (codes == 0) & ~exhausted

    result = est.final(final_model, seed)
    evaluate = np.flatnonzero((truth >= 0) & ~is_control)
    accuracy = (
        float(np.mean(result.labels[evaluate] == truth[evaluate]))
        if evaluate.size
        else float("nan")
    )
    others = np.flatnonzero(~is_control)
    return ReplayResult(
        labels=result.labels,
        confidence=result.confidence,
        used=used,
        status=status,
        gold_items=control,
        eval_items=evaluate.astype(np.int64),
        accuracy=accuracy,
        labels_per_item=float(used[others].mean()) if others.size else float("nan"),
        gold_answers=int(n_ans[control].sum()),
        rounds=rounds,
        revealed=revealed,
    )


def weak_share(
    answers: Answers,
    used: BoolArray,
    gold_items: IntArray,
    gold_labels: IntArray,
    bar: float = 0.6,
) -> tuple[float, float]:
    """The share of answers that come from weak annotators, among the ``used`` ones and among
    all recorded answers.

    Weak means under ``bar`` accuracy on all the gold of the record (an evaluation figure: it
    reads every gold label, which the replay itself does not); an annotator with no answer on
    a gold item counts as not weak.
    """
    truth = np.full(answers.n_items, -1, dtype=np.int64)
    truth[gold_items] = gold_labels
    seen = truth[answers.items] >= 0
    right = np.bincount(
        answers.workers,
        weights=seen & (truth[answers.items] == answers.labels),
        minlength=answers.n_workers,
    )
    total = np.bincount(answers.workers, weights=seen, minlength=answers.n_workers)
    weak = (total > 0) & (right < bar * total)
    from_weak = weak[answers.workers]
    share_used = float(from_weak[used].mean()) if used.any() else float("nan")
    return share_used, float(from_weak.mean()) if answers.n_answers else float("nan")
