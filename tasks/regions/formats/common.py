"""What the readers and writers share: the items they take, the rows they give.

A reader gives batch rows as the batch readers do (`tasks.problems.Row`: the row's number, the
row ``{"id", "data", "gold"}``, its problems). ``data`` holds ``image`` (the picture's file
name or path, as the dataset names it; ``images`` for an item of several pictures),
``source_sizes`` (see `tasks.regions.items`) and, read as pre-annotations, ``regions``; read as
gold, the row's ``gold`` is the canonical answer. The regions are in canonical form in the
source frame; the project's rules are checked by the batch check (`TaskType.parse_gold`,
`check_item`) and again on the stored pictures (`tasks.regions.items.to_stored`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tasks.base import AnswerError
from tasks.problems import Problem, Row
from tasks.regions.answer import SHAPES, Region, RegionRules, canonical_regions, dumps
from tasks.regions.items import REGIONS, SOURCE_SIZES

Role = Literal["regions", "gold"]
"""What the regions in a file are for tapmark: pre-annotations to start from, or gold."""
ROLES: tuple[Role, ...] = ("regions", "gold")


class FormatError(ValueError):
    """A file that cannot be written in a format (a shape the format has no place for)."""


@dataclass(frozen=True, slots=True)
class Picture:
    """One stored picture of an item: its file name in the export and its size in pixels."""

    file_name: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ItemRegions:
    """What a writer takes for one item: its id, its pictures, and its regions (canonical, on
    those pictures); `scores` (one per region, in the same order) when the regions are a
    consensus with confidences."""

    id: str
    pictures: tuple[Picture, ...]
    regions: tuple[Region, ...]
    scores: tuple[float, ...] | None = None

    def on(self, image: int) -> list[tuple[Region, float | None]]:
        """The regions on one picture with their scores."""
        scores = self.scores if self.scores is not None else (None,) * len(self.regions)
        return [(r, s) for r, s in zip(self.regions, scores, strict=True) if r.image == image]


def frame_rules(labels: Sequence[str]) -> RegionRules:
    """Rules that accept any region with these labels: a reader's canonical pass, which only
    rounds and checks coordinates against the picture."""
    return RegionRules(tuple(dict.fromkeys(labels)), SHAPES, 0, 1_000_000, 0.0)


def make_row(
    number: int,
    item_id: str,
    refs: Sequence[str],
    sizes: Sequence[tuple[int, int]],
    field: str,
    regions: Sequence[Region] = (),
    gold: Sequence[Region] | None = None,
) -> Row:
    """One reader row with its pre-annotations (`regions`) and `gold` (None: not a gold item),
    canonicalised in the source frame (a problem under `field` when a region lies outside
    its picture)."""
    try:
        kept = _canonical(regions, sizes)
        truth = None if gold is None else _canonical(gold, sizes)
    except AnswerError as exc:
        return (number, None, [Problem(number, field, str(exc))])
    data: dict[str, Any] = {"image": refs[0]} if len(refs) == 1 else {"images": list(refs)}
    data[SOURCE_SIZES] = [[w, h] for w, h in sizes]
    if kept:
        data[REGIONS] = [r.as_json() for r in kept]
    row: dict[str, Any] = {"id": item_id, "data": data}
    if truth is not None:
        row["gold"] = dumps(truth)
    return (number, row, [])


def role_row(
    number: int,
    item_id: str,
    refs: Sequence[str],
    sizes: Sequence[tuple[int, int]],
    field: str,
    found: Sequence[Region],
    role: Role,
) -> Row:
    """`make_row` for a file whose regions are all of one role."""
    if role == "gold":
        return make_row(number, item_id, refs, sizes, field, gold=found)
    return make_row(number, item_id, refs, sizes, field, regions=found)


def _canonical(regions: Sequence[Region], sizes: Sequence[tuple[int, int]]) -> tuple[Region, ...]:
    rules = frame_rules([r.label for r in regions])
    return canonical_regions(dumps(list(regions)), rules, sizes)


def check_role(role: str) -> Role:
    if role == "regions":
        return "regions"
    if role == "gold":
        return "gold"
    raise ValueError(f"role must be regions or gold, not {role!r}")
