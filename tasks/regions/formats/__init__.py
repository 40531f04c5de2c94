"""Region datasets in and out: COCO, YOLO, Pascal VOC and Label Studio. No file system.

Readers take the file's bytes (COCO, Label Studio) or a dataset's files as a mapping of path to
bytes (YOLO, VOC: the ZIP around them is the caller's) and give batch rows
(`tasks.problems.Row`, see `common`), as pre-annotations or as gold (``role``); Label Studio
says which itself (the ground-truth annotation is gold, the first prediction pre-annotations).
`shapes` is what the project takes, where a format leaves the choice open (a COCO annotation
with both a polygon and a box).

Writers take `ItemRegions` (an item's pictures with their sizes and its canonical regions) and
give bytes, or a mapping of path to bytes; each writer's output reads back through its reader
to the same canonical answers.
"""

from tasks.regions.formats.coco import read_coco, write_coco
from tasks.regions.formats.common import FormatError, ItemRegions, Picture, Role
from tasks.regions.formats.labelstudio import labeling_config, read_labelstudio, write_labelstudio
from tasks.regions.formats.voc import read_voc, write_voc
from tasks.regions.formats.yolo import read_yolo, write_yolo

__all__ = [
    "FormatError",
    "ItemRegions",
    "Picture",
    "Role",
    "labeling_config",
    "read_coco",
    "read_labelstudio",
    "read_voc",
    "read_yolo",
    "write_coco",
    "write_labelstudio",
    "write_voc",
    "write_yolo",
]
