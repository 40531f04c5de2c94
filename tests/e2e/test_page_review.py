"""QA reviews a disputed region item in the annotation page: every annotator's regions shown
as layers, the result corrected and submitted; through the real core, and in Chromium."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.console.recorder import Person, Recorder
from adapters.web.links import Links
from adapters.web.server import PageServer
from adapters.web.settings import WebSettings
from bot.core import Core
from bot.managing.operations import make_invite
from bot.media.store import MediaStore
from bot.page.service import CORRECTED, DEALT_WITH, NOT_YOURS, PageService
from bot.page.views import NoTask, PageTask, Refusal
from bot.review.queue import REVIEW_PAGE
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tasks.regions.answer import loads
from tests.page_projects import setup_boxes
from tests.web.browser import ARGS, CHROMIUM, need_chromium

SHOTS = os.environ.get("TAPMARK_PAGE_SHOTS")


def box(x: float, label: str = "rectangle") -> dict[str, Any]:
    return {
        "regions": [{"image": 0, "label": label, "type": "box", "x": x, "y": 30, "w": 60, "h": 50}]
    }


def page_button(person: Person, label: str) -> str:
    screen = person.screen
    assert screen is not None
    (button,) = [b for b in screen.buttons() if b.page]
    assert button.label == label
    return button.page


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(f"sqlite:///{tmp_path / 'review.db'}") as s:
        yield s


async def disputed(store: Store, tmp_path: Path) -> tuple[Core, Recorder, PageService]:
    """Three annotators draw three different boxes on the first picture: it is disputed."""
    media = MediaStore(tmp_path / "media")
    code = await setup_boxes(store, media)
    core = Core(store, rng=random.Random(2), media=media)
    recorder, page = Recorder(core), PageService(core)
    tokens = {}
    for name in ("ann", "ben", "cat"):
        person = recorder.person(name)
        await person.command("start", code)
        tokens[name] = page_button(person, "✏️ Open the task")
    for name, x in (("ann", 10), ("ben", 200)):
        assert isinstance(
            await page.submit(f"console:{name}", tokens[name], box(x)), (PageTask, NoTask)
        )
    after = await page.submit("console:cat", tokens["cat"], box(120))  # her first item
    assert isinstance(after, PageTask) and after.item_id == "bbox-0000"
    assert isinstance(
        await page.submit("console:cat", after.lease, box(100, "ellipse")), (PageTask, NoTask)
    )
    qa = recorder.person("quinn")
    await qa.command("start", (await make_invite(store, "boxes", Role.QA, None, None)).code)
    await qa.command("review")
    return core, recorder, page


async def test_qa_sees_each_annotators_regions_and_the_correction_becomes_the_result(
    store: Store, tmp_path: Path
) -> None:
    _, recorder, page = await disputed(store, tmp_path)
    qa = recorder.person("quinn")
    token = page_button(qa, "✏️ Review in the page")
    assert REVIEW_PAGE == "✏️ Review in the page"
    assert await page.task("console:ann", token) == Refusal("not_yours", NOT_YOURS)
    task = await page.task("console:quinn", token)
    assert isinstance(task, PageTask) and task.item_id == "bbox-0000"
    assert len(task.layers) == 3
    assert sorted(r["x"] for _, drawn in task.layers for r in drawn) == [10.0, 100.0, 200.0]
    assert task.texts[0][0] == "flag" and "disputed" in task.texts[0][1]
    done = await page.submit("console:quinn", token, box(42, "triangle"))
    assert done == NoTask(CORRECTED)
    async with store.transaction() as tx:
        project = await tx.project_by_name("boxes")
        assert project is not None
        (row,) = [r async for r in tx.export_rows(project.id) if r.item.ext_id == "bbox-0000"]
        assert row.item.status == "done" and row.result is not None and row.result.method == "qa"
        assert [(g.label, g.x) for g in loads(row.result.label)] == [("triangle", 42.0)]
        assert await tx.open_flags(project.id) == 0
    assert await page.submit("console:quinn", token, box(1)) == Refusal("gone", DEALT_WITH)


async def test_the_review_page_draws_the_layers_in_chromium(store: Store, tmp_path: Path) -> None:
    need_chromium()
    from playwright.async_api import async_playwright, expect

    core, recorder, _ = await disputed(store, tmp_path)
    token = page_button(recorder.person("quinn"), "✏️ Review in the page")
    settings = WebSettings(
        public_url="http://127.0.0.1/", host="127.0.0.1", port=0, secret="s" * 24
    )
    url = Links(settings).link("console:quinn", token)
    async with TestServer(PageServer(PageService(core), settings).app(), host="127.0.0.1") as http:
        local = url.replace("http://127.0.0.1/", str(http.make_url("/")))
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            context = await browser.new_context(
                viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
            )
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            try:
                await page.goto(local)
                await page.wait_for_selector("#stage[data-regions]")
                await expect(page.locator("#overlay g.layer")).to_have_count(3)
                await expect(page.locator("#texts .legend")).to_have_count(3)
                if SHOTS:
                    await page.screenshot(path=f"{SHOTS}/review.png")
                await expect(page.locator("#skip")).to_be_hidden()
                # Draw the one box the consensus lacked, and make the correction gold.
                picture = await page.locator("#picture").bounding_box()
                width = await page.locator("#picture").evaluate("e => e.naturalWidth")
                scale = picture["width"] / width
                x0, y0 = picture["x"] + 40 * scale, picture["y"] + 40 * scale
                await page.mouse.move(x0, y0)
                await page.mouse.down()
                await page.mouse.move(x0 + 80 * scale, y0 + 60 * scale, steps=6)
                await page.mouse.up()
                await page.locator("#report", has_text="Submit as gold").tap()
                await expect(page.locator("#message")).to_contain_text("a gold question")
            finally:
                await browser.close()
    assert errors == []
    async with store.transaction() as tx:
        project = await tx.project_by_name("boxes")
        assert project is not None
        assert await tx.open_flags(project.id) == 0
        (row,) = [r async for r in tx.export_rows(project.id) if r.item.ext_id == "bbox-0000"]
        assert row.item.gold is not None and row.result is not None
        assert row.item.gold == row.result.label and len(loads(row.item.gold)) == 1
