"""What a region item's data holds, and moving imported regions onto the stored pictures.

An item names ``image`` (one picture) or ``images`` (a list); once its pictures are stored it
has ``media`` (one) or ``media_list`` (several), each with ``width`` and ``height``.
Pre-annotations are ``regions`` (a list of canonical regions) and gold is the row's ``gold``.

Imported regions (COCO, YOLO, VOC, Label Studio) are measured on the pictures as the dataset
had them, which tapmark may shrink when it stores them. Readers therefore add
``source_sizes``: ``[[width, height], ...]``, one per picture, the frame the row's regions and
gold are given in. `to_stored` moves them onto the stored pictures (and drops
``source_sizes``) once those exist; until then they are checked against the source frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tasks.base import AnswerError
from tasks.regions.answer import (
    Region,
    RegionRules,
    Size,
    canonical_answer,
    canonical_regions,
    dumps,
    from_json,
    loads,
    rounded,
)

SOURCE_SIZES = "source_sizes"
REGIONS = "regions"


def picture_refs(data: dict[str, Any]) -> list[str] | None:
    """The pictures an item names (None when it names none, or names them wrongly)."""
    one, many = data.get("image"), data.get("images")
    if isinstance(one, str) and one.strip() and many is None:
        return [one.strip()]
    if (
        one is None
        and isinstance(many, list)
        and many
        and all(isinstance(m, str) and m.strip() for m in many)
    ):
        return [m.strip() for m in many]
    return None


def stored_sizes(data: dict[str, Any]) -> list[Size] | None:
    """(width, height) of each stored picture, or None before they are stored."""
    media = data.get("media_list")
    entries = media if isinstance(media, list) else [data.get("media")]
    sizes: list[Size] = []
    for entry in entries:
        if not isinstance(entry, dict):
            return None
        width, height = entry.get("width"), entry.get("height")
        if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
            return None
        sizes.append((width, height))
    return sizes or None


def source_sizes(data: dict[str, Any]) -> list[Size] | None:
    raw = data.get(SOURCE_SIZES)
    if not isinstance(raw, list) or not raw:
        return None
    sizes: list[Size] = []
    for pair in raw:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair)
        ):
            return None
        sizes.append((pair[0], pair[1]))
    return sizes


def frame_of(data: dict[str, Any]) -> list[Size] | None:
    """The sizes the item's regions are measured in now: the stored pictures', else the
    source frame's (imported, not yet stored), else unknown."""
    if SOURCE_SIZES in data:
        return source_sizes(data)
    return stored_sizes(data)


def item_problems(rules: RegionRules, data: dict[str, Any]) -> list[str]:
    """Problems with a region item's data, as ``field: message`` lines."""
    refs = picture_refs(data)
    if refs is None:
        if "image" in data and "images" in data:
            return ["data: name the pictures in image or in images, not both"]
        if "images" in data:
            return ["data.images: must be a list of pictures (paths in the ZIP or URLs)"]
        return ["data.image: missing (a region item is one picture, or images: a list)"]
    if SOURCE_SIZES in data:
        sizes = source_sizes(data)
        if sizes is None or len(sizes) != len(refs):
            return [f"data.{SOURCE_SIZES}: must be one [width, height] per picture"]
    if REGIONS in data:
        try:
            canonical_regions(data[REGIONS], _lenient(rules), frame_of(data), len(refs))
        except AnswerError as exc:
            return [f"data.regions: {exc}"]
    return []


def _lenient(rules: RegionRules) -> RegionRules:
    """Pre-annotations are a model's guesses to start from: they need not reach the minimum
    number of regions (the person adds the rest)."""
    return RegionRules(
        rules.labels, rules.shapes, 0, rules.max_regions, rules.min_size, rules.points
    )


def pre_annotations(data: dict[str, Any]) -> tuple[Region, ...]:
    """An item's pre-annotations as regions (empty when it has none)."""
    raw = data.get(REGIONS)
    if not isinstance(raw, list):
        return ()
    return from_json(raw)


def rescale(
    regions: Sequence[Region], source: Sequence[Size], target: Sequence[Size]
) -> tuple[Region, ...]:
    """Regions measured on pictures of the `source` sizes, moved onto the `target` sizes
    (rounded to 0.1 px)."""
    out = []
    for r in regions:
        if not 0 <= r.image < min(len(source), len(target)):
            raise AnswerError(f"image {r.image} is not one of the item's pictures")
        (w0, h0), (w1, h1) = source[r.image], target[r.image]
        sx, sy = w1 / w0, h1 / h0
        out.append(
            rounded(
                Region(
                    r.image,
                    r.label,
                    r.type,
                    min(r.x * sx, w1),
                    min(r.y * sy, h1),
                    r.w * sx,
                    r.h * sy,
                    tuple((min(px * sx, w1), min(py * sy, h1)) for px, py in r.points),
                )
            )
        )
    return tuple(out)


def to_stored(
    rules: RegionRules,
    data: dict[str, Any],
    gold: str | None,
) -> tuple[dict[str, Any], str | None]:
    """An item's data and gold as they are kept once its pictures are stored: regions from an
    import moved from the source frame onto the stored pictures (the data loses
    ``source_sizes``), pre-annotations in canonical form, both checked again on the stored
    pictures (a box may now be under `min_size`). AnswerError, naming the field, when the
    pictures are not stored yet or a region no longer fits the rules."""
    target = stored_sizes(data)
    source = source_sizes(data) if SOURCE_SIZES in data else target
    if source is None or target is None or len(source) != len(target):
        raise AnswerError(
            f"data.{SOURCE_SIZES}: the pictures are not stored yet, or their number differs"
        )
    moved = {k: v for k, v in data.items() if k != SOURCE_SIZES}
    if REGIONS in data:
        try:
            scaled = rescale(pre_annotations(data), source, target)
            kept = canonical_regions(dumps(scaled), _lenient(rules), target)
        except AnswerError as exc:
            raise AnswerError(f"data.regions: {exc}") from None
        moved[REGIONS] = [r.as_json() for r in kept]
    if gold is not None:
        try:
            gold = canonical_answer(dumps(rescale(loads(gold), source, target)), rules, target)
        except AnswerError as exc:
            raise AnswerError(f"gold: {exc}") from None
    return moved, gold
