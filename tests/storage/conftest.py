"""The `engine` and `engine_store` fixtures: every storage test that takes them runs once per
engine (tests/storage/engines.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage import open_store
from storage.contract import Store
from tests.storage.engines import ENGINES, Engine


@pytest.fixture(params=sorted(ENGINES))
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async with ENGINES[request.param](tmp_path) as chosen:
        yield chosen


@pytest.fixture
async def engine_store(engine: Engine) -> AsyncIterator[Store]:
    async with open_store(engine.url) as store:
        yield store
