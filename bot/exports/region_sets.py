"""The results of a region project (bbox, polygon, keypoints) as the datasets region tools read:
COCO and Label Studio, and YOLO and Pascal VOC as ZIPs with the pictures, through the writers
of `tasks.regions.formats`.

One entry per item with its stored picture (``file_name`` its path under the media folder, as
the image_grid COCO export names it) and its regions in the stored picture's pixels: the
consensus of a finished item (done, or settled by QA), the truth of a gold item. Items still
open or disputed are listed with no regions in COCO and left out of the others. Each file
reads back through the matching reader (`read_coco`, `read_labelstudio`) to the same answers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace

from bot.media.store import MediaStore
from domain.entities import Project
from domain.enums import ItemStatus
from storage.contract import StoreError, Tx
from tasks import task_type
from tasks.media import StoredMedia, stored_media
from tasks.regions.answer import loads
from tasks.regions.formats import (
    FormatError,
    ItemRegions,
    Picture,
    write_coco,
    write_labelstudio,
    write_voc,
    write_yolo,
)
from tasks.regions.types import RegionTask

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_region_task(task: str) -> bool:
    return isinstance(task_type(task), RegionTask)


def _region_kind(project: Project) -> RegionTask:
    kind = task_type(project.spec.task)
    if not isinstance(kind, RegionTask):
        raise StoreError(f"{project.name!r} is a {project.spec.task} project, not a region one")
    return kind


async def region_items(
    tx: Tx, project_id: int, finished_only: bool
) -> list[tuple[ItemRegions, StoredMedia]]:
    """The project's items with their regions (see the module's docstring), each with its
    stored picture."""
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
        picture = Picture(media.file_name, media.width, media.height)
        regions = () if value is None else loads(value)
        confidence = (
            None if row.result is None or row.item.gold is not None else row.result.confidence
        )
        scores = None if confidence is None else tuple(confidence for _ in regions)
        items.append((ItemRegions(row.item.ext_id, (picture,), regions, scores), media))
    return items


async def export_region_coco(tx: Tx, project_id: int) -> AsyncIterator[str]:
    project = await tx.project(project_id)
    rules = _region_kind(project).rules(project.spec)
    items = [item for item, _ in await region_items(tx, project_id, finished_only=False)]
    yield write_coco(items, rules.labels, rules.points).decode("utf-8") + "\n"


async def export_region_labelstudio(tx: Tx, project_id: int) -> AsyncIterator[str]:
    items = [item for item, _ in await region_items(tx, project_id, finished_only=True)]
    yield write_labelstudio(items, "regions").decode("utf-8") + "\n"


ARCHIVES = ("yolo", "voc")
"""The region formats that are folders of files (with the pictures): exported as one ZIP."""


async def export_region_files(tx: Tx, project_id: int, fmt: str, media: MediaStore | None) -> bytes:
    """A YOLO or Pascal VOC dataset of the project's finished items as a ZIP, the stored
    pictures in it (``images/`` or ``JPEGImages/``, named by item id); StoreError when the
    project is not a region project, has no media folder here, or holds what the format
    cannot (points in YOLO or VOC, polygons in VOC)."""
    project = await tx.project(project_id)
    labels = _region_kind(project).rules(project.spec).labels
    if media is None:
        raise StoreError(f"the {fmt} export holds the pictures: this bot has no media folder")
    items, pictures = [], {}
    folder = "images" if fmt == "yolo" else "JPEGImages"
    for item, stored in await region_items(tx, project_id, finished_only=True):
        name = f"{_SAFE.sub('_', item.id) or 'item'}.{stored.ext}"
        try:
            pictures[f"{folder}/{name}"] = media.path(stored.sha, stored.ext).read_bytes()
        except OSError as exc:
            raise StoreError(f"item {item.id}: its picture is not in the media folder") from exc
        (picture,) = item.pictures
        items.append(replace(item, pictures=(replace(picture, file_name=name),)))
    try:
        files = write_yolo(items, labels) if fmt == "yolo" else write_voc(items)
    except FormatError as exc:
        raise StoreError(str(exc)) from None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted({**files, **pictures}.items()):
            archive.writestr(path, data)
    return out.getvalue()
