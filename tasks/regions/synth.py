"""Synthetic pictures with known shapes in them, and a simulated crowd drawing them.

Everything is generated from a seed, the same on every machine (the truth exactly; the JPEG
bytes as this Pillow's encoder makes them), so no example set is committed: `example_set`
makes one, and `dataset_files` lays it out as files for a ZIP (pictures, a JSONL batch with
the truth as gold on some items, COCO of the truth).

- ``bbox``: up to four filled rectangles, ellipses and triangles; the truth is each one's
  bounding box, labelled by its kind.
- ``polygon``: up to three filled convex polygons of 3 to 6 corners, labelled by the number of
  corners; the truth is the polygon.
- ``keypoints``: a face (``nose``, ``left_eye``, ``right_eye``); the truth is the three points.

A crowd is mostly *good* annotators (small jitter, rare slips), about a fifth *careless* ones
(loose shapes, missed and mislabelled regions, now and then a stray one) and one *spammer*
(random regions anywhere). `draw_answer` gives one annotator's answer for one picture.
"""

from __future__ import annotations

import io
import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw

from tasks.base import AnswerError
from tasks.regions.answer import Region, RegionRules, canonical_regions, dumps

TaskName = Literal["bbox", "polygon", "keypoints"]
TASKS: tuple[TaskName, ...] = ("bbox", "polygon", "keypoints")
WIDTH, HEIGHT = 320, 240
BOX_LABELS = ("rectangle", "ellipse", "triangle")
POLYGON_LABELS = ("triangle", "quadrilateral", "pentagon", "hexagon")
KEYPOINT_NAMES = ("nose", "left_eye", "right_eye")
COLOURS = ((220, 60, 50), (40, 150, 70), (50, 90, 200), (230, 170, 30), (150, 60, 170))
Kind = Literal["good", "careless", "spammer"]


@dataclass(frozen=True, slots=True)
class Scene:
    """One synthetic picture: its name, size, the truth, and how to draw it."""

    name: str
    width: int
    height: int
    truth: tuple[Region, ...]
    seed: int

    def jpeg(self) -> bytes:
        return draw_scene(self)


def rules_for(task: TaskName) -> RegionRules:
    """The project rules the synthetic set is made for."""
    if task == "bbox":
        return RegionRules(BOX_LABELS, ("box",), max_regions=10)
    if task == "polygon":
        return RegionRules(POLYGON_LABELS, ("polygon",), max_regions=10)
    return RegionRules((), ("point",), max_regions=3, points=KEYPOINT_NAMES)


def make_scene(task: TaskName, index: int, seed: int = 0) -> Scene:
    """The `index`-th picture of a task's synthetic set."""
    rng = random.Random(f"{task}:{seed}:{index}")
    name = f"{task}-{index:04d}.jpg"
    if task == "bbox":
        truth = _boxes(rng)
    elif task == "polygon":
        truth = _polygons(rng)
    else:
        truth = _face(rng)
    ordered = canonical_regions(dumps(truth), rules_for(task), [(WIDTH, HEIGHT)])
    return Scene(name, WIDTH, HEIGHT, ordered, rng.randrange(2**31))


def example_set(task: TaskName, n: int = 24, seed: int = 0) -> list[Scene]:
    return [make_scene(task, i, seed) for i in range(n)]


def _free_spots(rng: random.Random, n: int, low: int, high: int) -> list[tuple[int, ...]]:
    """Up to `n` boxes (x0, y0, x1, y1) of sides `low` to `high` that do not overlap."""
    spots: list[tuple[int, ...]] = []
    for _ in range(60):
        if len(spots) == n:
            break
        w, h = rng.randint(low, high), rng.randint(low, high)
        x, y = rng.randint(4, WIDTH - w - 4), rng.randint(4, HEIGHT - h - 4)
        spot = (x, y, x + w, y + h)
        if all(
            spot[2] + 6 < s[0] or s[2] + 6 < spot[0] or spot[3] + 6 < s[1] or s[3] + 6 < spot[1]
            for s in spots
        ):
            spots.append(spot)
    return spots


def _triangle(spot: tuple[int, ...]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = spot
    return [((x0 + x1) / 2, y0), (x1, y1), (x0, y1)]


def _boxes(rng: random.Random) -> list[Region]:
    out = []
    for spot in _free_spots(rng, rng.randint(1, 4), 24, 90):
        label = rng.choice(BOX_LABELS)
        x0, y0, x1, y1 = spot
        out.append(Region(0, label, "box", x0, y0, x1 - x0, y1 - y0))
    return out


def _polygons(rng: random.Random) -> list[Region]:
    out = []
    for spot in _free_spots(rng, rng.randint(1, 3), 40, 100):
        corners = rng.randint(3, 6)
        x0, y0, x1, y1 = spot
        cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
        start = rng.uniform(0, 2 * math.pi)
        angles = sorted(
            start + 2 * math.pi * (k + rng.uniform(-0.2, 0.2)) / corners for k in range(corners)
        )
        points = tuple(
            (round(cx + rx * math.cos(a), 1), round(cy + ry * math.sin(a), 1)) for a in angles
        )
        out.append(Region(0, POLYGON_LABELS[corners - 3], "polygon", points=points))
    return out


def _face(rng: random.Random) -> list[Region]:
    r = rng.randint(40, 80)
    cx, cy = rng.randint(r + 10, WIDTH - r - 10), rng.randint(r + 10, HEIGHT - r - 10)
    eye_dx, eye_y = r * rng.uniform(0.3, 0.45), cy - r * rng.uniform(0.2, 0.35)
    # the face looks at the viewer: its left eye is on the picture's right
    return [
        Region(0, "nose", "point", cx, cy + r * 0.1),
        Region(0, "left_eye", "point", cx + eye_dx, eye_y),
        Region(0, "right_eye", "point", cx - eye_dx, eye_y),
    ]


def draw_scene(scene: Scene) -> bytes:
    """The scene as a JPEG: a soft background, the shapes filled in colour."""
    rng = random.Random(scene.seed)
    base = tuple(rng.randint(200, 245) for _ in range(3))
    image = Image.new("RGB", (scene.width, scene.height), base)
    pen = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randint(0, scene.width), rng.randint(0, scene.height)
        shade = tuple(max(0, c - rng.randint(5, 25)) for c in base)
        pen.ellipse((x - 30, y - 30, x + 30, y + 30), fill=shade)
    points = [r for r in scene.truth if r.type == "point"]
    if points:
        eyes = [p for p in points if p.label != "nose"]
        nose = next(p for p in points if p.label == "nose")
        r = abs(eyes[0].x - eyes[1].x) * 1.4 if len(eyes) == 2 else 40
        pen.ellipse(
            (nose.x - r, nose.y - r * 1.1, nose.x + r, nose.y + r * 0.9),
            fill=(240, 200, 160),
            outline=(120, 80, 50),
            width=2,
        )
        for p in eyes:
            pen.ellipse((p.x - 5, p.y - 4, p.x + 5, p.y + 4), fill=(40, 40, 60))
        pen.polygon(
            [(nose.x, nose.y - 8), (nose.x - 5, nose.y + 3), (nose.x + 5, nose.y + 3)],
            fill=(200, 120, 100),
        )
    for k, region in enumerate(r for r in scene.truth if r.type != "point"):
        colour = COLOURS[k % len(COLOURS)]
        if region.type == "polygon":
            pen.polygon(list(region.points), fill=colour, outline=(30, 30, 30))
            continue
        box = (region.x, region.y, region.x + region.w - 1, region.y + region.h - 1)
        if region.label == "ellipse":
            pen.ellipse(box, fill=colour, outline=(30, 30, 30))
        elif region.label == "triangle":
            pen.polygon(
                _triangle(tuple(int(v) for v in (box[0], box[1], box[2] + 1, box[3] + 1))),
                fill=colour,
                outline=(30, 30, 30),
            )
        else:
            pen.rectangle(box, fill=colour, outline=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Annotator:
    id: str
    kind: Kind
    jitter: float
    """Standard deviation of the noise, as a share of the region's size (points: pixels)."""
    miss: float
    mislabel: float
    stray: float
    """The chance of an extra region where there is nothing."""


def make_crowd(n: int, seed: int = 0) -> list[Annotator]:
    """One spammer, about a fifth careless, the rest good (as the console's crowd)."""
    rng = random.Random(f"crowd:{seed}")
    crowd = [Annotator("spammer-1", "spammer", 0.0, 0.0, 0.0, 0.0)]
    careless = max(1, n // 5) if n > 2 else 0
    for i in range(careless):
        crowd.append(
            Annotator(
                f"careless-{i + 1}",
                "careless",
                rng.uniform(0.08, 0.14),
                rng.uniform(0.15, 0.25),
                rng.uniform(0.1, 0.2),
                0.15,
            )
        )
    for i in range(n - 1 - careless):
        crowd.append(
            Annotator(
                f"good-{i + 1}",
                "good",
                rng.uniform(0.02, 0.04),
                rng.uniform(0.0, 0.05),
                rng.uniform(0.0, 0.03),
                0.02,
            )
        )
    return crowd[:n]


def draw_answer(
    annotator: Annotator,
    scene: Scene,
    rules: RegionRules,
    rng: random.Random,
) -> tuple[Region, ...]:
    """What this annotator draws on this picture, as a canonical answer would hold it (regions
    the page would refuse, too small or outside, are left out)."""
    if annotator.kind == "spammer":
        drawn = [_random_region(scene, rules, rng) for _ in range(rng.randint(1, 3))]
    else:
        drawn = []
        for region in scene.truth:
            if rng.random() < annotator.miss:
                continue
            label = region.label
            if rng.random() < annotator.mislabel:
                others = (
                    [x for x in rules.point_labels() if x != label]
                    if region.type == "point"
                    else [x for x in rules.labels if x != label]
                )
                label = rng.choice(others) if others else label
            drawn.append(_noisy(region, label, annotator, rng))
        if rng.random() < annotator.stray:
            drawn.append(_random_region(scene, rules, rng))
    kept: list[Region] = []
    names: set[str] = set()
    for region in drawn:
        if region.type == "point" and rules.points:
            if region.label in names:
                continue
            names.add(region.label)
        try:
            kept.extend(
                canonical_regions(dumps([region]), _any_count(rules), [(scene.width, scene.height)])
            )
        except AnswerError:
            continue
    return tuple(sorted(kept[: rules.max_regions], key=Region.sort_key))


def _any_count(rules: RegionRules) -> RegionRules:
    return RegionRules(
        rules.labels, rules.shapes, 0, rules.max_regions, rules.min_size, rules.points
    )


def _clip(v: float, top: int) -> float:
    return min(max(v, 0.0), float(top))


def _noisy(region: Region, label: str, who: Annotator, rng: random.Random) -> Region:
    if region.type == "point":
        sigma = 1.5 + 40.0 * who.jitter
        return Region(
            region.image,
            label,
            "point",
            region.x + rng.gauss(0, sigma),
            region.y + rng.gauss(0, sigma),
        )
    x0, y0, x1, y1 = region.bounds()
    sx, sy = who.jitter * (x1 - x0) + 0.8, who.jitter * (y1 - y0) + 0.8
    if region.type == "box":
        a, b = x0 + rng.gauss(0, sx), y0 + rng.gauss(0, sy)
        c, d = x1 + rng.gauss(0, sx), y1 + rng.gauss(0, sy)
        return Region(region.image, label, "box", min(a, c), min(b, d), abs(c - a), abs(d - b))
    points = [(px + rng.gauss(0, sx), py + rng.gauss(0, sy)) for px, py in region.points]
    if who.kind == "careless" and len(points) > 3 and rng.random() < 0.3:
        points.pop(rng.randrange(len(points)))
    return Region(region.image, label, "polygon", points=tuple(points))


def _random_region(scene: Scene, rules: RegionRules, rng: random.Random) -> Region:
    shape = rng.choice(rules.shapes)
    if shape == "point":
        return Region(
            0,
            rng.choice(rules.point_labels()),
            "point",
            rng.uniform(0, scene.width),
            rng.uniform(0, scene.height),
        )
    w, h = rng.uniform(15, 100), rng.uniform(15, 100)
    x, y = rng.uniform(0, scene.width - w), rng.uniform(0, scene.height - h)
    label = rng.choice(rules.labels)
    if shape == "box":
        return Region(0, label, "box", x, y, w, h)
    return Region(0, label, "polygon", points=((x, y), (x + w, y + h * 0.3), (x + w * 0.4, y + h)))


def dataset_files(
    task: TaskName,
    scenes: Sequence[Scene],
    gold_every: int = 5,
) -> dict[str, bytes]:
    """The set as files: ``images/NAME.jpg``, ``batch.jsonl`` (one item a picture; every
    `gold_every`-th carries its truth as gold) and ``truth.json`` (the truth as COCO)."""
    from tasks.regions.formats.coco import write_coco
    from tasks.regions.formats.common import ItemRegions, Picture

    files: dict[str, bytes] = {}
    lines = []
    for k, scene in enumerate(scenes):
        path = f"images/{scene.name}"
        files[path] = scene.jpeg()
        row: dict[str, object] = {"id": scene.name.rsplit(".", 1)[0], "data": {"image": path}}
        if gold_every and k % gold_every == 0:
            row["gold"] = dumps(scene.truth)
        lines.append(json.dumps(row, sort_keys=True))
    files["batch.jsonl"] = ("\n".join(lines) + "\n").encode()
    rules = rules_for(task)
    items = [
        ItemRegions(
            scene.name.rsplit(".", 1)[0],
            (Picture(f"images/{scene.name}", scene.width, scene.height),),
            scene.truth,
        )
        for scene in scenes
    ]
    files["truth.json"] = write_coco(items, rules.labels, rules.points)
    return files
