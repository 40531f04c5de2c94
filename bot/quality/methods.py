"""One entry point over all aggregation methods, by name."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bot.quality.dawid_skene import (
    dawid_skene,
    dawid_skene_gold,
    dawid_skene_loo,
    dawid_skene_prior,
    one_coin,
)
from bot.quality.encoding import Answers, IntArray
from bot.quality.result import Aggregation
from bot.quality.voting import majority_vote, weighted_vote

DEFAULT_METHOD = "ds_prior"
"""Dawid-Skene with a diagonal-favouring prior: as accurate as plain DS on the bundled real
data (slightly ahead on average) and robust on small projects (see
:func:`bot.quality.dawid_skene.dawid_skene_prior`)."""

Gold = tuple[IntArray, IntArray] | None
_Runner = Callable[[Answers, Gold, int], Aggregation]


def _gold_or_none(gold: Gold) -> tuple[IntArray | None, IntArray | None]:
    return (gold[0], gold[1]) if gold is not None else (None, None)


def _ds_gold(answers: Answers, gold: Gold, seed: int) -> Aggregation:
    if gold is None or gold[0].size == 0:
        raise ValueError("method 'ds_gold' needs gold answers")
    return dawid_skene_gold(answers, gold[0], gold[1], seed=seed)


_RUNNERS: dict[str, tuple[_Runner, bool, str]] = {
    "mv": (lambda a, g, s: majority_vote(a, seed=s), False, "majority vote"),
    "wmv": (
        lambda a, g, s: weighted_vote(a, *_gold_or_none(g), seed=s),
        True,
        "vote weighted by each worker's log-odds accuracy",
    ),
    "ds": (lambda a, g, s: dawid_skene(a, seed=s), False, "Dawid-Skene EM"),
    "ds_gold": (_ds_gold, True, "Dawid-Skene with gold items clamped"),
    "ds_prior": (
        lambda a, g, s: dawid_skene_prior(a, seed=s),
        False,
        "Dawid-Skene with a diagonal-favouring Dirichlet prior",
    ),
    "ds_loo": (
        lambda a, g, s: dawid_skene_loo(a, seed=s),
        False,
        "Dawid-Skene with a leave-one-item-out E-step",
    ),
    "one_coin": (
        lambda a, g, s: one_coin(a, seed=s),
        False,
        "one-coin Dawid-Skene (one accuracy per worker)",
    ),
}

METHODS: tuple[str, ...] = tuple(_RUNNERS)
"""All method names."""


def uses_gold(method: str) -> bool:
    """Whether the method makes use of gold answers when they are given."""
    return _RUNNERS[method][1]


def describe(method: str) -> str:
    """A one-line description of the method."""
    return _RUNNERS[method][2]


def aggregate(
    answers: Answers,
    method: str = DEFAULT_METHOD,
    gold: Gold = None,
    seed: int = 0,
) -> Aggregation:
    """Run the named method. ``gold`` is ``(item indices, class indices)``; only ``wmv`` and
    ``ds_gold`` use it (``ds_gold`` requires it), the others are unsupervised here (their
    functions take gold directly when wanted)."""
    if method not in _RUNNERS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return _RUNNERS[method][0](answers, gold, seed)


def cross_fitted_accuracy(
    answers: Answers,
    method: str,
    gold_items: IntArray,
    gold_labels: IntArray,
    folds: int = 5,
    seed: int = 0,
) -> float:
    """Accuracy of a gold-using method measured honestly: the gold is split into ``folds``
    seeded parts and each part is scored by a run that was given only the other parts.
    (For methods that ignore gold this is just their accuracy.)"""
    n = gold_items.size
    if n == 0:
        return float("nan")
    if not uses_gold(method):
        return aggregate(answers, method, None, seed).accuracy(gold_items, gold_labels)
    folds = max(2, min(folds, n))
    part = np.random.default_rng([seed, 2]).permutation(n) % folds
    hits = 0
    for f in range(folds):
        train, test = part != f, part == f
        if not train.any():
            result = aggregate(answers, "ds" if method == "ds_gold" else method, None, seed)
        else:
            result = aggregate(answers, method, (gold_items[train], gold_labels[train]), seed)
        hits += int(np.sum(result.labels[gold_items[test]] == gold_labels[test]))
    return hits / n
