"""The PostgreSQL server the storage tests use, and a scratch schema per test.

The server is TAPMARK_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
When nothing answers there, the tests that need it are skipped, saying so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from storage.postgres.store import describe

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
_unreachable: dict[str, str] = {}


def server_url() -> str:
    return os.environ.get("TAPMARK_TEST_POSTGRES_URL", DEFAULT_URL)


def with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


async def connect(url: str | None = None) -> asyncpg.Connection:
    """A plain connection to the test server, or skip the test when no server answers."""
    url = url or server_url()
    if url in _unreachable:
        pytest.skip(_unreachable[url])
    try:
        return await asyncpg.connect(url, timeout=10)
    except (OSError, TimeoutError) as exc:
        _unreachable[url] = (
            f"no PostgreSQL server answers at {describe(url)} ({exc}); "
            "start one or set TAPMARK_TEST_POSTGRES_URL"
        )
        pytest.skip(_unreachable[url])


@asynccontextmanager
async def scratch_schema() -> AsyncIterator[str]:
    """A store URL on a schema of its own (the store creates it), dropped afterwards."""
    url = server_url()
    name = f"t_{secrets.token_hex(6)}"
    admin = await connect(url)
    try:
        yield with_schema(url, name)
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await admin.close()
