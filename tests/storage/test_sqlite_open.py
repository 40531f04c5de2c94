"""Several worker processes opening one fresh SQLite file at the same moment: each gets a
working store (the switch to WAL used to fail with "database is locked" for some of them)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from storage import open_store

ROOT = Path(__file__).resolve().parents[2]
OPEN = """
import asyncio, sys
from storage import open_store

async def main() -> None:
    async with open_store(sys.argv[1]) as store, store.transaction() as tx:
        await tx.projects()

asyncio.run(main())
"""


async def test_processes_opening_a_fresh_file_at_once_all_get_a_store(tmp_path: Path) -> None:
    for trial in range(1):
        url = f"sqlite:///{tmp_path / f'fresh{trial}.db'}"
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", OPEN, url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(6)
        ]
        results = [await p.communicate() for p in procs]
        failures = [
            err.decode().strip().splitlines()[-1]
            for p, (_, err) in zip(procs, results, strict=True)
            if p.returncode
        ]
        assert failures == [], failures
        async with open_store(url) as store:
            assert await store.schema_version() > 0
