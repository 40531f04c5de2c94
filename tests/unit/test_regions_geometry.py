"""Areas, IoU and point similarity, with properties: symmetric, in [0, 1], 1 with itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.regions.answer import Region
from tasks.regions.geometry import area, iou, similarity, similarity_matrix
from tests.regions_samples import answers


def test_box_iou_by_hand() -> None:
    a = Region(0, "car", "box", 0, 0, 10, 10)
    b = Region(0, "car", "box", 5, 0, 10, 10)
    assert iou(a, b) == pytest.approx(50 / 150)
    assert iou(a, Region(0, "car", "box", 20, 20, 5, 5)) == 0.0
    assert iou(a, Region(1, "car", "box", 0, 0, 10, 10)) == 0.0


def test_a_rectangular_polygon_overlaps_like_its_box() -> None:
    a = Region(0, "car", "box", 0, 0, 10, 10)
    square = Region(0, "car", "polygon", points=((5, 0), (15, 0), (15, 10), (5, 10)))
    assert iou(a, square) == pytest.approx(50 / 150)
    assert area(square) == pytest.approx(100.0)


def test_a_self_crossing_polygon_counts_what_it_encloses() -> None:
    bow = Region(0, "x", "polygon", points=((0, 0), (10, 10), (10, 0), (0, 10)))
    assert area(bow) == pytest.approx(50.0)
    assert 0.0 < iou(bow, Region(0, "x", "box", 0, 0, 10, 10)) < 1.0


def test_points_are_alike_when_close_and_never_like_an_area() -> None:
    p = Region(0, "nose", "point", 10, 10)
    assert similarity(p, p) == 1.0
    assert similarity(p, Region(0, "nose", "point", 18, 10)) == pytest.approx(np.exp(-0.5))
    assert similarity(p, Region(0, "nose", "box", 0, 0, 20, 20)) == 0.0


regions = answers(max_regions=5)


@settings(max_examples=150, deadline=None)
@given(a=regions, b=regions)
def test_similarity_is_symmetric_and_in_0_1(a: tuple[Any, Any], b: tuple[Any, Any]) -> None:
    left, right = a[1], b[1]
    forward = similarity_matrix(left, right)
    backward = similarity_matrix(right, left)
    assert np.allclose(forward, backward.T, atol=1e-9)
    assert ((forward >= 0.0) & (forward <= 1.0 + 1e-12)).all()
    for i, r in enumerate(left):
        for j, s in enumerate(right):
            assert forward[i, j] == pytest.approx(similarity(r, s), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(a=regions)
def test_a_region_is_fully_like_itself(a: tuple[Any, Any]) -> None:
    for r in a[1]:
        assert similarity(r, r) == pytest.approx(1.0)


@given(st.floats(0, 50), st.floats(0, 50))
def test_shifting_a_box_away_lowers_its_iou(d1: float, d2: float) -> None:
    base = Region(0, "car", "box", 100, 100, 50, 50)
    near, far = sorted((d1, d2))
    a = iou(base, Region(0, "car", "box", 100 + near, 100, 50, 50))
    b = iou(base, Region(0, "car", "box", 100 + far, 100, 50, 50))
    assert a >= b - 1e-12
