"""Hypothesis strategies for region answers: pictures, and regions drawn inside them."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tasks.base import AnswerError
from tasks.regions.answer import Region, RegionRules, canonical_regions, dumps

LABELS = ("car", "person", "tree")
NAMES = ("nose", "left_eye", "right_eye")
ANY_SHAPE = RegionRules(LABELS, ("box", "polygon", "point"), 0, 50, 4.0)

sizes = st.tuples(st.integers(20, 1280), st.integers(20, 1280))


@st.composite
def raw_region(
    draw: st.DrawFn, size: tuple[int, int], shapes: tuple[str, ...], image: int = 0
) -> dict[str, Any]:
    """A region as the page might send it: any floats inside the picture."""
    width, height = size
    shape = draw(st.sampled_from(shapes))
    label = draw(st.sampled_from(LABELS))
    if shape == "box":
        x = draw(st.floats(0, width - 5))
        y = draw(st.floats(0, height - 5))
        w = draw(st.floats(4.5, width - x))
        h = draw(st.floats(4.5, height - y))
        return {"image": image, "label": label, "type": "box", "x": x, "y": y, "w": w, "h": h}
    if shape == "point":
        return {
            "image": image,
            "label": label,
            "type": "point",
            "x": draw(st.floats(0, width)),
            "y": draw(st.floats(0, height)),
        }
    points = draw(
        st.lists(st.tuples(st.floats(0, width), st.floats(0, height)), min_size=3, max_size=8)
    )
    return {"image": image, "label": label, "type": "polygon", "points": [list(p) for p in points]}


@st.composite
def answers(
    draw: st.DrawFn, shapes: tuple[str, ...] = ("box", "polygon", "point"), max_regions: int = 6
) -> tuple[tuple[int, int], tuple[Region, ...]]:
    """A picture's size and a canonical answer on it (drawings the rules refuse, such as a
    polygon with no area, are drawn again)."""
    size = draw(sizes)
    rules = RegionRules(LABELS, shapes, 0, 50, 4.0)  # type: ignore[arg-type]
    regions = []
    for raw in draw(st.lists(raw_region(size, shapes), max_size=max_regions)):
        try:
            regions.extend(canonical_regions({"regions": [raw]}, rules, [size]))
        except AnswerError:
            continue
    return size, canonical_regions(dumps(regions), rules, [size])
