"""The `tapmark` command on PostgreSQL: a simulated crowd labeling through the real core with
its workers racing on the pool, and `tapmark migrate --from --to` moving a SQLite database
there. Each test has a PostgreSQL schema of its own (skipped when no server answers)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import clean_env, failed, ok, sqlite_url, tapmark
from tests.storage.postgres_server import scratch_schema


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    async with scratch_schema() as url:
        yield url


async def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return await asyncio.to_thread(tapmark, cwd, *args, env=env)


def export(proc: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ok(proc).stdout.splitlines()]


async def test_a_simulated_crowd_labels_every_item_on_postgres(tmp_path: Path, pg_url: str) -> None:
    proc = await run(
        tmp_path, "demo", "--crowd", "20", "--items", "100", "--seed", "2", "--json", "--db", pg_url
    )
    report = json.loads(ok(proc).stdout)
    assert report["items_finished"] == 100
    assert report["accuracy"] > 0.85
    assert report["labels_per_item"] <= 5
    rows = export(
        await run(tmp_path, "export", "reviews", env=clean_env(TAPMARK_DATABASE_URL=pg_url))
    )
    assert sum(len(r["answers"]) for r in rows) == report["answers"]
    for row in rows:
        annotators = [a["annotator"] for a in row["answers"]]
        assert len(annotators) == len(set(annotators)), row["id"]


async def test_migrate_moves_a_sqlite_database_to_postgres(tmp_path: Path, pg_url: str) -> None:
    db = sqlite_url(tmp_path / "old.db")
    ok(
        await run(
            tmp_path, "demo", "--crowd", "6", "--items", "30", "--seed", "4", "--json", "--db", db
        )
    )
    moved = ok(await run(tmp_path, "migrate", "--from", db, "--to", pg_url)).stdout
    assert "copied" in moved and "answers" in moved
    before = export(await run(tmp_path, "export", "reviews", "--db", db))
    after = export(await run(tmp_path, "export", "reviews", "--db", pg_url))
    assert after == before and len(after) > 30

    again = failed(await run(tmp_path, "migrate", "--from", db, "--to", pg_url))
    assert "already holds data" in again and len(again.strip().splitlines()) == 1
    assert export(await run(tmp_path, "export", "reviews", "--db", pg_url)) == before


async def test_migrate_explains_bad_usage(tmp_path: Path, pg_url: str) -> None:
    alone = failed(await run(tmp_path, "migrate", "--from", pg_url), code=2)
    assert "--to" in alone
    missing = failed(
        await run(tmp_path, "migrate", "--from", sqlite_url(tmp_path / "no.db"), "--to", pg_url)
    )
    assert "no database" in missing
    assert not (tmp_path / "no.db").exists()
