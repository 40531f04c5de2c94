"""Benchmark of media: pictures prepared at import, and uploads per label on Telegram.

    python -m bench.media --json

1. `images_per_s`: a ZIP batch of distinct phone-sized JPEGs (3000×2000, with an EXIF
   orientation and a GPS position) goes through the real import (`bot.media.importing`): read from
   the ZIP, decoded, turned upright, cut to 1280 pixels, stripped, hashed and stored, on as many
   worker threads as the machine has cores. Also the median time of one picture on one thread.
2. `uploads_per_label`: annotators label an image batch with overlap 3 through the real
   Telegram adapter against the local Bot API stand-in; the uploads the stand-in received,
   divided by the labels. One upload per distinct file makes it 1/overlap.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import statistics
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from adapters.telegram import TelegramAdapter, TelegramConfig
from bench.common import summary
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.images import prepare_image
from bot.media.importing import load_batch
from bot.media.store import MediaStore, UploadRefs
from domain.enums import Role
from domain.spec import ProjectSpec
from storage import open_store
from tests.fakes.telegram_api import ChatMessage, FakeTelegram

PROJECT = """name = "pics"
title = "Pictures"
task = "single_choice"
labels = ["a", "b", "c"]
[quality]
min_overlap = {overlap}
max_overlap = {overlap}
gold_rate = 0
min_seconds = 0
"""
TOOLS = ["Skip", "Report", "Guide"]


def photo(n: int, size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A distinct photo-like JPEG: a gradient with noise, an EXIF orientation and GPS data."""
    rng = random.Random(n)
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 40 + n % 20).convert("RGB")
    image = Image.blend(base, noise, 0.3)
    image.paste(
        (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        (0, 0, size[0] // 5, size[1] // 5),
    )
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def zip_batch(pictures: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        rows = [
            json.dumps({"id": f"p{n}", "data": {"image": f"p{n}.jpg"}})
            for n in range(len(pictures))
        ]
        archive.writestr("batch.jsonl", "\n".join(rows) + "\n")
        for n, data in enumerate(pictures):
            archive.writestr(f"p{n}.jpg", data)
    return out.getvalue()


async def prepare_rate(n: int, folder: Path) -> dict[str, Any]:
    pictures = [photo(i) for i in range(n)]
    single = []
    for data in pictures[: min(5, n)]:
        started = time.perf_counter()
        prepare_image(data)
        single.append(time.perf_counter() - started)
    spec = ProjectSpec.model_validate(
        {"name": "pics", "title": "P", "task": "single_choice", "labels": ["a", "b"]}
    )
    archive = zip_batch(pictures)
    started = time.perf_counter()
    loaded = await load_batch("bench.zip", archive, spec, MediaStore(folder / "media"))
    await loaded.publish()
    elapsed = time.perf_counter() - started
    assert loaded.count == n
    return {
        "images": n,
        "source": "3000x2000 JPEG",
        "images_per_s": round(n / elapsed, 1),
        "seconds": round(elapsed, 3),
        "one_image_ms": round(statistics.median(single) * 1000, 1),
        "threads": os.cpu_count(),
    }


def card(tg: FakeTelegram, uid: int) -> ChatMessage | None:
    for message in reversed(tg.chat(uid).bot_messages()):
        if message.labels[-3:] == TOOLS and message.labels[0] == "a":
            return message
    return None


async def label(
    tg: FakeTelegram, uid: int, code: str, rng: random.Random, latencies: list[float]
) -> None:
    tg.user_send_text(uid, f"/start {code}", first_name=f"P{uid}")
    message = await tg.wait_for(lambda: card(tg, uid), timeout=60)
    while message.labels[-3:] == TOOLS and not message.deleted:
        edits = message.edit_count
        started = time.perf_counter()
        choice = rng.choice(["a", "b", "c"])
        tg.user_tap(uid, message.message_id, message.button(choice).callback_data or "")

        def moved(m: ChatMessage = message, e: int = edits) -> bool:
            return m.edit_count > e or m.deleted

        await tg.wait_for(moved, timeout=60)
        latencies.append(time.perf_counter() - started)


async def uploads_per_label(items: int, people: int, overlap: int, folder: Path) -> dict[str, Any]:
    media = MediaStore(folder / "media")
    async with open_store(f"sqlite:///{folder / 'bench.db'}") as store, FakeTelegram() as tg:
        await save_project(
            store, parse_project("p.toml", PROJECT.format(overlap=overlap)), update=False
        )
        pictures = [photo(1000 + n, (800, 600)) for n in range(items)]
        await import_batch(store, "pics", "b.zip", zip_batch(pictures), True, media=media)
        code = (await make_invite(store, "pics", Role.ANNOTATOR, None, None)).code
        config = TelegramConfig(token=tg.token, api_url=tg.root, overall_max_rate=0)
        adapter = TelegramAdapter(
            Core(store, rng=random.Random(1), media=media), config, UploadRefs(store)
        )
        await adapter.start()
        latencies: list[float] = []
        started = time.perf_counter()
        try:
            await asyncio.gather(
                *(label(tg, 7000 + p, code, random.Random(p), latencies) for p in range(people))
            )
        finally:
            elapsed = time.perf_counter() - started
            await adapter.stop()
        labels = len(latencies)
        out = summary(latencies, elapsed, "labels")
        out.update(
            items=items,
            people=people,
            overlap=overlap,
            uploads=len(tg.uploads),
            distinct_files=len({u.sha256 for u in tg.uploads}),
            uploads_per_label=round(len(tg.uploads) / labels, 4),
            photo_sends=tg.calls["sendPhoto"],
            media_edits=tg.calls["editMessageMedia"],
        )
        return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        prepared = await prepare_rate(args.images, Path(tmp) / "a")
        uploads = await uploads_per_label(args.items, args.people, args.overlap, Path(tmp) / "b")
    return {
        "prepare": prepared,
        "telegram": uploads,
        "images_per_s": prepared["images_per_s"],
        "uploads_per_label": uploads["uploads_per_label"],
    }


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=40, help="pictures to prepare")
    parser.add_argument("--items", type=int, default=60, help="image items on Telegram")
    parser.add_argument("--people", type=int, default=12, help="annotators on Telegram")
    parser.add_argument("--overlap", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    result = asyncio.run(main(args))
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
