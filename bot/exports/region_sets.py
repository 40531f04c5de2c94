"""The results of a region project (bbox, polygon, keypoints) as the datasets region tools read:
COCO and Label Studio, through the writers of `tasks.regions.formats`.

One entry per item with its stored picture (``file_name`` its path under the media folder, as
the image_grid COCO export names it) and its regions in the stored picture's pixels: the
consensus of a finished item (done, or settled by QA), the truth of a gold item. Items still
open or disputed are listed with no regions in COCO and left out of Label Studio. Each file
reads back through the matching reader (`read_coco`, `read_labelstudio`) to the same answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from domain.enums import ItemStatus
from storage.contract import StoreError, Tx
from tasks import task_type
from tasks.media import stored_media
from tasks.regions.answer import loads
from tasks.regions.formats import ItemRegions, Picture, write_coco, write_labelstudio
from tasks.regions.types import RegionTask


def is_region_task(task: str) -> bool:
    return isinstance(task_type(task), RegionTask)


async def region_items(tx: Tx, project_id: int, finished_only: bool) -> list[ItemRegions]:
    """The project's items with their regions (see the module's docstring)."""
    items = []
    async for row in tx.export_rows(project_id):
        media = stored_media(row.item.data)
        if media is None:
            continue
        if row.item.gold is not None:
            value: str | None = row.item.gold
        elif row.item.status == ItemStatus.DONE and row.result is not None:
            value = row.result.label
        else:
            value = None
        if value is None and finished_only:
            continue
        picture = Picture(f"{media.sha[:2]}/{media.sha}.{media.ext}", media.width, media.height)
        regions = () if value is None else loads(value)
        confidence = (
            None if row.result is None or row.item.gold is not None else row.result.confidence
        )
        scores = None if confidence is None else tuple(confidence for _ in regions)
        items.append(ItemRegions(row.item.ext_id, (picture,), regions, scores))
    return items


async def export_region_coco(tx: Tx, project_id: int) -> AsyncIterator[str]:
    project = await tx.project(project_id)
    kind = task_type(project.spec.task)
    if not isinstance(kind, RegionTask):
        raise StoreError(f"{project.name!r} is a {project.spec.task} project, not a region one")
    rules = kind.rules(project.spec)
    items = await region_items(tx, project_id, finished_only=False)
    yield write_coco(items, rules.labels, rules.points).decode("utf-8") + "\n"


async def export_region_labelstudio(tx: Tx, project_id: int) -> AsyncIterator[str]:
    items = await region_items(tx, project_id, finished_only=True)
    yield write_labelstudio(items, "regions").decode("utf-8") + "\n"
