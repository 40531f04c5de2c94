"""`tapmark media prune`: files no item names go once they are old enough; named files, files of
draft batches and young files stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

from bot.managing.operations import import_batch, save_project
from bot.managing.projectfile import parse_project
from bot.media.prune import prune_media
from bot.media.store import MediaStore
from storage.contract import Store
from tests.e2e.test_cli import clean_env, ok, tapmark
from tests.e2e.test_media_batches import jsonl, project
from tests.media_samples import jpeg, zip_of

HOUR = 3600.0


def age(media: MediaStore, sha: str, hours: float) -> None:
    path = media.path(sha, "jpg")
    then = time.time() - hours * HOUR
    os.utime(path, (then, then))


def batch(ext_id: str, width: int) -> bytes:
    return zip_of(
        {"b.jsonl": jsonl([{"id": ext_id, "data": {"image": "p.jpg"}}]), "p.jpg": jpeg(width, 40)}
    )


async def test_only_old_files_that_no_item_names_go(store: Store, tmp_path: Path) -> None:
    media = MediaStore(tmp_path / "media")
    await save_project(store, parse_project("p.toml", project()), update=False)
    await import_batch(store, "pics", "live.zip", batch("live", 50), True, media=media)
    await import_batch(store, "pics", "draft.zip", batch("draft", 60), False, media=media)
    orphan = await media.put(jpeg(70, 40), "jpg")
    young = await media.put(jpeg(80, 40), "jpg")
    for path in (tmp_path / "media").glob("??/*.jpg"):
        then = time.time() - 5 * HOUR
        os.utime(path, (then, then))
    age(media, young, 0.1)

    seen = await prune_media(store, media, dry_run=True)
    assert (seen.files, seen.kept) == (1, 3)
    assert media.path(orphan, "jpg").exists()
    done = await prune_media(store, media)
    assert (done.files, done.kept) == (1, 3) and done.bytes > 0
    assert not media.path(orphan, "jpg").exists()
    assert media.path(young, "jpg").exists()
    assert len(list((tmp_path / "media").glob("??/*.jpg"))) == 3


def test_the_command_prunes_beside_the_database(tmp_path: Path) -> None:
    env = clean_env(TAPMARK_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 't.db'}")
    (tmp_path / "p.toml").write_text(project())
    ok(tapmark(tmp_path, "project", "create", "p.toml", env=env))
    leftover = tmp_path / "db" / "media" / "ab" / ("ab" + "0" * 62 + ".jpg")
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(jpeg(10, 10))
    out = ok(tapmark(tmp_path, "media", "prune", "--dry-run", "--min-age-hours", "0", env=env))
    assert "would delete 1 files" in out.stdout and leftover.exists()
    out = ok(tapmark(tmp_path, "media", "prune", "--min-age-hours", "0", env=env))
    assert "deleted 1 files" in out.stdout and not leftover.exists()


async def test_staging_folders_of_imports_that_never_finished_go_when_old(
    store: Store, tmp_path: Path
) -> None:
    media = MediaStore(tmp_path / "media")
    stopped, running = media.stage(), media.stage()
    await stopped.put(jpeg(30, 30), "jpg")
    await running.put(jpeg(40, 30), "jpg")
    then = time.time() - 5 * HOUR
    for path in stopped.folder.rglob("*"):
        os.utime(path, (then, then))
    done = await prune_media(store, media)
    assert (done.files, done.kept) == (1, 1)
    assert not stopped.folder.exists() and running.folder.exists()
    await running.publish()
    assert not (tmp_path / "media" / ".staging").exists()
    assert len(list((tmp_path / "media").glob("??/*.jpg"))) == 1
