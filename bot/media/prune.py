"""`tapmark media prune`: delete stored media files that no item names any more.

Files stay when a draft batch is cancelled (an import that is refused leaves none: its files wait
in a staging folder until its batch is stored, see `bot.media.store.Staging`). This finds
the files under the media folder whose content hash no item of any project names and deletes
those older than `min_age` seconds: a file younger than that may belong to an import still under
way, whose items are not committed yet. Leftover partial writes (``.part-*``) and the staging
folders of imports that never finished (the process stopped halfway) go by the same rule.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bot.media.store import STAGING, MediaStore
from storage.contract import Store

MIN_AGE_S = 3600.0


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int
    kept: int


async def prune_media(
    store: Store,
    media: MediaStore,
    dry_run: bool = False,
    min_age: float = MIN_AGE_S,
    now: float | None = None,
) -> Pruned:
    """Delete (or with `dry_run` only count) the unnamed files old enough to go."""
    async with store.transaction() as tx:
        in_use = await tx.media_in_use()
    cutoff = (time.time() if now is None else now) - min_age
    return await asyncio.to_thread(_sweep, media.root, in_use, cutoff, dry_run)


def _sweep(root: Path, in_use: set[str], cutoff: float, dry_run: bool) -> Pruned:
    files = size = kept = 0
    if not root.is_dir():
        return Pruned(0, 0, 0)
    for path in sorted(root.glob("??/*")):
        if not path.is_file():
            continue
        stat = path.stat()
        sha = path.name.split(".", 1)[0]
        if sha in in_use or stat.st_mtime >= cutoff:
            kept += 1
            continue
        files += 1
        size += stat.st_size
        if not dry_run:
            path.unlink(missing_ok=True)
    for folder in sorted((root / STAGING).glob("*")):
        staged = [p for p in folder.rglob("*") if p.is_file()]
        if max((p.stat().st_mtime for p in staged), default=folder.stat().st_mtime) >= cutoff:
            kept += len(staged)
            continue
        files += len(staged)
        size += sum(p.stat().st_size for p in staged)
        if not dry_run:
            shutil.rmtree(folder, ignore_errors=True)
    return Pruned(files, size, kept)
