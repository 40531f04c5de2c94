"""A bbox project with its pictures, for the tests of the annotation page through the core."""

from __future__ import annotations

import io
import json
import zipfile

from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore
from domain.enums import Role
from storage.contract import Store
from tasks.regions.synth import dataset_files, example_set

BOXES_TOML = """
name = "boxes"
title = "Find the shapes"
task = "bbox"
labels = ["rectangle", "ellipse", "triangle"]
instructions = "Draw a box around every shape."
lease_minutes = 30

[quality]
min_overlap = 2
max_overlap = 3
gold_rate = 0.0

[options]
max_regions = 10
"""


PRE = {"image": 0, "label": "ellipse", "type": "box", "x": 10, "y": 20, "w": 60, "h": 50}
"""The pre-annotation of the first item, when asked for: a model's guess to correct."""


async def setup_boxes(store: Store, media: MediaStore, with_pre: bool = False) -> str:
    """The project "boxes" with three synthetic pictures published; an annotator invite."""
    files = dataset_files("bbox", example_set("bbox", 3), gold_every=0)
    if with_pre:
        lines = [json.loads(line) for line in files["batch.jsonl"].decode().splitlines()]
        lines[0]["data"]["regions"] = [PRE]
        files["batch.jsonl"] = "".join(json.dumps(row) + "\n" for row in lines).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            if name != "truth.json":
                archive.writestr(name, data)
    await save_project(store, parse_project("boxes.toml", BOXES_TOML), update=False)
    await import_batch(store, "boxes", "shapes.zip", buffer.getvalue(), True, media=media)
    return (await make_invite(store, "boxes", Role.ANNOTATOR, None, None)).code
