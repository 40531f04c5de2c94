"""Regions marked on pictures (image_grid) as COCO and as Label Studio rectangles.

Both measure against the stored picture (after import it is upright and at most `max_side`
pixels on its longest side): COCO in pixels, Label Studio in percent of its width and height,
which holds for the original picture as well since resizing keeps the proportions.

COCO (``--format coco``): one image per item with its stored picture, ``file_name`` being its
path under the media folder (and ``tapmark_id``, ``source`` for the item); one annotation per
item whose aggregated result has cells, ``bbox`` ``[x, y, width, height]`` in pixels, ``score``
the result's confidence; categories are the project's labels numbered from 1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from bot.exports.region_sets import export_region_coco, is_region_task
from domain.spec import ProjectSpec
from storage.contract import StoreError, Tx
from storage.rows import ExportRow
from tasks.image_grid import category_of
from tasks.media import stored_media

RECTANGLE_FROM = "label"
RECTANGLE_TO = "image"


def _box(value: str) -> list[int] | None:
    try:
        decoded = json.loads(value)
    except ValueError:
        return None
    box = decoded.get("bbox") if isinstance(decoded, dict) else None
    return [int(v) for v in box] if isinstance(box, list) and len(box) == 4 else None


def rectangles(spec: ProjectSpec, data: dict[str, Any], value: str) -> list[dict[str, Any]]:
    """A stored image_grid answer as Label Studio ``rectanglelabels`` results (none when no
    cell is on), in percent of the picture, for ``<RectangleLabels name="label"
    toName="image">`` over ``<Image name="image" value="$image"/>``."""
    media = stored_media(data)
    box = _box(value)
    if box is None or media is None or not media.width or not media.height:
        return []
    x, y, w, h = box
    return [
        {
            "from_name": RECTANGLE_FROM,
            "to_name": RECTANGLE_TO,
            "type": "rectanglelabels",
            "original_width": media.width,
            "original_height": media.height,
            "image_rotation": 0,
            "value": {
                "x": round(100 * x / media.width, 4),
                "y": round(100 * y / media.height, 4),
                "width": round(100 * w / media.width, 4),
                "height": round(100 * h / media.height, 4),
                "rotation": 0,
                "rectanglelabels": [category_of(spec, data)],
            },
        }
    ]


def with_rectangles(spec: ProjectSpec, row: ExportRow, task: dict[str, Any]) -> dict[str, Any]:
    """A Label Studio task of an image_grid item (see `bot.exports.labelstudio`) with its
    answers, gold and result as rectangles."""
    data = row.item.data
    annotations = task.get("annotations", [])
    for shown, answer in zip(annotations, row.answers, strict=False):
        shown["result"] = rectangles(spec, data, answer.label)
    if row.item.gold is not None and len(annotations) > len(row.answers):
        annotations[-1]["result"] = rectangles(spec, data, row.item.gold)
    if row.result is not None and task.get("predictions"):
        task["predictions"][0]["result"] = rectangles(spec, data, row.result.label)
    return task


async def coco(tx: Tx, project_id: int) -> dict[str, Any]:
    """The project's pictures and aggregated regions as a COCO object-detection file."""
    project = await tx.project(project_id)
    spec = project.spec
    if spec.task != "image_grid":
        raise StoreError(
            "the COCO export is for image_grid and region (bbox, polygon, keypoints) "
            f"projects; {project.name!r} is {spec.task}"
        )
    categories = {label.value: n for n, label in enumerate(spec.labels, start=1)}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    async for row in tx.export_rows(project_id):
        media = stored_media(row.item.data)
        if media is None:
            continue
        image_id = len(images) + 1
        images.append(
            {
                "id": image_id,
                "file_name": media.file_name,
                "width": media.width,
                "height": media.height,
                "tapmark_id": row.item.ext_id,
                "source": media.source,
                "gold": row.item.gold is not None,
            }
        )
        box = _box(row.result.label) if row.result is not None else None
        if row.result is None or box is None:
            continue
        x, y, w, h = box
        annotations.append(
            {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": categories[category_of(spec, row.item.data)],
                "bbox": [x, y, w, h],
                "area": w * h,
                "iscrowd": 0,
                "segmentation": [],
                "score": round(row.result.confidence, 4),
            }
        )
    return {
        "info": {"description": f"{project.title} (tapmark project {project.name})"},
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": n, "name": value, "supercategory": ""} for value, n in categories.items()
        ],
    }


async def export_coco(tx: Tx, project_id: int) -> AsyncIterator[str]:
    """COCO of an image_grid project's boxes, or of a region project's results (see
    `bot.exports.region_sets`)."""
    if is_region_task((await tx.project(project_id)).spec.task):
        async for chunk in export_region_coco(tx, project_id):
            yield chunk
        return
    yield json.dumps(await coco(tx, project_id), ensure_ascii=False, indent=1) + "\n"
