"""Batches with pictures, sounds and videos: from a ZIP in chat, from files beside the batch,
from URLs; bad media named by row; image_grid end to end through the console recorder."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.console.recorder import Person, Recorder
from adapters.fetch import HttpsFetcher
from bot.chat.markup import plain
from bot.core import Core
from bot.exports.labelstudio import export_label_studio
from bot.exports.records import export_jsonl
from bot.exports.regions import export_coco
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.importing import Source
from bot.media.store import MediaStore
from domain.enums import Role
from storage.contract import Store
from tasks.readers import BatchFileError
from tests.conftest import Clock
from tests.media_samples import bomb_png, broken_jpeg, jpeg, mp4, wav, zip_of

PROJECT = """name = "pics"
title = "Pictures"
task = "{task}"
labels = {labels}
instructions = "Look at it."
{extra}
[quality]
min_overlap = {overlap}
max_overlap = {overlap}
gold_rate = 0
min_seconds = 0
"""


def project(
    task: str = "single_choice", labels: str = '["cat", "dog"]', extra: str = "", overlap: int = 1
) -> str:
    return PROJECT.format(task=task, labels=labels, extra=extra, overlap=overlap)


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def recorder(store: Store, clock: Clock, media: MediaStore) -> Recorder:
    return Recorder(
        Core(
            store,
            clock=clock,
            rng=random.Random(4),
            media=media,
            admins=frozenset({("console", "root")}),
        )
    )


def last(person: Person) -> str:
    message = person.chat.last()
    assert message is not None
    return plain(message.text)


async def items_of(store: Store) -> dict[str, dict[str, Any]]:
    async with store.transaction() as tx:
        found = await tx.project_by_name("pics")
        assert found is not None
        return {row.item.ext_id: row.item.data async for row in tx.export_rows(found.id)}


async def test_a_zip_with_pictures_sounds_and_videos_from_chat(
    recorder: Recorder, store: Store, media: MediaStore
) -> None:
    root = recorder.person("root")
    await root.upload("pics.toml", project().encode())
    photo = jpeg(2000, 1000, orientation=8)
    rows = [
        {"id": "a", "data": {"text": "first", "image": "img/a.jpg"}},
        {"id": "b", "data": {"text": "same picture again", "image": "img/a.jpg"}},
        {"id": "c", "data": {"text": "a sound", "audio": "clips/c.wav"}},
        {"id": "d", "data": {"text": "a film", "video": "/v.mp4"}},
    ]
    archive = zip_of(
        {
            "batch/items.jsonl": jsonl(rows),
            "batch/img/a.jpg": photo,
            "batch/clips/c.wav": wav(),
            "v.mp4": mp4(),
            "batch/unused.png": b"x",
        }
    )
    await root.upload("pics.zip", archive)
    assert "4 rows, 0 gold, no errors" in last(root), last(root)
    await root.tap("Publish")
    data = await items_of(store)
    image = data["a"]["media"]
    assert data["b"]["media"] == image
    assert (image["kind"], image["width"], image["height"], image["ext"]) == (
        "image",
        640,
        1280,
        "jpg",
    )  # turned upright by its EXIF orientation, side capped
    assert image["source"] == "img/a.jpg"
    assert data["c"]["media"]["mime"] == "audio/wav" and data["d"]["media"]["ext"] == "mp4"
    stored = sorted(p.name for p in media.root.rglob("*.*"))
    assert len(stored) == 3 and {Path(n).suffix for n in stored} == {".jpg", ".wav", ".mp4"}

    await root.command("invite", "annotator", "1")
    ann = recorder.person("ann")
    await ann.command("start", last(root).split()[-1])
    screen = ann.screen
    assert screen is not None and screen.media is not None
    assert screen.media.kind == "image" and screen.media.key == image["sha"]
    assert Path(screen.media.ref) == media.path(image["sha"], "jpg")
    assert "img/a.jpg" not in screen.text  # the reference is not shown as text
    kinds = []
    for _ in range(4):
        assert ann.screen is not None and ann.screen.media is not None
        kinds.append(ann.screen.media.kind)
        await ann.tap("cat")
    assert sorted(kinds) == ["audio", "image", "image", "video"]


async def test_bad_media_are_named_by_row_and_nothing_is_stored(
    recorder: Recorder, store: Store, media: MediaStore
) -> None:
    root = recorder.person("root")
    await root.upload("pics.toml", project().encode())
    rows = [
        {"id": "ok", "data": {"image": "fine.jpg"}},
        {"id": "broken", "data": {"image": "broken.jpg"}},
        {"id": "bomb", "data": {"image": "bomb.png"}},
        {"id": "gone", "data": {"audio": "missing.wav"}},
        {"id": "local", "data": {"image": "/etc/hostname"}},
    ]
    archive = zip_of(
        {
            "items.jsonl": jsonl(rows),
            "fine.jpg": jpeg(50, 50),
            "broken.jpg": broken_jpeg(),
            "bomb.png": bomb_png(),
        }
    )
    await root.upload("bad.zip", archive)
    text = last(root)
    assert "bad.zip was not imported: 4 problems. Nothing was stored." in text, text
    assert "line 2: data.image: broken.jpg: a broken picture" in text
    assert "line 3: data.image: bomb.png: refused as a decompression bomb" in text
    assert "line 4: data.audio: missing.wav: not in the ZIP" in text
    assert "line 5: data.image: /etc/hostname: not in the ZIP" in text
    assert await items_of(store) == {}
    await root.upload("paths.jsonl", jsonl([{"id": "x", "data": {"image": "/etc/hostname"}}]))
    assert "works only with `tapmark batch import`" in last(root)


@pytest.fixture
async def files_server() -> AsyncIterator[str]:
    """A loopback web server with a picture, a sound and a missing file."""
    files = {"/p.jpg": jpeg(64, 48), "/s.wav": wav()}

    async def serve(request: web.Request) -> web.Response:
        body = files.get(request.path)
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_files_beside_the_batch_and_urls_from_the_command_line(
    store: Store,
    media: MediaStore,
    tmp_path: Path,
    files_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    await save_project(store, parse_project("p.toml", project()), update=False)
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "local.jpg").write_bytes(jpeg(80, 60))
    rows = [
        {"id": "1", "data": {"image": "pics/local.jpg"}},
        {"id": "2", "data": {"image": f"{files_server}/p.jpg"}},
        {"id": "3", "data": {"audio": f"{files_server}/s.wav"}},
    ]
    source = Source(base_dir=tmp_path, fetcher=HttpsFetcher(frozenset({"127.0.0.1"})))
    summary = await import_batch(
        store, "pics", "b.jsonl", jsonl(rows), True, media=media, source=source
    )
    assert summary.items == 3
    data = await items_of(store)
    assert (data["1"]["media"]["width"], data["2"]["media"]["width"]) == (80, 64)
    assert data["3"]["media"]["kind"] == "audio"
    bad = [
        {"id": "4", "data": {"image": f"{files_server}/nope.jpg"}},
        {"id": "5", "data": {"image": "pics/none.jpg"}},
    ]
    with pytest.raises(BatchFileError) as caught:
        await import_batch(store, "pics", "c.jsonl", jsonl(bad), True, media=media, source=source)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].startswith("line 1: data.image:") and "HTTP 404" in problems[0]
    assert problems[1].startswith("line 2: data.image: pics/none.jpg: no such file")
    with pytest.raises(BatchFileError, match="only https URLs"):
        await import_batch(
            store,
            "pics",
            "d.jsonl",
            jsonl(rows[1:2]),
            True,
            media=media,
            source=Source(base_dir=tmp_path, fetcher=HttpsFetcher()),
        )


async def test_image_grid_end_to_end(recorder: Recorder, store: Store, media: MediaStore) -> None:
    toml = project("image_grid", '["car", "bike"]', "[options]\nrows = 2\ncols = 2", overlap=3)
    await save_project(store, parse_project("p.toml", toml), update=False)
    rows = [
        {"id": "g1", "data": {"image": "street.jpg", "text": "A street"}},
        {"id": "g2", "data": {"image": "street.jpg", "category": "bike"}},
    ]
    archive = zip_of({"grid.jsonl": jsonl(rows), "street.jpg": jpeg(400, 300)})
    await import_batch(store, "pics", "grid.zip", archive, True, media=media)
    data = await items_of(store)
    assert data["g1"]["media"]["grid"]["sha"] != data["g1"]["media"]["sha"]
    code = (await make_invite(store, "pics", Role.ANNOTATOR, None, None)).code
    crowd = [recorder.person(f"p{i}") for i in range(3)]
    for person in crowd:
        await person.command("start", code)
        screen = person.screen
        assert screen is not None and screen.media is not None
        assert screen.media.key == data["g1"]["media"]["grid"]["sha"]
        assert [b.label for b in screen.buttons()][:5] == ["1", "2", "3", "4", "Done (none)"]
        assert "Tick every cell that shows car" in screen.text
        await person.tap("1")
        await person.tap("2")
        await person.tap("Done (2 ✓)")
        assert person.screen is not None and "Tick every cell that shows bike" in person.screen.text
        await person.tap("Done (none)")
    async with store.transaction() as tx:
        found = await tx.project_by_name("pics")
        assert found is not None
        records = {
            json.loads(line)["id"]: json.loads(line) async for line in export_jsonl(tx, found.id)
        }
    first = records["g1"]
    assert first["status"] == "done"
    assert first["result"]["value"] == {"cells": [1, 2], "bbox": [0, 0, 400, 150]}
    assert first["answers"][0]["value"] == {"cells": [1, 2], "bbox": [0, 0, 400, 150]}
    assert first["summary"] == {
        "answers": 3,
        "votes": {"1": 3, "2": 3, "3": 0, "4": 0},
        "category": "car",
        "width": 400,
        "height": 300,
    }
    assert records["g2"]["result"]["value"] == {"cells": [], "bbox": None}

    async with store.transaction() as tx:
        found = await tx.project_by_name("pics")
        assert found is not None
        coco = json.loads("".join([c async for c in export_coco(tx, found.id)]))
        studio = json.loads("".join([c async for c in export_label_studio(tx, found.id)]))
    sha = data["g1"]["media"]["sha"]
    assert coco["categories"] == [
        {"id": 1, "name": "car", "supercategory": ""},
        {"id": 2, "name": "bike", "supercategory": ""},
    ]
    assert [i["file_name"] for i in coco["images"]] == [f"{sha[:2]}/{sha}.jpg"] * 2
    assert (media.root / coco["images"][0]["file_name"]).exists()
    assert coco["images"][0]["width"] == 400 and coco["images"][0]["height"] == 300
    (box,) = coco["annotations"]  # g2 has no cells, so no box
    assert box["image_id"] == 1 and box["category_id"] == 1
    assert box["bbox"] == [0, 0, 400, 150] and box["area"] == 60_000
    task = next(t for t in studio if t["id"] == "g1")
    (rectangle,) = task["predictions"][0]["result"]
    assert rectangle["type"] == "rectanglelabels" and rectangle["to_name"] == "image"
    assert rectangle["value"] == {
        "x": 0.0,
        "y": 0.0,
        "width": 100.0,
        "height": 50.0,
        "rotation": 0,
        "rectanglelabels": ["car"],
    }
    assert rectangle["original_width"] == 400 and len(task["annotations"]) == 3
    assert next(t for t in studio if t["id"] == "g2")["predictions"][0]["result"] == []
