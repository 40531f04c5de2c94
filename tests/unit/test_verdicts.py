"""What an item's answers add up to, per kind of task, at the edges: annotators without a gold
record, an annotator worse than chance, the rating fallback at the overlap cap, many uncertain
labels, and the reasons QA reads on a disputed item."""

from __future__ import annotations

from typing import Any

import pytest

from bot.judging.verdicts import judge_answers
from domain.spec import ProjectSpec

PRIOR = 0.75


def spec(task: str, quality: dict[str, Any] | None = None, **extra: object) -> ProjectSpec:
    return ProjectSpec.model_validate(
        {
            "name": "p",
            "title": "P",
            "task": task,
            "quality": {"min_overlap": 3, "max_overlap": 5, **(quality or {})},
            **extra,
        }
    )


def test_an_annotator_without_gold_answers_counts_at_the_prior() -> None:
    binary = spec("single_choice", labels=["a", "b"])
    verdict = judge_answers(binary, {}, [1], ["a"], {})
    assert (verdict.status, verdict.label) == ("more", "a")
    assert verdict.confidence == pytest.approx(PRIOR)
    assert verdict.reason == (
        "1 answer; the best label, a, has a posterior of 0.75 (the project asks for 0.90)"
    )
    text = judge_answers(spec("free_text"), {}, [1, 2], ["cat", "dog"], {})
    right, wrong = PRIOR, (1 - PRIOR) / 2  # three classes: cat, dog and something else
    assert text.confidence == pytest.approx(right * wrong / (2 * right * wrong + wrong * wrong))


def test_typed_answers_name_their_forms_and_the_likeliest_spelling() -> None:
    accuracy = {1: PRIOR, 2: PRIOR, 3: PRIOR}
    verdict = judge_answers(spec("free_text"), {}, [1, 2, 3], ["Cat.", "cat", "dog"], accuracy)
    assert verdict.reason == (
        "3 answers in 2 different forms; the likeliest, 'Cat.', has a posterior of 0.84 "
        "(the project asks for 0.90)"
    )


def test_a_typed_answer_from_someone_worse_than_chance_still_names_what_was_typed() -> None:
    """With one answer by an annotator right 10% of the time, "something else" is likelier
    than what they typed; the result is still the text given (there is nothing else)."""
    verdict = judge_answers(spec("free_text"), {}, [1], [" Cat "], {1: 0.1})
    assert verdict.status == "more" and verdict.label == "Cat"
    assert verdict.confidence == pytest.approx(0.9)


def test_ratings_ask_for_more_until_the_cap_then_the_median_stands_if_half_agree() -> None:
    rating = spec("rating")
    assert judge_answers(rating, {}, [1, 2, 3], ["1", "3", "5"], {}).status == "more"
    spread = judge_answers(rating, {}, [1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], {})
    assert (spread.status, spread.label, spread.confidence) == ("done", "3", pytest.approx(0.6))
    apart = judge_answers(rating, {}, [1, 2, 3, 4, 5], ["1", "1", "3", "5", "5"], {})
    assert (apart.status, apart.confidence) == ("disputed", pytest.approx(0.2))
    assert apart.reason == "5 ratings from 1 to 5; 20% within 1 of the median 3"


def test_exactly_half_agreeing_at_the_cap_is_enough_and_a_half_median_is_kept() -> None:
    rating = spec("rating", {"min_overlap": 2, "max_overlap": 4})
    half = judge_answers(rating, {}, [1, 2, 3, 4], ["1", "2", "4", "5"], {})
    assert (half.status, half.label, half.confidence) == ("done", "3", pytest.approx(0.5))
    assert judge_answers(rating, {}, [1, 2], ["2", "3"], {}).label == "2.5"


def test_agreement_exactly_at_the_projects_confidence_is_done() -> None:
    rating = spec("rating", {"max_overlap": 6, "confidence": 0.8})
    verdict = judge_answers(rating, {}, [1, 2, 3, 4, 5], ["2", "3", "2", "3", "5"], {})
    assert (verdict.status, verdict.confidence) == ("done", pytest.approx(0.8))


LABELS = [f"l{i}" for i in range(12)]


def test_labels_are_weighed_by_each_annotators_accuracy() -> None:
    multi = spec("multi_choice", labels=LABELS)
    values = ['["l0"]', '["l0"]', '["l1"]']
    by_prior = judge_answers(multi, {}, [1, 2, 3], values, {})
    assert (by_prior.status, by_prior.label) == ("more", '["l0"]')
    assert by_prior.confidence == pytest.approx(PRIOR)
    assert by_prior.reason == (
        "3 answers; labels l0, l1 are still uncertain (the least certain at 0.75; the project "
        "asks for 0.90)"
    )
    trusted = judge_answers(multi, {}, [1, 2, 3], values, {1: 0.6, 2: 0.6, 3: 0.99})
    assert (trusted.status, trusted.label) == ("done", '["l1"]')


def test_a_disputed_reason_names_at_most_ten_uncertain_labels() -> None:
    multi = spec("multi_choice", {"min_overlap": 2, "max_overlap": 2}, labels=LABELS)
    verdict = judge_answers(multi, {}, [1, 2], [str(LABELS).replace("'", '"'), "[]"], {})
    assert verdict.status == "disputed"
    assert verdict.reason.startswith(
        "2 answers; labels l0, l1, l2, l3, l4, l5, l6, l7, l8, l9 are still uncertain"
    )


def test_a_grids_reason_speaks_of_cells() -> None:
    grid = spec("image_grid", {"min_overlap": 2, "max_overlap": 2}, labels=["car"])
    verdict = judge_answers(grid, {}, [1, 2], ['{"cells": [1]}', '{"cells": [2]}'], {})
    assert verdict.status == "disputed"
    assert verdict.reason.startswith("2 answers; cells 1, 2 are still uncertain")
