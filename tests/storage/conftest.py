"""The `engine` and `engine_store` fixtures: every storage test that takes them runs once per
engine (tests/storage/engines.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.entities import Assignment
from storage import open_store
from storage.contract import Store
from tests.storage.engines import ENGINES, Engine
from tests.storage.test_contract import World, lease, world


@pytest.fixture(params=sorted(ENGINES))
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async with ENGINES[request.param](tmp_path) as chosen:
        yield chosen


@pytest.fixture
async def engine_store(engine: Engine) -> AsyncIterator[Store]:
    async with open_store(engine.url) as store:
        yield store


@pytest.fixture
async def second_store(engine: Engine, engine_store: Store) -> AsyncIterator[Store]:
    """The same database opened again, as a second worker process would."""
    async with open_store(engine.url) as store:
        yield store


async def held_item(engine: Engine, store: Store, members: int) -> tuple[World, Assignment]:
    """For tests of transactions interleaving (PostgreSQL only; skipped on SQLite, whose one
    writer runs them one after another): a one-item world whose item the first member leases."""
    if engine.name == "sqlite":
        pytest.skip("SQLite runs one writing transaction at a time: nothing interleaves")
    w = await world(store, ids=("x",), n_target=1, n_members=members)
    held = await lease(store, w, w.members[0])
    assert held is not None
    return w, held
