"""Two workers racing on one tap, on both engines: the answer committed first stands, and the
later one is told the answer is saved instead of failing."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.console.recorder import Recorder
from bot.actions import Toast
from bot.context import Ctx
from bot.events import Actor, Tap
from bot.work import _save
from storage import open_store
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_quality_loop import MakeProject, on_screen
from tests.storage.engines import ENGINES, Engine


@pytest.fixture(params=sorted(ENGINES))
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Engine]:
    async with ENGINES[request.param](tmp_path) as chosen:
        yield chosen


@pytest.fixture
async def store(engine: Engine) -> AsyncIterator[Store]:
    async with open_store(engine.url) as opened:
        yield opened


async def test_a_tap_that_loses_the_race_keeps_the_first_answer_and_says_saved(
    recorder: Recorder, make_project: MakeProject, store: Store, engine: Engine, clock: Clock
) -> None:
    code = await make_project(items=3, overlap=1)
    ann = recorder.person("ann")
    await ann.command("start", code)
    assert on_screen(ann)[:2] == ["pos", "neg"]
    async with store.transaction() as tx:
        (assignment_id,), = await engine.raw(
            tx, "SELECT id FROM assignments WHERE status = 'leased'")
        stale = await tx.lease_view(assignment_id)
    assert stale is not None
    await ann.tap("pos")
    actor = Actor("console", "ann", "ann")
    tap = Tap(actor, "stale")
    async with store.transaction() as tx:
        member = await tx.member_by_identity("console", "ann")
        assert member is not None
        ctx = Ctx(tx=tx, now=clock(), actor=actor, rng=random.Random(1), member=member)
        await _save(ctx, tap, member, stale, "neg")
    toasts = [a.text for a in ctx.actions if isinstance(a, Toast)]
    assert toasts == ["Already saved ✓"]
    async with store.transaction() as tx:
        rows = await engine.raw(tx, "SELECT value FROM answers", ())
    assert rows == [("pos",)]
