"""Routing by skill: who should answer an item, and which item a person should get.

Pure functions over the estimates of :class:`bot.quality.online.OnlineDawidSkene` (each
annotator's confusion matrix, each item's posterior), in two views:

* **Item side**, :func:`pick_annotator`: among the people available for one item, whose answer
  is worth most. Everyone costs the same single answer there, so the choice is the annotator
  whose answer says most about the item's true class: the mutual information between their
  answer and the class under the item's posterior (:func:`information_gain`). A newcomer is
  judged *optimistically* (``newcomer_diag``/``newcomer_off`` pseudo-answers, 80% right by
  default) and, with probability ``exploration``, the least-known candidate is picked, so
  nobody stays at the prior forever. This is the choice ``tapmark replay --routing skill``
  measures among the ``--online`` people, and the one a live path makes when one item frees up
  and several people are waiting for work.
* **Person side**, :func:`offer_order`: when a person asks for work, the order in which to offer
  them a bounded list of candidate items the store fetched (the store then leases the first it
  can lock). Everybody who asks gets work when some item is open for them; what routing decides
  is where their answer helps most compared with a typical answer (:func:`answer_value`
  counts the later answers an answer is expected to save). That ranks uncertain items in
  progress first for a strong annotator and easy (nearly done) items, then fresh ones, for a
  weak one, whose answer would hardly move an uncertain item; a person whose skill is still
  unknown gets gold first. A person is judged here by the model's plain estimate, in which a
  newcomer is only slightly better than chance.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.quality.encoding import FloatArray
from bot.quality.overlap import OverlapPolicy

Routing = Literal["skill", "arrival"]
ROUTINGS: tuple[Routing, Routing] = ("skill", "arrival")


@dataclass(frozen=True, slots=True)
class RoutingSettings:
    """How work is routed (the ``[quality]`` settings ``routing`` and ``exploration``).

    ``routing``: ``"skill"`` routes by the estimates; ``"arrival"`` keeps the plain order (the
    first available person; for a person, the items with most answers first). ``exploration``:
    the chance that the item side picks the least-known candidate instead of the best.
    ``newcomer_diag``/``newcomer_off``: the optimistic pseudo-answers the item side adds to
    each confusion row. ``known_after``: gold answers after which a person's skill counts as
    known (until then they get gold first). ``typical_accuracy``: the accuracy of a typical
    answer, which turns evidence still missing into answers still needed.
    """

    routing: Routing = "skill"
    exploration: float = 0.05
    newcomer_diag: float = 2.0
    newcomer_off: float = 0.5
    known_after: int = 5
    typical_accuracy: float = 0.75

    def __post_init__(self) -> None:
        if self.routing not in ROUTINGS:
            raise ValueError(f"routing must be one of {', '.join(ROUTINGS)}")
        if not 0.0 <= self.exploration <= 1.0:
            raise ValueError("exploration must lie in [0, 1]")
        if self.newcomer_diag <= 0 or self.newcomer_off <= 0:
            raise ValueError("the newcomer pseudo-answers must be positive")
        if self.known_after < 0:
            raise ValueError("known_after must be at least 0")
        if not 0.5 < self.typical_accuracy < 1.0:
            raise ValueError("typical_accuracy must lie strictly between 0.5 and 1")


def information_gain(posterior: FloatArray, confusion: FloatArray) -> FloatArray:
    """Mutual information (nats) between the answer and the true class, per annotator.

    ``posterior`` is one item's ``[K]`` posterior; ``confusion`` is ``[m, K, K]`` (``[true,
    answered]``). Zero for an annotator who answers at random or always gives the same label,
    largest for one who is always right on an item that is still a coin toss.
    """
    answer = np.einsum("k,mkl->ml", posterior, confusion)
    h_answer = -(answer * np.log(np.maximum(answer, 1e-300))).sum(axis=1)
    h_rows = -(confusion * np.log(np.maximum(confusion, 1e-300))).sum(axis=2)
    return np.asarray(np.maximum(h_answer - h_rows @ posterior, 0.0), dtype=np.float64)


def optimistic_confusion(counts: FloatArray, settings: RoutingSettings) -> FloatArray:
    """Confusion matrices ``[m, K, K]`` from expected answer counts plus the optimistic
    newcomer pseudo-answers of ``settings``."""
    k = counts.shape[-1]
    c = counts + settings.newcomer_off
    idx = np.arange(k)
    c[..., idx, idx] += settings.newcomer_diag - settings.newcomer_off
    return np.asarray(c / c.sum(axis=-1, keepdims=True), dtype=np.float64)


def pick_annotator(
    posterior: FloatArray,
    counts: FloatArray,
    rng: np.random.Generator,
    settings: RoutingSettings,
) -> int:
    """Which of the people available for one item should answer it (an index into ``counts``).

    ``posterior`` is the item's ``[K]`` posterior, ``counts`` the candidates' expected answer
    counts ``[m, K, K]`` in arrival order (see the module docstring). ``arrival`` routing takes
    the first.
    """
    m = counts.shape[0]
    if m == 0:
        raise ValueError("no candidates to pick from")
    if settings.routing == "arrival" or m == 1:
        return 0
    if settings.exploration > 0 and rng.random() < settings.exploration:
        return int(np.argmin(counts.sum(axis=(1, 2))))
    gain = information_gain(posterior, optimistic_confusion(counts, settings))
    return int(np.argmax(gain))


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item the store could hand to the person asking.

    ``posterior`` is its current ``[K]`` posterior (the class prior when it has no answers);
    ``answers`` the answers it has; ``leased`` the open leases other people hold on it;
    ``limit`` the most answers it may have (its overlap limit); ``seen`` whether this person
    already has an assignment on it (answered, skipped, reported or leased).
    """

    item: int
    posterior: FloatArray
    answers: int
    limit: int
    leased: int = 0
    gold: bool = False
    seen: bool = False

    @property
    def open(self) -> bool:
        """Whether the item may be offered to this person at all."""
        return not self.seen and self.answers + self.leased < self.limit


@dataclass(frozen=True, slots=True)
class Person:
    """The person asking: their confusion matrix ``[K, K]`` (the model's posterior mean, so
    a newcomer's is the prior, slightly better than chance) and how many gold questions they
    have answered."""

    confusion: FloatArray
    gold_answers: int = 0


def answer_value(
    posterior: FloatArray,
    answers: Sequence[int] | np.ndarray[tuple[int], np.dtype[np.int64]],
    confusion: FloatArray,
    policy: OverlapPolicy,
    typical_accuracy: float = 0.75,
) -> FloatArray:
    """How many later answers one answer from this person is expected to save, per item.

    An item needs ``R = max(min_overlap - n, missing / e)`` more answers, where ``missing`` is
    the log-odds its top class still lacks to reach ``policy.confidence`` and ``e`` the
    log-odds one typical answer (``typical_accuracy``) brings. The value is ``R`` now minus its
    expectation after the person's answer, over the labels they might give. ``posterior`` is
    ``[n, K]``, ``answers`` the items' answer counts, ``confusion`` the person's ``[K, K]``
    (or a stack ``[c, K, K]`` of several people, giving ``[c, n]``).
    """
    post = np.asarray(posterior, dtype=np.float64)
    n_answers = np.asarray(answers, dtype=np.float64)
    conf = np.asarray(confusion, dtype=np.float64)
    k = post.shape[1]
    confidence = min(policy.confidence, 1.0 - 1e-9)
    goal = math.log(confidence) - math.log1p(-confidence)
    step = math.log(typical_accuracy * (k - 1) / (1.0 - typical_accuracy))

    def remaining(top: FloatArray, count: FloatArray) -> FloatArray:
        missing = np.maximum(goal - _logit(top), 0.0) / step
        return np.maximum(policy.min_overlap - count, missing)

    now = remaining(post.max(axis=1), n_answers)
    stack = conf[None] if conf.ndim == 2 else conf
    joint = post[None, :, :, None] * stack[:, None, :, :]  # [person, item, true, answered]
    p_label = joint.sum(axis=2)
    top_after = joint.max(axis=2) / np.maximum(p_label, 1e-300)
    later = remaining(top_after, n_answers[None, :, None] + 1.0)
    value = now[None, :] - (p_label * later).sum(axis=2)
    return np.asarray(value[0] if conf.ndim == 2 else value, dtype=np.float64)


@functools.lru_cache(maxsize=64)
def typical_confusion(n_classes: int, accuracy: float) -> FloatArray:
    """The ``[K, K]`` matrix of a typical annotator: right with ``accuracy``, wrong evenly.

    Built once per ``(K, accuracy)`` and shared, so it is read-only."""
    off = (1.0 - accuracy) / max(n_classes - 1, 1)
    out = np.full((n_classes, n_classes), off)
    np.fill_diagonal(out, accuracy)
    out.flags.writeable = False
    return out


def offer_order(
    person: Person,
    candidates: Sequence[Candidate],
    policy: OverlapPolicy,
    settings: RoutingSettings,
) -> list[int]:
    """The items to offer ``person``, best first: every open candidate exactly once.

    Candidates that are not open (seen by this person, or at their overlap limit) are left
    out, and an item listed twice is offered once (not at all if one of its listings is not
    open); the result is empty only when no item is open. With ``skill`` routing, a person
    with fewer than ``known_after`` gold answers gets gold first, everyone else gets gold last
    (the caller keeps mixing gold in at its rate).
    Within that, items go by the person's *advantage*: the :func:`answer_value` of their answer
    minus that of a typical answer (``typical_accuracy``). A strong annotator's advantage is
    largest on uncertain items, a weak one's (negative everywhere) least bad on easy items.
    Ties go to the fresher items for a person below the typical accuracy and to the items with
    most answers for the others (so items finish rather than all being half done), then to the
    lower item id; ``arrival`` routing is that last order alone: most answers first.
    """
    chosen: dict[int, Candidate] = {}
    closed: set[int] = set()
    for cand in candidates:
        if not cand.open:
            closed.add(cand.item)
        chosen.setdefault(cand.item, cand)
    pool = [c for item, c in chosen.items() if item not in closed]
    if not pool:
        return []
    if settings.routing == "arrival":
        return [c.item for c in sorted(pool, key=lambda c: (-c.answers, c.item))]
    posterior = np.array([c.posterior for c in pool], dtype=np.float64)
    answers = np.array([c.answers for c in pool], dtype=np.int64)
    k = posterior.shape[1]
    acc = settings.typical_accuracy
    both = np.array([person.confusion, typical_confusion(k, acc)])
    mine, typical = answer_value(posterior, answers, both, policy, acc)
    advantage = mine - typical
    gold_first = person.gold_answers < settings.known_after
    fresh_first = float(person.confusion.trace()) / k < acc
    keys = [
        (
            0 if c.gold == gold_first else 1,
            -v,
            c.answers if fresh_first else -c.answers,
            c.item,
        )
        for c, v in zip(pool, advantage.round(9).tolist(), strict=True)
    ]
    order = sorted(range(len(pool)), key=keys.__getitem__)
    return [pool[j].item for j in order]


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.log(q / (1.0 - q))
