"""Regions marked on pictures: boxes, polygons and keypoints, as data. Pure: no I/O.

- `answer`: the canonical answer (pixel coordinates of the stored picture, rounded to 0.1 px,
  sorted) and `canonical_answer`, which parses, checks against the project's rules and
  canonicalises an answer, a gold answer or a pre-annotation;
- `settings`: the project's rules from its labels and ``[options]``;
- `items`: what a region item's data holds, and moving imported regions onto the stored
  pictures;
- `geometry`: areas, IoU (shapely for polygons), point similarity;
- `types`: the task types `bbox`, `polygon`, `keypoints` (mode ``"page"``);
- `formats`: COCO, YOLO, Pascal VOC and Label Studio readers and writers (bytes in and out);
- `synth`: pictures drawn with Pillow with known shapes in them, and a simulated crowd's
  noisy drawings of them.

The matching, consensus and gold scoring are in `bot.quality.regions`.
"""

from tasks.regions.answer import (
    EMPTY,
    Region,
    RegionRules,
    canonical_answer,
    canonical_regions,
    dumps,
    loads,
)
from tasks.regions.settings import rules_of
from tasks.regions.types import REGION_TASK_TYPES, BoundingBoxes, Keypoints, Polygons, RegionTask

__all__ = [
    "EMPTY",
    "REGION_TASK_TYPES",
    "BoundingBoxes",
    "Keypoints",
    "Polygons",
    "Region",
    "RegionRules",
    "RegionTask",
    "canonical_answer",
    "canonical_regions",
    "dumps",
    "loads",
    "rules_of",
]
