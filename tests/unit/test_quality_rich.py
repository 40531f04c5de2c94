"""Aggregation beyond one label: per-element posteriors, rating spread, Bradley-Terry."""

from __future__ import annotations

import numpy as np
import pytest

from bot.judging.verdicts import judge_answers
from bot.quality.rich import bradley_terry, multilabel_posterior, rating_summary
from domain.spec import ProjectSpec
from tasks.free_text import normalise


def test_multilabel_posterior_is_a_weighted_vote_per_element() -> None:
    votes = np.array([[True, True, False], [True, False, False], [True, True, False]])
    p = multilabel_posterior(votes, np.array([0.75, 0.75, 0.75]))
    assert p[0] == pytest.approx(27 / 28)  # three yes at 3:1 odds each
    assert p[1] == pytest.approx(0.75)  # two yes, one no
    assert p[2] == pytest.approx(1 / 28)
    strong = multilabel_posterior(votes[[1, 0]], np.array([0.99, 0.6]))
    assert strong[1] < 0.5  # the accurate annotator's "no" outweighs a weak "yes"


def test_rating_summary_reports_the_spread() -> None:
    s = rating_summary([1, 4, 4, 5, 5], tolerance=1)
    assert (s.median, s.q1, s.q3, s.iqr, s.mad, s.low, s.high) == (4, 4, 5, 1, 1, 1, 5)
    assert s.agreement == pytest.approx(0.8)
    assert s.as_dict()["mean"] == pytest.approx(3.8)


def test_bradley_terry_recovers_the_order_of_simulated_strengths() -> None:
    rng = np.random.default_rng(3)
    truth = np.array([2.0, 1.0, 0.0, -0.5, -2.0])
    comparisons = []
    for _ in range(2000):
        i, j = rng.choice(5, size=2, replace=False)
        p = 1 / (1 + np.exp(truth[j] - truth[i]))
        comparisons.append((int(i), int(j), float(rng.random() < p)))
    fit = bradley_terry(comparisons, 5)
    assert fit.order() == [0, 1, 2, 3, 4]
    assert np.allclose(fit.score - fit.score.mean(), truth - truth.mean(), atol=0.4)
    assert fit.wins.sum() + fit.losses.sum() == 2 * len(comparisons)


def test_bradley_terry_copes_with_undefeated_and_unconnected_candidates() -> None:
    fit = bradley_terry([(0, 1, 1.0), (0, 1, 1.0), (2, 3, 0.5)], 4)
    assert np.all(np.isfinite(fit.score))
    assert fit.order()[0] == 0 and fit.order()[-1] == 1
    assert fit.score[2] == pytest.approx(fit.score[3])
    assert fit.ties.tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError):
        bradley_terry([(0, 0, 1.0)], 2)


def test_normalised_exact_match() -> None:
    assert normalise("  Hello,   WORLD! ") == normalise("hello world") == "hello world"
    assert normalise("Ｈｅｌｌｏ") == "hello"
    assert normalise("hello world") != normalise("hello word")


def spec(task: str, **extra: object) -> ProjectSpec:
    return ProjectSpec.model_validate(
        {
            "name": "p",
            "title": "P",
            "task": task,
            "quality": {"min_overlap": 3, "max_overlap": 5},
            **extra,
        }
    )


def test_verdicts_by_type() -> None:
    accuracy = {1: 0.75, 2: 0.75, 3: 0.75, 4: 0.75}
    rating = spec("rating")
    assert judge_answers(rating, {}, [1, 2, 3], ["4", "5", "4"], accuracy).status == "done"
    wide = judge_answers(rating, {}, [1, 2, 3], ["1", "3", "5"], accuracy)
    assert (wide.status, wide.label) == ("more", "3")
    grid = spec("image_grid", labels=["car"], options={"rows": 2, "cols": 2})
    data = {
        "image": "x.jpg",
        "media": {"kind": "image", "sha": "0" * 64, "ext": "jpg", "width": 100, "height": 50},
    }
    answer = '{"cells": [1, 2], "bbox": [0, 0, 100, 25]}'
    done = judge_answers(grid, data, [1, 2, 3], [answer] * 3, accuracy)
    assert done.status == "done"
    assert done.label == '{"cells": [1, 2], "bbox": [0, 0, 100, 25]}'
    text = spec("free_text")
    typed = judge_answers(text, {}, [1, 2, 3], ["Cat.", "cat", "dog"], accuracy)
    assert typed.status == "more" and typed.label in ("Cat.", "cat")
