"""Label Studio task JSON in: ids, gold from a ground-truth annotation, and a model's
prediction kept as a suggestion that annotators are not shown."""

from __future__ import annotations

import json

from bot.exports.labelstudio import region, shown_field
from domain.spec import ProjectSpec
from tasks.base import item_body
from tasks.readers import read_batch

SPEC = ProjectSpec.model_validate(
    {"name": "t", "title": "T", "task": "single_choice", "labels": ["pos", "neg"]}
)


def choice(label: str) -> dict[str, object]:
    return {
        "from_name": "sentiment",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": [label]},
    }


def test_predictions_become_a_suggestion_and_ground_truth_becomes_gold() -> None:
    tasks = [
        {
            "id": 11,
            "data": {"text": "great"},
            "predictions": [
                {"model_version": "bert-3", "score": 0.83, "result": [choice("pos")]},
                {"model_version": "old", "score": 0.99, "result": [choice("neg")]},
            ],
        },
        {
            "id": 12,
            "data": {"text": "awful", "tapmark_id": "r12"},
            "annotations": [{"ground_truth": True, "result": [choice("neg")]}],
            "meta": {"explanation": "It says awful."},
        },
        {
            "data": {"text": "meh"},
            "predictions": [{"result": [choice("neg")]}],
            "annotations": [{"ground_truth": False, "result": [choice("pos")]}],
        },
    ]
    items = read_batch("tasks.json", json.dumps(tasks).encode(), SPEC)
    assert [i.ext_id for i in items] == ["11", "r12", "3"]
    assert items[0].data == {
        "text": "great",
        "suggestion": {"label": "pos", "score": 0.83, "model_version": "bert-3"},
    }
    assert items[0].gold is None
    assert items[1].data == {"text": "awful"}
    assert (items[1].gold, items[1].explanation) == ("neg", "It says awful.")
    assert items[2].data["suggestion"] == {"label": "neg", "score": None, "model_version": None}
    assert items[2].gold is None


def test_a_suggestion_is_not_shown_to_annotators() -> None:
    data = {
        "question": "Is it spam?",
        "suggestion": {"label": "pos", "score": 0.9, "model_version": "m"},
    }
    assert item_body(data) == "question: Is it spam?"


def test_answers_of_other_task_types_become_their_label_studio_results() -> None:
    assert region('["a", "c"]', "text", "multilabel")["value"] == {"choices": ["a", "c"]}
    assert region("4", "text", "rating") == {
        "from_name": "label",
        "to_name": "text",
        "type": "rating",
        "value": {"rating": 4},
    }
    assert region("so-so", "review", "text")["value"] == {"text": ["so-so"]}
    assert region("pos", "text")["value"] == {"choices": ["pos"]}
    assert shown_field({"suggestion": {"label": "pos"}, "image": "x.png"}) == "image"
