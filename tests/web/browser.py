"""Driving the page in Debian's Chromium through Playwright: the server over loopback, a phone
with touch or a desktop with a mouse, touch gestures through the DevTools protocol, and the
mapping from picture pixels to the screen as the page draws it."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


def need_chromium() -> None:
    """Skip without Chromium, except under CI=true, where its absence is a failure."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium) so the page is not tested"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def telegram_stand_in(init_data: str, theme: dict[str, str] | None = None) -> str:
    """A stand-in for telegram-web-app.js: the WebApp object the page uses, recording calls."""
    return """
window.tgCalls = [];
(function () {
  const handlers = {};
  const button = (name) => ({
    visible: false, text: "",
    setText(t) { this.text = t; tgCalls.push(name + ".setText"); },
    show() { this.visible = true; }, hide() { this.visible = false; },
    onClick(f) { handlers[name] = f; }, click() { handlers[name](); },
  });
  window.Telegram = { WebApp: {
    initData: INIT_DATA, themeParams: THEME, colorScheme: "dark",
    ready() { tgCalls.push("ready"); }, expand() { tgCalls.push("expand"); },
    onEvent() {}, MainButton: button("MainButton"), BackButton: button("BackButton"),
  } };
})();
""".replace("INIT_DATA", json.dumps(init_data)).replace("THEME", json.dumps(theme or {}))


@dataclass
class Phone:
    """Touch on the page through the DevTools protocol (Chromium turns it into Pointer Events)."""

    page: Any
    cdp: Any
    errors: list[str] = field(default_factory=list)

    async def picture_to_screen(self, x: float, y: float) -> tuple[float, float]:
        """Where picture pixel (x, y) is on the screen now, from the picture's drawn box."""
        box = await self.page.locator("#picture").bounding_box()
        width = await self.page.locator("#picture").evaluate("e => e.naturalWidth")
        scale = box["width"] / width
        return box["x"] + x * scale, box["y"] + y * scale

    async def lift(self) -> None:
        """Pause as a finger does between gestures: Chromium's gesture detector takes a tap
        that follows a drag within a few hundred milliseconds as part of that drag."""
        await self.page.wait_for_timeout(400)

    async def touch(self, kind: str, points: list[tuple[float, float]]) -> None:
        await self.cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": px, "y": py, "id": i} for i, (px, py) in enumerate(points)],
            },
        )

    async def drag(
        self, start: tuple[float, float], end: tuple[float, float], steps: int = 8
    ) -> None:
        await self.touch("touchStart", [start])
        for k in range(1, steps + 1):
            t = k / steps
            await self.touch(
                "touchMove",
                [(start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t)],
            )
        await self.touch("touchEnd", [])
        await self.lift()

    async def tap(self, at: tuple[float, float]) -> None:
        await self.page.touchscreen.tap(at[0], at[1])

    async def pinch(
        self, centre: tuple[float, float], d0: float, d1: float, steps: int = 8
    ) -> None:
        cx, cy = centre

        def pair(d: float) -> list[tuple[float, float]]:
            return [(cx - d / 2, cy), (cx + d / 2, cy)]

        await self.touch("touchStart", pair(d0))
        for k in range(1, steps + 1):
            await self.touch("touchMove", pair(d0 + (d1 - d0) * k / steps))
        await self.touch("touchEnd", [])
        await self.lift()


@asynccontextmanager
async def open_browser(
    server: TestServer, *, phone: bool, stand_in: str | None = None
) -> AsyncIterator[Phone]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        options: dict[str, Any] = (
            {
                "viewport": {"width": 360, "height": 640},
                "has_touch": True,
                "is_mobile": True,
                "device_scale_factor": 2,
            }
            if phone
            else {"viewport": {"width": 1280, "height": 800}}
        )
        context = await browser.new_context(**options)
        base = str(server.make_url("/"))

        async def route(r: Any) -> None:
            url = r.request.url
            if url == TELEGRAM_JS and stand_in is not None:
                await r.fulfill(body=stand_in, content_type="text/javascript")
            elif url.startswith(base):
                await r.continue_()
            else:
                await r.abort()

        await context.route("**/*", route)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        phone_ = Phone(page, cdp)
        page.on("console", lambda m: phone_.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: phone_.errors.append(str(e)))
        try:
            yield phone_
        finally:
            await browser.close()
