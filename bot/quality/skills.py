"""A project's skill model, in the ids of the database: what live routing and stopping read.

:func:`estimate` runs the online Dawid-Skene model (:class:`bot.quality.online.OnlineDawidSkene`,
gold clamped, its Dirichlet prior) to convergence over a project's stored answers and keeps
what the live path needs: each annotator's expected answer counts ``[true, answered]``, their
gold answers, and the class prior. :class:`SkillModel` turns those back into confusion
matrices (the prior added), an item's posterior from its answers, and a
:class:`bot.quality.overlap.WorkerModel` for the stopping rule. An annotator the model has not
seen is at the prior: slightly better than chance.

:func:`final_results` is the batch's final aggregation: Dawid-Skene to convergence with gold
clamped (``FINAL_MODEL``), each item's label and confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.quality.dawid_skene import dawid_skene_gold
from bot.quality.encoding import Answers, FloatArray, IntArray
from bot.quality.online import FINAL_MODEL, OnlineDawidSkene, OnlineSettings
from bot.quality.overlap import WorkerModel

NEWCOMER_ACCURACY = 0.75
"""How often the live model expects someone it knows nothing about to be right: the prior of
the gold accuracy estimate (`bot.judging.verdicts.PRIOR_ACCURACY`), so that with skill routing
a project's first answers settle as soon as without it."""
PRIOR_WEIGHT = 2.0
"""Pseudo-answers per row of the live model's prior: a couple of answers outweigh it."""


def live_settings(n_classes: int) -> OnlineSettings:
    """The online model's settings for a live project of ``n_classes`` classes: a Dirichlet
    prior of `PRIOR_WEIGHT` pseudo-answers per row, `NEWCOMER_ACCURACY` of them right."""
    wrong = PRIOR_WEIGHT * (1.0 - NEWCOMER_ACCURACY) / max(n_classes - 1, 1)
    return OnlineSettings(diag_prior=PRIOR_WEIGHT * NEWCOMER_ACCURACY, off_prior=wrong)


_NOBODY = -1
"""A member id no one has: the model's row for someone it has not seen (the prior)."""

StoredAnswer = tuple[int, int, str, str | None]
"""(item id, member id, value, the item's gold label or None): one answer the model counts."""


@dataclass(frozen=True, slots=True)
class SkillModel:
    """Expected answer counts per member id (``[K, K]``, no prior), gold answers per member id
    and the class prior, over ``labels`` (the project's classes, in their fixed order)."""

    labels: tuple[str, ...]
    class_prior: FloatArray
    counts: Mapping[int, FloatArray]
    gold_answers: Mapping[int, int]
    settings: OnlineSettings

    @classmethod
    def empty(cls, labels: Sequence[str]) -> SkillModel:
        """The model before any answer: everyone at the prior, classes equally likely."""
        k = len(labels)
        return cls(tuple(labels), np.full(k, 1.0 / k), {}, {}, live_settings(k))

    def confusion(self, member_id: int) -> FloatArray:
        """The member's posterior-mean confusion matrix ``[true, answered]``."""
        return np.asarray(self.confusions([member_id])[0], dtype=np.float64)

    def posterior(self, answers: Sequence[tuple[int, str]]) -> FloatArray:
        """An item's posterior over ``labels`` from its answers ``(member id, value)``
        (values outside ``labels`` are left out)."""
        return np.asarray(self.posteriors([answers])[0], dtype=np.float64)

    def posteriors(self, items: Sequence[Sequence[tuple[int, str]]]) -> FloatArray:
        """:meth:`posterior` of several items at once, ``[n, K]`` (one pass over the
        members involved)."""
        index = {label: j for j, label in enumerate(self.labels)}
        members: dict[int, int] = {}
        cells: list[tuple[int, int, int]] = []
        for row, answers in enumerate(items):
            for member_id, value in answers:
                j = index.get(value)
                if j is not None:
                    cells.append((row, members.setdefault(member_id, len(members)), j))
        log = np.empty((len(items), len(self.labels)))
        log[:] = np.log(self.class_prior)
        if cells:
            rows, who, labels = np.array(cells).T
            log_conf = np.log(self.confusions(list(members)))  # [member, true, answered]
            np.add.at(log, rows, log_conf[who, :, labels])
        post = np.exp(log - log.max(axis=1, keepdims=True))
        return np.asarray(post / post.sum(axis=1, keepdims=True), dtype=np.float64)

    def confusions(self, member_ids: Sequence[int]) -> FloatArray:
        """:meth:`confusion` of several members, ``[m, K, K]``."""
        k = len(self.labels)
        zero = np.zeros((k, k))
        c = np.array([self.counts.get(m, zero) for m in member_ids]) + self.settings.off_prior
        c[:, np.arange(k), np.arange(k)] += self.settings.diag_prior - self.settings.off_prior
        return np.asarray(c / c.sum(axis=2, keepdims=True), dtype=np.float64)

    def worker_model(self, member_ids: Sequence[int]) -> WorkerModel:
        """The stopping rule's model of these members (everyone else at the prior)."""
        ids = list(dict.fromkeys(member_ids))
        stack = self.confusions([*ids, _NOBODY])
        return WorkerModel(
            stack[:-1], self.class_prior, stack[-1], {m: i for i, m in enumerate(ids)}
        )


WARM_ROUNDS = 5
"""EM passes of a re-estimate warm-started from the model before it."""


def estimate(
    labels: Sequence[str],
    answers: Sequence[StoredAnswer],
    previous: SkillModel | None = None,
) -> SkillModel:
    """The skill model of a project's counted answers (gold items clamped to their label),
    with the prior of :func:`live_settings`. From scratch, EM runs to convergence from majority
    vote; given the `previous` model (over the same labels), it starts from the posteriors
    that model gives the items and runs at most `WARM_ROUNDS` passes: the scheduler's refresh,
    whose cost then stays a few passes however many answers came since."""
    classes = tuple(labels)
    settings = live_settings(len(classes))
    kept = [a for a in answers if a[2] in classes]
    if not kept:
        return SkillModel.empty(classes)
    warm = previous if previous is not None and previous.labels == classes else None
    model, members = _online(classes, kept, settings, warm)
    counts = model.counts()
    gold: dict[int, int] = {}
    for _, member_id, _, gold_label in kept:
        if gold_label in classes:
            gold[member_id] = gold.get(member_id, 0) + 1
    return SkillModel(
        classes,
        model.class_prior(),
        {m: counts[j].copy() for j, m in enumerate(members)},
        gold,
        settings,
    )


def final_results(
    labels: Sequence[str], answers: Sequence[StoredAnswer], seed: int = 0
) -> dict[int, tuple[str, float]]:
    """Each answered item's final (label, confidence) by gold-anchored Dawid-Skene over all
    the answers (the ``ds_gold`` method, `FINAL_MODEL`'s smoothing); gold items are left out."""
    classes = tuple(labels)
    kept = [a for a in answers if a[2] in classes]
    if not kept:
        return {}
    coded = _Coded.of(classes, kept)
    result = dawid_skene_gold(
        coded.answers, coded.gold_items, coded.gold_labels, FINAL_MODEL.diag_prior, seed=seed
    )
    gold = set(coded.gold_items.tolist())
    return {
        item_id: (classes[int(result.labels[j])], float(result.confidence[j]))
        for j, item_id in enumerate(coded.items)
        if j not in gold
    }


@dataclass(frozen=True, slots=True)
class _Coded:
    """Stored answers in index form: members and items (database ids) in index order."""

    answers: Answers
    members: list[int]
    items: list[int]
    gold_items: IntArray
    gold_labels: IntArray

    @classmethod
    def of(cls, classes: tuple[str, ...], answers: Sequence[StoredAnswer]) -> _Coded:
        members = sorted({a[1] for a in answers})
        items = sorted({a[0] for a in answers})
        m_index = {m: j for j, m in enumerate(members)}
        i_index = {i: j for j, i in enumerate(items)}
        encoded = Answers.from_arrays(
            [i_index[a[0]] for a in answers],
            [m_index[a[1]] for a in answers],
            [classes.index(a[2]) for a in answers],
            n_items=len(items),
            n_workers=len(members),
            n_classes=len(classes),
        )
        gold = {i_index[a[0]]: classes.index(a[3]) for a in answers if a[3] in classes}
        return cls(
            encoded,
            members,
            items,
            np.asarray(list(gold), dtype=np.int64),
            np.asarray(list(gold.values()), dtype=np.int64),
        )


def _online(
    classes: tuple[str, ...],
    answers: Sequence[StoredAnswer],
    settings: OnlineSettings,
    warm: SkillModel | None = None,
) -> tuple[OnlineDawidSkene, list[int]]:
    coded = _Coded.of(classes, answers)
    start = None
    if warm is not None:
        position = {item_id: j for j, item_id in enumerate(coded.items)}
        by_item: list[list[tuple[int, str]]] = [[] for _ in coded.items]
        for item_id, member_id, value, _ in answers:
            by_item[position[item_id]].append((member_id, value))
        start = warm.posteriors(by_item)
    model = OnlineDawidSkene.of(
        coded.answers,
        settings,
        coded.gold_items,
        coded.gold_labels,
        start=start,
        rounds=None if warm is None else WARM_ROUNDS,
    )
    return model, coded.members
