"""The live skill model in database ids: estimated from stored answers, read back for routing
and stopping, and the final aggregation."""

from __future__ import annotations

import numpy as np
import pytest

from bot.managing.projectfile import ProjectFileError, parse_project
from bot.quality.skills import NEWCOMER_ACCURACY, SkillModel, estimate, final_results

LABELS = ("pos", "neg", "neu")


Rows = list[tuple[int, int, str, str | None]]


def _crowd(seed: int = 0) -> tuple[Rows, dict[int, float], dict[int, str]]:
    """300 items, five answers each from twelve members with ids far from 0..11, each right
    with their own accuracy and wrong evenly otherwise; every tenth item is gold."""
    rng = np.random.default_rng(seed)
    members = [1000 + 37 * j for j in range(12)]
    accuracy = dict(zip(members, np.linspace(0.4, 0.95, len(members)), strict=True))
    rows: Rows = []
    truths: dict[int, str] = {}
    for item in range(300):
        truth = int(rng.integers(3))
        truths[50_000 + item] = LABELS[truth]
        gold = LABELS[truth] if item % 10 == 0 else None
        for m in rng.choice(members, size=5, replace=False).tolist():
            right = rng.random() < accuracy[m]
            label = truth if right else int(rng.choice([k for k in range(3) if k != truth]))
            rows.append((50_000 + item, m, LABELS[label], gold))
    return rows, accuracy, truths


def test_the_estimate_recovers_each_members_accuracy_within_a_tolerance() -> None:
    rows, accuracy, _ = _crowd()
    model = estimate(LABELS, rows)
    for member, truth in accuracy.items():
        estimated = float(np.mean(np.diag(model.confusion(member))))
        assert abs(estimated - truth) < 0.12, (member, truth, estimated)
    assert set(model.gold_answers) <= set(accuracy)
    assert sum(model.gold_answers.values()) == sum(1 for r in rows if r[3] is not None)


def test_a_member_the_model_has_not_seen_is_at_the_newcomer_prior() -> None:
    model = estimate(LABELS, _crowd()[0])
    assert model.counts
    assert np.allclose(np.diag(model.confusion(-5)), NEWCOMER_ACCURACY)
    empty = SkillModel.empty(LABELS)
    post = empty.posterior([(1, "pos"), (2, "pos")])
    assert post.argmax() == 0 and 0.9 < post[0] < 0.96


def test_an_items_posterior_follows_the_strong_member_over_the_weak_one() -> None:
    rows, accuracy, _ = _crowd()
    model = estimate(LABELS, rows)
    strong, weak = max(accuracy, key=accuracy.__getitem__), min(accuracy, key=accuracy.__getitem__)
    post = model.posterior([(strong, "neg"), (weak, "pos")])
    assert post.argmax() == LABELS.index("neg")
    assert np.allclose(model.posteriors([[(strong, "neg")], []])[1], model.class_prior)


def test_final_results_side_with_skill_and_leave_gold_out() -> None:
    rows, _, truth = _crowd(1)
    finals = final_results(LABELS, rows)
    gold = {r[0] for r in rows if r[3] is not None}
    assert not gold & set(finals)
    votes = {}
    for item, _, label, _ in rows:
        votes.setdefault(item, []).append(label)
    majority = [max(set(v), key=v.count) == truth[i] for i, v in votes.items() if i in finals]
    right = [finals[i][0] == truth[i] for i in finals]
    assert all(0.0 < conf <= 1.0 for _, conf in finals.values())
    assert len(finals) == 270
    assert np.mean(right) > np.mean(majority), "weighting by skill beats the plain vote"


def test_a_warm_re_estimate_from_the_model_before_agrees_with_one_from_scratch() -> None:
    """The scheduler re-estimates from the stored model with a few EM passes: after a fifth
    more answers, each member's matrix is where a cold start to convergence puts it."""
    rows, accuracy, _ = _crowd(2)
    earlier = estimate(LABELS, rows[: len(rows) * 4 // 5])
    warm = estimate(LABELS, rows, earlier)
    cold = estimate(LABELS, rows)
    for member in accuracy:
        assert np.abs(warm.confusion(member) - cold.confusion(member)).max() < 0.02, member
    assert np.abs(warm.class_prior - cold.class_prior).max() < 0.01
    other = SkillModel.empty(("a", "b"))
    assert np.allclose(estimate(LABELS, rows, other).confusion(1000), cold.confusion(1000))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('routing = "fast"', r"line 6: quality.routing: must be one of 'skill' or 'arrival'"),
        ("exploration = 2", r"line 6: quality.exploration: must be at most 1.0, not 2"),
    ],
)
def test_a_bad_routing_setting_names_its_line_and_field(line: str, message: str) -> None:
    head = 'name = "p"\ntitle = "P"\ntask = "binary"\nlabels = ["yes", "no"]\n[quality]\n'
    with pytest.raises(ProjectFileError, match=message):
        parse_project("p.toml", head + line + "\n")
    spec = parse_project("p.toml", head).spec
    assert (spec.quality.routing, spec.quality.exploration) == ("arrival", 0.05)
