"""Benchmark of batch imports: peak memory and time of one large upload, and text splitting.

    python -m bench.imports --json
    python -m bench.imports --rows 100000 --via chat --json

1. An upload of `--rows` small rows (JSONL, about 200 bytes each: 100,000 of them make the
   20 MB a chat platform lets a bot download; `--shape labelstudio` the same as one Label
   Studio task list; `--shape tiny --rows 1000000` 20 MB of 30-byte rows, which the row cap
   refuses) is imported into a fresh SQLite file,
   through `bot.managing.operations.import_batch` (the command line) or an upload in chat
   (`--via chat`, the console recorder). `peak_rss_mb` is the process's high-water mark after
   the import
   (`getrusage`), `before_rss_mb` the same once the upload is made and nothing imported, so
   the import's own cost is the difference. With `--tracemalloc` also the peak of Python
   allocations during the import (slower).
2. `split_ms`: `bot.chat.markup.split_text` on texts of 1, 2 and 4 million characters at the
   Telegram limit; linear splitting doubles with the length.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

PROJECT = """name = "bulk"
title = "Bulk"
task = "single_choice"
labels = ["pos", "neg"]
[quality]
min_overlap = 1
max_overlap = 1
gold_rate = 0
"""
WORDS = (
    "the quick brown fox jumps over a lazy dog while seven wizards box and quartz judges vex nymphs"
).split()


def upload(rows: int, shape: str) -> tuple[str, bytes]:
    """The file name and bytes: `rows` JSONL rows of about 200 bytes, every tenth one gold;
    with `shape` "labelstudio" the same as one Label Studio task list; with "tiny" rows of
    about 30 bytes (a million of them in 20 MB, over the row cap)."""
    out = io.BytesIO()
    if shape == "labelstudio":
        out.write(b"[")
    for i in range(rows):
        words = 29 if shape != "tiny" else 0
        text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(words))
        row: dict[str, Any] = {"id": f"r{i}", "data": {"text": f"{i}: {text}"}}
        if i % 10 == 0 and shape != "tiny":
            row["gold"] = "pos" if i % 20 else "neg"
        if shape == "labelstudio":
            row = {
                "id": i,
                "data": {**row["data"], "tapmark_id": row["id"]},
                "annotations": [
                    {"ground_truth": True, "result": [{"value": {"choices": [row["gold"]]}}]}
                ]
                if "gold" in row
                else [],
            }
            out.write((b",\n" if i else b"") + json.dumps(row).encode())
        else:
            out.write(json.dumps(row).encode() + b"\n")
    if shape == "labelstudio":
        out.write(b"]")
    return ("bulk.json" if shape == "labelstudio" else "bulk.jsonl"), out.getvalue()


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def import_once(filename: str, content: bytes, via: str, folder: Path) -> int:
    """The import; the non-gold items stored (0 when the file was refused)."""
    from bot.managing.operations import import_batch, save_project
    from bot.managing.projectfile import parse_project
    from storage import open_store
    from tasks.problems import BatchFileError

    async with open_store(f"sqlite:///{folder / 'bench.db'}") as store:
        await save_project(store, parse_project("p.toml", PROJECT), update=False)
        if via == "cli":
            try:
                await import_batch(store, "bulk", filename, content, True)
            except BatchFileError as exc:
                print(str(exc).splitlines()[0], file=sys.stderr)
        else:
            from adapters.console.recorder import Recorder
            from bot.core import Core

            recorder = Recorder(Core(store, admins=frozenset({("console", "root")})))
            root = recorder.person("root")
            await root.upload("bulk.toml", PROJECT.encode())
            await root.upload(filename, content)
        async with store.transaction() as tx:
            project = await tx.project_by_name("bulk")
            assert project is not None
            return sum(p.items for p in await tx.batch_progress(project.id))


def split_ms() -> dict[str, float]:
    from bot.chat.markup import split_text

    paragraph = " ".join(WORDS) + "\n"
    times = {}
    for millions in (1, 2, 4):
        text = paragraph * (millions * 1_000_000 // len(paragraph))
        started = time.perf_counter()
        split_text(text, 4096)
        times[f"{millions}m_chars"] = round((time.perf_counter() - started) * 1000, 1)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--via", choices=["cli", "chat"], default="cli")
    parser.add_argument("--shape", choices=["rows", "labelstudio", "tiny"], default="rows")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--no-split", action="store_true", help="skip the text splitting")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    filename, content = upload(args.rows, args.shape)
    before = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tapmark-bench-") as tmp:
        items = asyncio.run(import_once(filename, content, args.via, Path(tmp)))
    seconds = time.perf_counter() - started
    report: dict[str, Any] = {
        "via": args.via,
        "shape": args.shape,
        "rows": args.rows,
        "non_gold_items_stored": items,
        "upload_mb": round(len(content) / 1e6, 1),
        "seconds": round(seconds, 2),
        "before_rss_mb": before,
        "peak_rss_mb": rss_mb(),
    }
    if args.tracemalloc:
        report["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        tracemalloc.stop()
    if not args.no_split:
        report["split_ms"] = split_ms()
    report["machine"] = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(json.dumps(report) if args.json else json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
