"""The annotation page in a real browser (Debian's Chromium): a phone with touch and a desktop
with a mouse draw, edit and submit; the port receives exactly what was drawn, in pixels of the
stored picture, whatever the zoom."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from adapters.web.server import PageServer, mini_app_url, page_link
from tasks.regions.answer import RegionRules
from tests.conftest import Clock
from tests.web.browser import Phone, need_chromium, open_browser, telegram_stand_in
from tests.web.conftest import ALICE, SETTINGS, init_data
from tests.web.memory import MemoryPort

SHOTS = os.environ.get("TAPMARK_PAGE_SHOTS")
"""A folder to save screenshots into while developing (never committed)."""


@pytest.fixture
async def http(server: PageServer) -> AsyncIterator[TestServer]:
    need_chromium()
    s = TestServer(server.app(), host="127.0.0.1")
    async with s:
        yield s


async def shot(phone: Phone, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await phone.page.screenshot(path=f"{SHOTS}/{name}.png")


def answers(port: MemoryPort) -> list[dict[str, Any]]:
    return [json.loads(stored) for _, _, stored in port.answers]


@asynccontextmanager
async def open_in_telegram(
    http: TestServer, port: MemoryPort, clock: Clock, *, phone: bool = True
) -> AsyncIterator[Phone]:
    lease = port.open(ALICE)
    stand_in = telegram_stand_in(
        init_data(1001, clock()),
        {
            "bg_color": "#17212b",
            "text_color": "#f5f5f5",
            "button_color": "#5288c1",
            "secondary_bg_color": "#232e3c",
        },
    )
    async with open_browser(http, phone=phone, stand_in=stand_in) as p:
        url = mini_app_url(SETTINGS, lease).replace("http://127.0.0.1/", str(http.make_url("/")))
        await p.page.goto(url + "#tgWebAppData=stand-in")
        await p.page.wait_for_selector("#stage[data-regions]")
        yield p


@asynccontextmanager
async def open_by_link(
    http: TestServer,
    server: PageServer,
    port: MemoryPort,
    clock: Clock,
    person: str = "slack:U1",
    *,
    phone: bool,
) -> AsyncIterator[Phone]:
    lease = port.open(person)
    link = page_link(SETTINGS, server.signer, person, lease, clock())
    async with open_browser(http, phone=phone) as p:
        await p.page.goto(link.replace("http://127.0.0.1/", str(http.make_url("/"))))
        await p.page.wait_for_selector("#stage[data-regions]")
        yield p


async def test_draw_a_box_by_touch_and_submit(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        await shot(p, "phone-open")
        start = await p.picture_to_screen(420, 300)
        end = await p.picture_to_screen(620, 450)
        await p.drag(start, end)
        await p.page.locator("#labels button", has_text="cat").tap()
        await shot(p, "phone-drawn")
        await p.page.evaluate("Telegram.WebApp.MainButton.click()")
        await expect(p.page.locator("#progress")).to_have_text("2 / 2")
        await shot(p, "phone-next")
        got = answers(port)[0]["regions"]
        drawn = next(r for r in got if r["label"] == "cat")
        assert abs(drawn["x"] - 420) <= 2 and abs(drawn["y"] - 300) <= 2
        assert abs(drawn["w"] - 200) <= 3 and abs(drawn["h"] - 150) <= 3
        assert [r for r in got if r["label"] == "dog"] == [
            {
                "image": 0,
                "label": "dog",
                "type": "box",
                "x": 100.0,
                "y": 100.0,
                "w": 200.0,
                "h": 150.0,
            }
        ]
        assert p.errors == []


ALL_SHAPES = RegionRules(labels=("cat", "dog"), shapes=("box", "polygon", "point"))


async def submit_and_wait(p: Phone, progress: str = "2 / 2") -> None:
    await p.page.locator("#submit").click()
    await expect(p.page.locator("#progress")).to_have_text(progress)


def near(a: float, b: float, px: float = 2.5) -> bool:
    return abs(a - b) <= px


async def test_resize_a_pre_annotation_by_its_handle(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        await p.tap(await p.picture_to_screen(200, 175))
        await expect(p.page.locator("#overlay .handle")).to_have_count(8)
        corner = await p.picture_to_screen(300, 250)
        await p.drag(corner, await p.picture_to_screen(380, 330))
        await shot(p, "phone-resized")
        await p.page.evaluate("Telegram.WebApp.MainButton.click()")
        await expect(p.page.locator("#progress")).to_have_text("2 / 2")
        (box,) = answers(port)[0]["regions"]
        assert (box["label"], box["x"], box["y"]) == ("dog", 100.0, 100.0)
        assert near(box["w"], 280) and near(box["h"], 230)


async def test_polygon_by_taps_closing_on_the_first_point_and_a_keypoint(
    http: TestServer, server: PageServer, port: MemoryPort, clock: Clock
) -> None:
    port.items[0].rules = ALL_SHAPES
    port.items[0].pre = ()
    async with open_by_link(http, server, port, clock, phone=True) as p:
        await p.page.locator("#tools button", has_text="Polygon").tap()
        await p.page.locator("#labels button", has_text="dog").tap()
        corners = [(500, 100), (700, 120), (650, 400), (480, 350)]
        for x, y in corners:
            await p.tap(await p.picture_to_screen(x, y))
        await expect(p.page.locator("#overlay .draft-point")).to_have_count(3)
        await p.tap(await p.picture_to_screen(503, 103))
        await expect(p.page.locator("#overlay polygon.body")).to_have_count(1)
        await p.page.locator("#tools button", has_text="Point").tap()
        await p.page.locator("#labels button", has_text="cat").tap()
        await p.tap(await p.picture_to_screen(100, 500))
        await shot(p, "phone-polygon")
        await submit_and_wait(p)
        regions = answers(port)[0]["regions"]
        point = next(r for r in regions if r["type"] == "point")
        polygon = next(r for r in regions if r["type"] == "polygon")
        assert point["label"] == "cat" and near(point["x"], 100) and near(point["y"], 500)
        assert polygon["label"] == "dog" and len(polygon["points"]) == 4
        for (x, y), (gx, gy) in zip(corners, polygon["points"], strict=True):
            assert near(x, gx) and near(y, gy)


async def test_undo_redo_delete_and_relabel(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        regions = p.page.locator("#overlay g.region")
        await p.drag(await p.picture_to_screen(450, 300), await p.picture_to_screen(650, 500))
        await expect(regions).to_have_count(2)
        await p.page.locator("#undo").tap()
        await expect(regions).to_have_count(1)
        await p.page.locator("#redo").tap()
        await expect(regions).to_have_count(2)
        await p.tap(await p.picture_to_screen(200, 175))
        await p.page.locator("#labels button", has_text="cat").tap()
        await p.page.locator("#delete").tap()
        await expect(regions).to_have_count(1)
        await p.page.locator("#undo").tap()
        await expect(regions).to_have_count(2)
        await p.page.locator("#undo").tap()
        await p.page.evaluate("Telegram.WebApp.MainButton.click()")
        await expect(p.page.locator("#progress")).to_have_text("2 / 2")
        labels = sorted(r["label"] for r in answers(port)[0]["regions"])
        assert labels == ["cat", "dog"]


async def test_pinch_zoom_then_draw_still_maps_to_picture_pixels(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        before = await p.page.locator("#picture").bounding_box()
        centre = await p.picture_to_screen(500, 400)
        await p.pinch(centre, 60, 200)
        after = await p.page.locator("#picture").bounding_box()
        assert after["width"] > before["width"] * 2
        await p.drag(await p.picture_to_screen(460, 380), await p.picture_to_screen(540, 440))
        await shot(p, "phone-zoomed")
        await p.page.locator("#fit").tap()
        await p.page.evaluate("Telegram.WebApp.MainButton.click()")
        await expect(p.page.locator("#progress")).to_have_text("2 / 2")
        drawn = next(r for r in answers(port)[0]["regions"] if r["label"] == "cat")
        assert near(drawn["x"], 460, 1) and near(drawn["y"], 380, 1)
        assert near(drawn["w"], 80, 1) and near(drawn["h"], 60, 1)


async def test_expired_lease_is_refused_in_the_page(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        port.expire(next(iter(port.leases)))
        await p.page.evaluate("Telegram.WebApp.MainButton.click()")
        message = p.page.locator("#message")
        await expect(message).to_contain_text("ran out")
        await expect(p.page.locator("#skip")).to_be_disabled()
        await shot(p, "phone-expired")
        assert port.answers == []
        assert p.errors == [] or all("410" in e for e in p.errors)


async def test_item_text_is_shown_as_text_telegram_is_used_and_report_works(
    http: TestServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_in_telegram(http, port, clock) as p:
        await expect(p.page.locator("#texts span")).to_have_text("<script>alert(1)</script>")
        assert await p.page.locator("#texts script").count() == 0
        calls = await p.page.evaluate("window.tgCalls")
        assert "ready" in calls and "MainButton.setText" in calls
        assert await p.page.evaluate("Telegram.WebApp.MainButton.visible")
        assert await p.page.locator("#submit").is_hidden()
        bg = await p.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(23, 33, 43)"
        p.page.once("dialog", lambda d: d.accept("the picture is blank"))
        await p.page.locator("#report").tap()
        await expect(p.page.locator("#message")).to_have_text("Reported. Next task.")
        assert port.reports == [(ALICE, "item-1", "the picture is blank")]
        assert p.errors == []


async def test_desktop_mouse_by_link_with_several_pictures(
    http: TestServer, server: PageServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_by_link(http, server, port, clock, phone=False) as p:
        await expect(p.page.locator("#images")).to_be_hidden()
        await p.page.locator("#skip").click()
        await expect(p.page.locator("#progress")).to_have_text("2 / 2")
        await expect(p.page.locator("#images")).to_be_visible()
        await p.page.locator("#next-image").click()
        await expect(p.page.locator("#image-number")).to_have_text("Picture 2 of 2")
        mouse = p.page.mouse
        x0, y0 = await p.picture_to_screen(50, 60)
        x1, y1 = await p.picture_to_screen(250, 200)
        await mouse.move(x0, y0)
        await mouse.down()
        await mouse.move(x1, y1, steps=6)
        await mouse.up()
        await shot(p, "desktop-drawn")
        await p.page.locator("#submit").click()
        await expect(p.page.locator("#message")).to_have_text("All done for now. Thank you!")
        assert port.skips == [("slack:U1", "item-1")]
        (box,) = answers(port)[0]["regions"]
        assert box["image"] == 1
        assert near(box["x"], 50, 1) and near(box["y"], 60, 1)
        assert near(box["w"], 200, 1) and near(box["h"], 140, 1)
        assert p.errors == []


async def test_csp_blocks_inline_script(
    http: TestServer, server: PageServer, port: MemoryPort, clock: Clock
) -> None:
    async with open_by_link(http, server, port, clock, phone=True) as p:
        response = await p.page.request.get(str(http.make_url("/")))
        assert "script-src 'self'" in response.headers["content-security-policy"]
        with pytest.raises(PlaywrightError, match="Content Security Policy"):
            await p.page.add_script_tag(content="window.injected = 1")
        assert await p.page.evaluate("window.injected === undefined")
