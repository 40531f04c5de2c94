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
from playwright.async_api import expect

from adapters.web.server import PageServer, mini_app_url, page_link
from tests.conftest import Clock
from tests.web.browser import Phone, need_chromium, open_browser, telegram_stand_in
from tests.web.conftest import ALICE, SETTINGS, init_data
from tests.web.memory import MemoryPort

SHOTS = os.environ.get("TAPMARK_PAGE_SHOTS")
"""A folder to save screenshots into while developing (never committed)."""


@pytest.fixture
async def http(server: PageServer) -> AsyncIterator[TestServer]:
    need_chromium()
    async with TestServer(server.app(), host="127.0.0.1") as s:
        yield s


async def shot(phone: Phone, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await phone.page.screenshot(path=f"{SHOTS}/{name}.png")


def answers(port: MemoryPort) -> list[dict[str, Any]]:
    return [json.loads(stored) for _, _, stored in port.answers]


@asynccontextmanager
async def open_in_telegram(http: TestServer, port: MemoryPort, clock: Clock, *,
                           phone: bool = True) -> AsyncIterator[Phone]:
    lease = port.open(ALICE)
    stand_in = telegram_stand_in(init_data(1001, clock()),
                                 {"bg_color": "#17212b", "text_color": "#f5f5f5",
                                  "button_color": "#5288c1", "secondary_bg_color": "#232e3c"})
    async with open_browser(http, phone=phone, stand_in=stand_in) as p:
        url = mini_app_url(SETTINGS, lease).replace("http://127.0.0.1/", str(http.make_url("/")))
        await p.page.goto(url + "#tgWebAppData=stand-in")
        await p.page.wait_for_selector("#overlay g.region")
        yield p


@asynccontextmanager
async def open_by_link(http: TestServer, server: PageServer, port: MemoryPort, clock: Clock,
                       person: str = "slack:U1", *, phone: bool) -> AsyncIterator[Phone]:
    lease = port.open(person)
    link = page_link(SETTINGS, server.signer, person, lease, clock())
    async with open_browser(http, phone=phone) as p:
        await p.page.goto(link.replace("http://127.0.0.1/", str(http.make_url("/"))))
        await p.page.wait_for_selector("#overlay g.region")
        yield p


async def test_draw_a_box_by_touch_and_submit(http: TestServer, port: MemoryPort,
                                              clock: Clock) -> None:
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
            {"image": 0, "label": "dog", "type": "box", "x": 100.0, "y": 100.0, "w": 200.0,
             "h": 150.0}]
        assert p.errors == []
