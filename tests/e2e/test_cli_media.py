"""`tapmark` with media, as a subprocess: a batch whose pictures sit beside it, the media folder
beside the database, a bad picture named by row, the COCO and ranking exports."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.test_cli import clean_env, failed, ok, tapmark
from tests.media_samples import broken_jpeg, jpeg

GRID = """name = "cars"
title = "Find the cars"
task = "image_grid"
labels = ["car"]
[options]
rows = 2
cols = 2
"""


def test_a_batch_with_pictures_beside_it(tmp_path: Path) -> None:
    env = clean_env(TAPMARK_DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 't.db'}")
    (tmp_path / "cars.toml").write_text(GRID)
    ok(tapmark(tmp_path, "project", "create", "cars.toml", env=env))
    (tmp_path / "in" / "pics").mkdir(parents=True)
    (tmp_path / "in" / "pics" / "a.jpg").write_bytes(jpeg(2000, 1000))
    (tmp_path / "in" / "pics" / "bad.jpg").write_bytes(broken_jpeg())
    rows = [
        {"id": "1", "data": {"image": "pics/a.jpg"}},
        {"id": "2", "data": {"image": "pics/bad.jpg"}},
    ]
    batch = tmp_path / "in" / "b.jsonl"
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows))
    error = failed(tapmark(tmp_path, "batch", "import", "cars", "in/b.jsonl", env=env))
    assert "b.jsonl: line 2: data.image: pics/bad.jpg: a broken picture" in error
    batch.write_text(json.dumps(rows[0]) + "\n")
    ok(tapmark(tmp_path, "batch", "import", "cars", "in/b.jsonl", "--publish", env=env))
    stored = sorted((tmp_path / "db" / "media").rglob("*.jpg"))
    assert len(stored) == 2  # the picture and its grid, beside the database
    ok(tapmark(tmp_path, "export", "cars", "--format", "coco", "--out", "c.json", env=env))
    coco = json.loads((tmp_path / "c.json").read_text())
    assert coco["images"][0]["width"] == 1280 and coco["images"][0]["height"] == 640
    assert coco["categories"] == [{"id": 1, "name": "car", "supercategory": ""}]
    error = failed(tapmark(tmp_path, "export", "cars", "--format", "ranking", env=env))
    assert "the ranking is for pairwise projects" in error
