"""The progress line on the task card says where the person is: against the quota when the
project has one, otherwise in the batch, leaving gold out."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from storage import open_store
from storage.contract import Store
from tests.conftest import Clock
from tests.storage.engines import ENGINES

MakeProject = Callable[..., Any]


@pytest.fixture(params=sorted(ENGINES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with ENGINES[request.param](tmp_path) as engine, open_store(engine.url) as s:
        yield s


def progress(person: Person) -> str:
    assert person.screen is not None
    return plain(person.screen.text).split("\n\n")[-1]


async def test_without_a_quota_the_card_counts_the_batch(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8, gold_every=4)  # 6 real items, 2 gold
    alice = recorder.person("alice")
    await alice.command("start", code)
    assert progress(alice) == "0 of 6 in this batch · 0 done today"
    await alice.tap("neg")
    assert progress(alice) == "1 of 6 in this batch · 1 done today"
    clock.advance(3)
    await alice.tap("pos")
    assert progress(alice) == "2 of 6 in this batch · 2 done today"
    await alice.tap("Undo")
    assert progress(alice) == "1 of 6 in this batch · 1 done today"


async def test_without_a_quota_done_today_starts_again_the_next_day(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8)
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("neg")  # the test clock starts on a Friday
    clock.advance(86_400)  # Saturday, the same week
    await alice.tap("neg")
    assert progress(alice) == "2 of 8 in this batch · 1 done today"


async def test_a_daily_quota_is_what_the_card_counts_against(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8, extra="\n[quota]\ndaily = 2")
    alice = recorder.person("alice")
    await alice.command("start", code)
    assert progress(alice) == "0 of 2 done today"
    await alice.tap("neg")
    assert progress(alice) == "1 of 2 done today"
    clock.advance(3)
    await alice.tap("neg")
    assert progress(alice) == "2 of 2 done today ✓"
    clock.advance(86_400)
    await alice.tap("neg")
    assert progress(alice) == "1 of 2 done today"


async def test_a_weekly_quota_counts_the_week(
    recorder: Recorder, make_project: MakeProject, clock: Clock
) -> None:
    code = await make_project(items=8, extra="\n[quota]\nweekly = 20")
    alice = recorder.person("alice")
    await alice.command("start", code)
    await alice.tap("neg")  # the test clock starts on a Friday
    clock.advance(86_400)
    await alice.tap("neg")
    assert progress(alice) == "2 of 20 done this week"
    clock.advance(2 * 86_400)  # Monday: a new week
    await alice.tap("neg")
    assert progress(alice) == "1 of 20 done this week"
