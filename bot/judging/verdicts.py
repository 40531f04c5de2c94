"""What one item's answers add up to, per kind of task type (`TaskType.aggregation`).

Each returns a `Verdict`: done, more (ask one more annotator) or disputed, with the result's
stored label, its confidence and the method. The rule is the dynamic-overlap rule of
`bot.quality.overlap` throughout: done once the confidence reaches the project's `confidence`
with at least `min_overlap` answers, else one more answer up to `max_overlap`, then disputed.
What the confidence is depends on the kind:

- categorical (single_choice, binary, pairwise, review): the posterior of the best class, each
  answer weighted by its annotator's gold accuracy (one-coin model), or, in a project that
  routes by skill, by their confusion matrix in the project's skill model (`bot.judging.skills`);
- multilabel (multi_choice, image_grid): every label or cell is a yes/no question of its own;
  the confidence is that of the least certain one, and the result keeps those more likely on;
- rating: the share of ratings within the tolerance of the median (at `max_overlap` the median
  stands when at least half agree with it; otherwise the item is disputed);
- text (free_text): answers are grouped by their normalised form and the groups treated as the
  classes of a categorical vote (plus one class for "something else");
- regions (bbox, polygon, keypoints): the regions of the answers are matched into clusters,
  each with a skill-weighted median region and a posterior that it is there; the confidence is
  that of the least certain cluster (see `bot.quality.regions`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.chat.markup import plural
from bot.quality import OverlapPolicy, WorkerModel, decide
from bot.quality.overlap import Status
from bot.quality.regions import judge_regions
from bot.quality.rich import multilabel_posterior, rating_summary
from bot.quality.skills import SkillModel
from domain.spec import ProjectSpec
from tasks import task_type
from tasks.free_text import normalise
from tasks.rating import tolerance_of

PRIOR_ACCURACY = 0.75
SKILL_METHOD = "skill_posterior"
RATING_FALLBACK = 0.5


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    label: str
    confidence: float
    method: str
    reason: str
    """Why an item is disputed, for the QA flag."""


def _status(n: int, confidence: float, policy: OverlapPolicy) -> Status:
    if confidence >= policy.confidence - 1e-12 and n >= policy.min_overlap:
        return "done"
    return "disputed" if n >= policy.max_overlap else "more"


def judge_answers(
    spec: ProjectSpec,
    data: dict[str, object],
    workers: Sequence[int],
    values: Sequence[str],
    accuracy: Mapping[int, float],
    skills: SkillModel | None = None,
) -> Verdict:
    """The verdict on an item from its counted answers (`workers[i]` gave `values[i]`) and
    each annotator's estimated gold accuracy, or for a categorical type the project's
    `skills` model when it has one."""
    q = spec.quality
    policy = OverlapPolicy(q.min_overlap, q.max_overlap, q.confidence)
    kind = task_type(spec.task)
    if kind.aggregation == "multilabel":
        return _multilabel(spec, dict(data), workers, values, accuracy, policy)
    if kind.aggregation == "rating":
        return _rating(spec, values, policy)
    if kind.aggregation == "text":
        return _text(workers, values, accuracy, policy)
    if kind.aggregation == "regions":
        skill = [accuracy.get(w, PRIOR_ACCURACY) for w in workers]
        d = judge_regions(values, skill, policy)
        return Verdict(d.status, d.value, d.confidence, d.method, d.reason)
    labels = kind.classes(spec, dict(data))
    return _categorical(labels, workers, values, accuracy, policy, skills)


def _categorical(
    labels: list[str],
    workers: Sequence[int],
    values: Sequence[str],
    accuracy: Mapping[int, float],
    policy: OverlapPolicy,
    skills: SkillModel | None,
) -> Verdict:
    counted = [(w, labels.index(v)) for w, v in zip(workers, values, strict=True) if v in labels]
    if skills is not None and list(skills.labels) == labels:
        model, method = skills.worker_model(workers), SKILL_METHOD
    else:
        weights: dict[Hashable, float] = {m: a for m, a in accuracy.items()}
        model = WorkerModel.from_accuracy(weights, len(labels), default_accuracy=PRIOR_ACCURACY)
        method = "gold_weighted_posterior"
    decision = decide([w for w, _ in counted], [k for _, k in counted], model, policy)
    label = labels[decision.label]
    return Verdict(
        decision.status,
        label,
        decision.confidence,
        method,
        f"{plural(len(values), 'answer')}; the best label, {label}, has a posterior of "
        f"{decision.confidence:.2f} (the project asks for {policy.confidence:.2f})",
    )


def _multilabel(
    spec: ProjectSpec,
    data: dict[str, object],
    workers: Sequence[int],
    values: Sequence[str],
    accuracy: Mapping[int, float],
    policy: OverlapPolicy,
) -> Verdict:
    kind = task_type(spec.task)
    elements = kind.elements(spec, data)
    chosen = [kind.chosen(v) for v in values]
    votes = np.array([[e in c for e in elements] for c in chosen], dtype=bool).reshape(
        len(values), len(elements)
    )
    acc = np.array([accuracy.get(w, PRIOR_ACCURACY) for w in workers], dtype=np.float64)
    posterior = multilabel_posterior(votes, acc)
    sure = np.maximum(posterior, 1.0 - posterior)
    confidence = float(sure.min()) if sure.size else 1.0
    kept = frozenset(e for e, p in zip(elements, posterior, strict=True) if p > 0.5)
    unsure = [e for e, s in zip(elements, sure, strict=True) if s < policy.confidence]
    what = "cells" if kind.name == "image_grid" else "labels"
    return Verdict(
        _status(len(values), confidence, policy),
        kind.combine(spec, data, kept),
        confidence,
        "gold_weighted_per_element",
        f"{plural(len(values), 'answer')}; {what} {', '.join(unsure[:10]) or '-'} are still "
        f"uncertain (the least certain at {confidence:.2f}; the project asks for "
        f"{policy.confidence:.2f})",
    )


def _rating(spec: ProjectSpec, values: Sequence[str], policy: OverlapPolicy) -> Verdict:
    tolerance = tolerance_of(spec)
    numbers = [float(v) for v in values if _is_number(v)]
    summary = rating_summary(numbers or [0.0], tolerance)
    status = _status(len(numbers), summary.agreement, policy)
    if status == "disputed" and summary.agreement >= RATING_FALLBACK:
        status = "done"
    median = summary.median
    label = str(int(median)) if float(median).is_integer() else f"{median:g}"
    return Verdict(
        status,
        label,
        summary.agreement,
        "median",
        f"{len(numbers)} ratings from {summary.low:g} to {summary.high:g}; "
        f"{summary.agreement:.0%} within {tolerance} of the median {label}",
    )


def _text(
    workers: Sequence[int],
    values: Sequence[str],
    accuracy: Mapping[int, float],
    policy: OverlapPolicy,
) -> Verdict:
    forms = [normalise(v) for v in values]
    keys = list(dict.fromkeys(forms))
    weights: dict[Hashable, float] = {m: a for m, a in accuracy.items()}
    model = WorkerModel.from_accuracy(weights, len(keys) + 1, default_accuracy=PRIOR_ACCURACY)
    decision = decide(list(workers), [keys.index(f) for f in forms], model, policy)
    if decision.label < len(keys):
        winner = keys[decision.label]
    else:  # "something else" came out on top: keep the most frequent form all the same
        winner = Counter(forms).most_common(1)[0][0]
    spelled = Counter(v.strip() for v, f in zip(values, forms, strict=True) if f == winner)
    label = spelled.most_common(1)[0][0]
    return Verdict(
        decision.status,
        label,
        decision.confidence,
        "gold_weighted_exact_match",
        f"{plural(len(values), 'answer')} in {len(keys)} different forms; the likeliest, "
        f"{label!r}, has a posterior of {decision.confidence:.2f} (the project asks for "
        f"{policy.confidence:.2f})",
    )


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
