"""The canonical region answer: what is accepted, what is refused and why, and that the form
is canonical (the same drawing always stores the same string)."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.base import AnswerError
from tasks.regions.answer import EMPTY, RegionRules, canonical_answer, dumps, loads
from tasks.regions.items import item_problems, rescale, to_stored
from tests.regions_samples import ANY_SHAPE, NAMES, answers, raw_region, sizes

BOXES = RegionRules(("car", "person"), ("box",), 0, 5, 4.0)
SIZE = [(200, 100)]


def box(
    x: float, y: float, w: float, h: float, label: str = "car", image: int = 0
) -> dict[str, Any]:
    return {"image": image, "label": label, "type": "box", "x": x, "y": y, "w": w, "h": h}


def test_the_stored_string_is_sorted_rounded_json_without_spaces() -> None:
    raw = {
        "regions": [
            {
                "image": 0,
                "label": "person",
                "type": "polygon",
                "points": [[10, 10], [50.04, 12], [30, 40]],
            },
            box(12.54, 40, 100, 60),
            {"image": 0, "label": "car", "type": "point", "x": 20.06, "y": 5},
        ]
    }
    stored = canonical_answer(raw, ANY_SHAPE, [(200, 120)])
    assert stored == (
        '{"regions":[{"h":60.0,"image":0,"label":"car","type":"box","w":100.0,"x":12.5,'
        '"y":40.0},{"image":0,"label":"car","type":"point","x":20.1,"y":5.0},{"image":0,'
        '"label":"person","points":[[10.0,10.0],[50.0,12.0],[30.0,40.0]],"type":"polygon"}]}'
    )
    assert canonical_answer(json.dumps(raw), ANY_SHAPE, [(200, 120)]) == stored


def test_no_regions_is_an_answer_when_none_are_required() -> None:
    assert canonical_answer({"regions": []}, BOXES, SIZE) == EMPTY
    with pytest.raises(AnswerError, match="at least 1 box"):
        canonical_answer({"regions": []}, RegionRules(("car",), ("box",), 1, 5, 4.0), SIZE)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"regions": [box(0, 0, 10, 10)] * 6}, "^at most 5 boxes$"),
        ({"regions": [box(0, 0, 3, 10)]}, "region 1: a box of 3 × 10 px is too small"),
        ({"regions": [box(0, 0, 10, 10, "dog")]}, "'dog' is not a label"),
        ({"regions": [box(150, 0, 60, 10)]}, "outside the picture"),
        (
            {
                "regions": [
                    {
                        "image": 0,
                        "label": "car",
                        "type": "polygon",
                        "points": [[0, 0], [5, 5], [9, 9]],
                    }
                ]
            },
            "polygons are not allowed",
        ),
        ({"regions": [box(0, 0, 10, 10, image=1)]}, "image 1 is not one of the item's pictures"),
        ({"regions": [{**box(0, 0, 10, 10), "colour": "red"}]}, "unknown field 'colour'"),
        ({"regions": [{**box(0, 0, 10, 10), "x": True}]}, "x must be a number"),
        ({"regions": [{**box(0, 0, 10, 10), "x": float("nan")}]}, "x must be a number"),
        ({"boxes": []}, "unknown field 'boxes'"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_broken_rule_is_named(raw: Any, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        canonical_answer(raw, BOXES, SIZE)


def test_polygons_need_area_and_size() -> None:
    rules = RegionRules(("road",), ("polygon",), 0, 5, 4.0)
    line = {"image": 0, "label": "road", "type": "polygon", "points": [[0, 0], [10, 10], [20, 20]]}
    with pytest.raises(AnswerError, match="no area"):
        canonical_answer({"regions": [line]}, rules, SIZE)
    small = {**line, "points": [[0, 0], [3, 0], [0, 3]]}
    with pytest.raises(AnswerError, match="too small"):
        canonical_answer({"regions": [small]}, rules, SIZE)
    two = {**line, "points": [[0, 0], [30, 0], [30, 0], [0, 0]]}
    with pytest.raises(AnswerError, match="at least 3 different points"):
        canonical_answer({"regions": [two]}, rules, SIZE)


def test_a_closing_point_and_repeated_points_are_dropped() -> None:
    rules = RegionRules(("road",), ("polygon",))
    drawn = {
        "image": 0,
        "label": "road",
        "type": "polygon",
        "points": [[0, 0], [30, 0], [30, 0], [30, 30], [0, 0]],
    }
    (region,) = loads(canonical_answer({"regions": [drawn]}, rules, SIZE))
    assert region.points == ((0.0, 0.0), (30.0, 0.0), (30.0, 30.0))


def test_a_box_drawn_backwards_and_just_past_the_edge_is_straightened() -> None:
    (region,) = loads(canonical_answer({"regions": [box(200.3, 50, -40, -20)]}, BOXES, SIZE))
    assert (region.x, region.y, region.w, region.h) == (160.3, 30.0, 39.7, 20.0)
    assert region.x + region.w <= 200


def test_regions_count_per_picture() -> None:
    sizes_ = [(200, 100), (200, 100)]
    rules = RegionRules(("car",), ("box",), 1, 2, 4.0)
    ok = {"regions": [box(0, 0, 10, 10), box(0, 0, 10, 10, image=1)]}
    assert len(loads(canonical_answer(ok, rules, sizes_))) == 2
    with pytest.raises(AnswerError, match="at least 1 box on picture 2"):
        canonical_answer({"regions": [box(0, 0, 10, 10)]}, rules, sizes_)
    three = {"regions": [box(0, 0, 10, 10, image=1)] * 3 + [box(0, 0, 10, 10)]}
    with pytest.raises(AnswerError, match="at most 2 boxes on picture 2"):
        canonical_answer(three, rules, sizes_)


def test_keypoint_names_are_the_labels_of_points_and_each_is_used_once() -> None:
    rules = RegionRules((), ("point",), points=NAMES)
    nose = {"image": 0, "label": "nose", "type": "point", "x": 5, "y": 5}
    assert loads(canonical_answer({"regions": [nose]}, rules, SIZE))[0].label == "nose"
    with pytest.raises(AnswerError, match="'nose' is marked 2 times"):
        canonical_answer({"regions": [nose, {**nose, "x": 9}]}, rules, SIZE)
    with pytest.raises(AnswerError, match="not a keypoint"):
        canonical_answer({"regions": [{**nose, "label": "ear"}]}, rules, SIZE)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), size=sizes)
def test_canonical_form_is_idempotent(data: st.DataObject, size: tuple[int, int]) -> None:
    raw = data.draw(st.lists(raw_region(size, ("box", "polygon", "point")), max_size=6))
    try:
        stored = canonical_answer({"regions": raw}, ANY_SHAPE, [size])
    except AnswerError:
        return
    assert canonical_answer(stored, ANY_SHAPE, [size]) == stored
    assert dumps(loads(stored)) == stored


@settings(max_examples=100, deadline=None)
@given(answer=answers(), seed=st.integers(0, 1000))
def test_the_order_regions_are_drawn_in_does_not_change_the_answer(
    answer: tuple[tuple[int, int], tuple[Any, ...]], seed: int
) -> None:
    size, regions = answer
    shuffled = [r.as_json() for r in regions]
    random.Random(seed).shuffle(shuffled)
    assert canonical_answer({"regions": shuffled}, ANY_SHAPE, [size]) == dumps(regions)


def test_every_coordinate_is_inside_the_picture() -> None:
    stored = canonical_answer({"regions": [box(0.04, 0, 199.99, 100.04)]}, BOXES, SIZE)
    (region,) = loads(stored)
    assert region.x >= 0 and region.x + region.w <= 200 and region.y + region.h <= 100


def test_imported_regions_move_onto_the_stored_picture() -> None:
    """A dataset measured on a 2000 × 1000 picture stored at 1000 × 500: the pre-annotations
    and the gold are halved, and the source frame is dropped."""
    rules = RegionRules(("car",), ("box",), 0, 5, 4.0)
    data = {
        "image": "a.jpg",
        "source_sizes": [[2000, 1000]],
        "regions": [box(100, 100, 400, 200)],
        "media": {"kind": "image", "sha": "x", "width": 1000, "height": 500},
    }
    gold = canonical_answer({"regions": [box(1000, 500, 50.4, 9)]}, rules, [(2000, 1000)])
    assert item_problems(rules, data) == []
    moved, moved_gold = to_stored(rules, data, gold)
    assert "source_sizes" not in moved
    assert moved["regions"] == [box(50.0, 50.0, 200.0, 100.0)]
    with pytest.raises(AnswerError, match=re.escape("gold: region 1: a box of 25.2 × 4.5 px")):
        to_stored(RegionRules(("car",), ("box",), 0, 5, 5.0), data, gold)
    assert moved_gold is not None
    assert loads(moved_gold)[0].w == pytest.approx(25.2)


def test_an_item_names_its_pictures() -> None:
    assert item_problems(BOXES, {"text": "x"}) == [
        "data.image: missing (a region item is one picture, or images: a list)"
    ]
    assert item_problems(BOXES, {"images": ["a.jpg", "b.jpg"]}) == []
    assert item_problems(BOXES, {"image": "a.jpg", "images": ["b.jpg"]})[0].startswith(
        "data: name the pictures"
    )
    bad = {"image": "a.jpg", "regions": [box(0, 0, 10, 10, "dog")]}
    assert item_problems(BOXES, bad)[0].startswith("data.regions: region 1: 'dog'")


@settings(max_examples=100, deadline=None)
@given(answer=answers(), target=sizes)
def test_rescaling_there_and_back_keeps_the_regions_within_rounding(
    answer: tuple[tuple[int, int], tuple[Any, ...]], target: tuple[int, int]
) -> None:
    size, regions = answer
    back = rescale(rescale(regions, [size], [target]), [target], [size])
    tolerance = 0.1 * max(size[0] / target[0], size[1] / target[1]) + 0.11
    for a, b in zip(regions, back, strict=True):
        assert a.label == b.label and a.type == b.type
        for u, v in zip(a.coords(), b.coords(), strict=True):
            assert abs(u - v) <= tolerance
