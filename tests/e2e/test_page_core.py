"""The annotation page's calls through the real core and store: a bbox project imported with
its pictures, a task card's page button, submit, skip, report and the refusals."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.core import Core
from bot.labeling.work import NO_PAGE
from bot.media.store import MediaStore
from bot.page.service import DONE_BEFORE, EXPIRED, NOT_YOURS, UNKNOWN, PageService
from bot.page.views import NoTask, PageTask, Refusal
from storage import open_store
from storage.contract import Store
from tasks.regions.answer import loads
from tests.conftest import BOTH_ENGINES, Clock
from tests.page_projects import setup_boxes
from tests.storage.postgres_server import connect, scratch_schema

pytestmark = BOTH_ENGINES


@pytest.fixture
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if getattr(request, "param", "sqlite") == "postgres":
        (await connect()).terminate()
        async with scratch_schema() as url, open_store(url) as s:
            yield s
        return
    async with open_store(f"sqlite:///{tmp_path / 'page.db'}") as s:
        yield s


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
def core(store: Store, clock: Clock, media: MediaStore) -> Core:
    return Core(store, clock=clock, rng=random.Random(3), media=media)


def page_token(person: Person) -> str:
    screen = person.screen
    assert screen is not None
    (button,) = [b for b in screen.buttons() if b.page]
    assert button.label == "✏️ Open the task"
    return button.page


def box(label: str = "rectangle", x: float = 12.0) -> dict[str, Any]:
    return {
        "regions": [{"image": 0, "label": label, "type": "box", "x": x, "y": 8, "w": 50, "h": 40}]
    }


async def stored_answers(store: Store) -> list[tuple[str, str]]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("boxes")
        assert project is not None
        return [
            (row.item.ext_id, a.label)
            async for row in tx.export_rows(project.id)
            for a in row.answers
        ]


async def test_a_card_opens_the_page_and_a_submit_stores_the_regions_and_brings_the_next(
    core: Core, store: Store, media: MediaStore
) -> None:
    code = await setup_boxes(store, media, with_pre=True)
    alice = Recorder(core).person("alice")
    await alice.command("start", code)
    token = page_token(alice)
    page = PageService(core)
    task = await page.task("console:alice", token)
    assert isinstance(task, PageTask)
    assert task.item_id == "bbox-0000"
    assert [(i.width, i.height) for i in task.images] == [(320, 240)]
    assert task.rules.labels == ("rectangle", "ellipse", "triangle")
    assert task.prompt == "Draw a box around every shape."
    assert [r["label"] for r in task.pre] == ["ellipse"]
    picture = await page.media("console:alice", token, 0)
    assert not isinstance(picture, Refusal)
    assert picture.content_type == "image/jpeg" and picture.body[:2] == b"\xff\xd8"
    after = await page.submit("console:alice", token, box())
    assert isinstance(after, PageTask) and after.item_id == "bbox-0001"
    assert after.note == "Saved. Next task." and after.lease != token
    ((item, value),) = await stored_answers(store)
    assert item == "bbox-0000"
    assert [(r.label, r.x, r.y, r.w, r.h) for r in loads(value)] == [
        ("rectangle", 12.0, 8.0, 50.0, 40.0)
    ]
    again = await page.submit("console:alice", token, box())
    assert isinstance(again, PageTask) and again.item_id == after.item_id
    assert again.note == "Already saved. Next task."
    other = await page.submit("console:alice", token, box("triangle"))
    assert isinstance(other, Refusal) and other.kind == "gone"
    # The chat card, opened again, shows the task of now.
    reopened = await page.task("console:alice", token)
    assert isinstance(reopened, PageTask) and reopened.item_id == after.item_id
    assert reopened.note == DONE_BEFORE
    assert len(await stored_answers(store)) == 1


async def test_skip_and_report_move_on_and_the_last_says_there_is_nothing_more(
    core: Core, store: Store, media: MediaStore
) -> None:
    code = await setup_boxes(store, media)
    alice = Recorder(core).person("alice")
    await alice.command("start", code)
    page = PageService(core)
    first = page_token(alice)
    skipped = await page.skip("console:alice", first)
    assert isinstance(skipped, PageTask) and skipped.note == "Skipped. Next task."
    reported = await page.report("console:alice", skipped.lease, "the picture is blank")
    assert isinstance(reported, PageTask) and reported.note == "Reported. Next task."
    last = await page.submit("console:alice", reported.lease, box())
    assert isinstance(last, NoTask) and "No tasks for you right now" in last.message
    async with store.transaction() as tx:
        project = await tx.project_by_name("boxes")
        assert project is not None
        flag = await tx.next_flag(project.id)
        assert flag is not None and flag.reason == "the picture is blank"
    assert len(await stored_answers(store)) == 1


async def test_other_people_forged_tokens_and_lapsed_leases_change_nothing(
    core: Core, store: Store, media: MediaStore, clock: Clock
) -> None:
    code = await setup_boxes(store, media)
    recorder = Recorder(core)
    alice, bob = recorder.person("alice"), recorder.person("bob")
    await alice.command("start", code)
    await bob.command("start", code)
    token = page_token(alice)
    page = PageService(core)
    assert await page.submit("console:bob", token, box()) == Refusal("not_yours", NOT_YOURS)
    assert await page.media("console:bob", token, 0) == Refusal("not_yours", NOT_YOURS)
    assert await page.submit("console:alice", token + "x", box()) == Refusal("unknown", UNKNOWN)
    assert await page.submit("console:carol", token, box()) == Refusal("not_yours", NOT_YOURS)
    bad = await page.submit("console:alice", token, {"regions": [{"label": "dog"}]})
    assert (
        isinstance(bad, Refusal) and bad.kind == "invalid" and bad.message.startswith("Not saved")
    )
    clock.advance(31 * 60)
    assert await page.submit("console:alice", token, box()) == Refusal("expired", EXPIRED)
    assert await stored_answers(store) == []
    await alice.tap("✏️ Open the task")
    assert alice.chat.toasts[-1] == NO_PAGE
