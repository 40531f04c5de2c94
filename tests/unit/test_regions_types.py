"""The task types bbox, polygon and keypoints, used directly (the core shows them only once
the annotation page exists)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.spec import ProjectSpec
from tasks import TASK_TYPES
from tasks.base import AnswerError
from tasks.regions import REGION_TASK_TYPES, loads
from tasks.regions.answer import dumps
from tasks.regions.types import BoundingBoxes, Keypoints, Polygons

MEDIA = {"kind": "image", "sha": "abc", "ext": "jpg", "width": 400, "height": 300}


def spec(
    task: str = "bbox", labels: tuple[str, ...] = ("car", "person"), **options: Any
) -> ProjectSpec:
    return ProjectSpec(
        name="cars",
        title="Cars",
        task=task,
        labels=list(labels),
        options=options,
        instructions="Mark every car.",
    )


def box(x: float, y: float, w: float, h: float, label: str = "car") -> dict[str, Any]:
    return {"image": 0, "label": label, "type": "box", "x": x, "y": y, "w": w, "h": h}


def test_the_region_types_are_offered_and_answered_in_the_page() -> None:
    assert {t.name for t in REGION_TASK_TYPES} == {"bbox", "polygon", "keypoints"}
    assert all(TASK_TYPES[t.name] is t for t in REGION_TASK_TYPES)
    assert all(t.mode == "page" and t.aggregation == "regions" for t in REGION_TASK_TYPES)


def test_each_type_takes_its_own_shape_by_default_and_more_when_allowed() -> None:
    assert BoundingBoxes().rules(spec()).shapes == ("box",)
    assert Polygons().rules(spec("polygon")).shapes == ("polygon",)
    assert Keypoints().rules(spec("keypoints")).shapes == ("point",)
    both = spec(shapes=["polygon", "box"])
    assert BoundingBoxes().rules(both).shapes == ("box", "polygon")
    value = BoundingBoxes().submitted(
        both,
        {"image": "a.jpg", "media": MEDIA},
        {
            "regions": [
                {
                    "image": 0,
                    "label": "car",
                    "type": "polygon",
                    "points": [[0, 0], [50, 0], [0, 50]],
                },
                box(10, 10, 20, 20),
            ]
        },
    )
    assert [r.type for r in loads(value)] == ["box", "polygon"]


@pytest.mark.parametrize(
    ("options", "labels", "problem"),
    [
        ({"shapes": ["box", "circle"]}, ("car",), "options: shapes: must be a list"),
        ({"shapes": []}, ("car",), "options: shapes: must be a list"),
        ({"max_regions": 0}, ("car",), "options: max_regions: must be a whole number from 1"),
        ({"min_regions": 4, "max_regions": 3}, ("car",), "min_regions (4) is more than"),
        ({"min_size": -1}, ("car",), "options: min_size: must be a number"),
        ({"points": ["nose", "nose"]}, ("car",), "options: points: must be a list"),
        ({"points": ["nose"]}, ("car",), "names keypoints, but the project's shapes have no point"),
        ({"colour": "red"}, ("car",), "colour: not an option of bbox"),
        ({}, (), "labels: boxes and polygons need at least 1 label"),
    ],
)
def test_bad_settings_are_named(
    options: dict[str, Any], labels: tuple[str, ...], problem: str
) -> None:
    problems = BoundingBoxes().check_spec(spec(labels=labels, **options))
    assert any(problem in p for p in problems), problems


def test_good_settings_pass() -> None:
    assert BoundingBoxes().check_spec(spec(min_regions=1, max_regions=5, min_size=8)) == []
    assert Keypoints().check_spec(spec("keypoints", (), points=["nose", "left_eye"])) == []
    assert Keypoints().check_spec(spec("keypoints", ())) == [
        "labels: points need labels or options.points (the keypoint names)"
    ]


def test_the_chat_card_opens_the_page() -> None:
    view = BoundingBoxes().render(spec(), {"image": "a.jpg", "media": MEDIA, "text": "Street"})
    assert view.mode == "page" and view.options == ()
    assert view.media is not None and view.media.sha == "abc"
    assert view.body == "Street" and "boxes" in view.hint
    many = {"images": ["a.jpg", "b.jpg"], "media_list": [MEDIA, {**MEDIA, "sha": "def"}]}
    shown = Polygons().render(spec("polygon"), many).media
    assert shown is not None and shown.sha == "abc"


def test_the_page_submit_checks_against_the_stored_picture() -> None:
    data = {"image": "a.jpg", "media": MEDIA}
    rules = spec(max_regions=2)
    ok = BoundingBoxes().submitted(rules, data, {"regions": [box(10, 10, 50, 50)]})
    assert ok == dumps(loads(ok))
    with pytest.raises(AnswerError, match="at most 2 boxes"):
        BoundingBoxes().submitted(rules, data, {"regions": [box(10, 10, 50, 50)] * 3})
    with pytest.raises(AnswerError, match="outside the picture"):
        BoundingBoxes().submitted(rules, data, {"regions": [box(390, 10, 50, 50)]})
    with pytest.raises(AnswerError, match="not stored"):
        BoundingBoxes().submitted(rules, {"image": "a.jpg"}, {"regions": []})
    with pytest.raises(AnswerError, match="drawn in the annotation page"):
        BoundingBoxes().validate(rules, "car")


def test_gold_is_parsed_to_the_stored_form_and_scored_by_overlap() -> None:
    kind_, rules = BoundingBoxes(), spec()
    data = {"image": "a.jpg", "media": MEDIA}
    gold = kind_.parse_gold(rules, data, {"regions": [box(100, 100, 100, 100)]})
    close = kind_.submitted(rules, data, {"regions": [box(105, 102, 100, 98)]})
    loose = kind_.submitted(rules, data, {"regions": [box(160, 160, 100, 100)]})
    wrong = kind_.submitted(rules, data, {"regions": [box(100, 100, 100, 100, "person")]})
    assert kind_.is_correct(rules, data, gold, close)
    assert not kind_.is_correct(rules, data, gold, loose)
    assert not kind_.is_correct(rules, data, gold, wrong)
    with pytest.raises(AnswerError, match="'dog' is not a label"):
        kind_.parse_gold(rules, data, {"regions": [box(1, 1, 10, 10, "dog")]})
    assert kind_.check_item(rules, data) == []


def test_answers_read_well() -> None:
    kind_ = BoundingBoxes()
    value = dumps(
        loads(
            kind_.submitted(
                spec(shapes=["box", "point"]),
                {"image": "a.jpg", "media": MEDIA},
                {
                    "regions": [
                        box(0, 0, 10, 10),
                        box(20, 0, 10, 10),
                        box(40, 0, 10, 10, "person"),
                        {"image": 0, "label": "car", "type": "point", "x": 1, "y": 1},
                    ]
                },
            )
        )
    )
    assert kind_.describe(spec(), value) == "3 boxes (car ×2, person); 1 point (car)"
    assert kind_.describe(spec(), '{"regions":[]}') == "no regions"
    assert kind_.decode(value)["regions"][0]["type"] == "box"
