"""Working a bbox task in the annotation page in Chromium, as a person on a phone does: the
page served at a public HTTPS address whose requests the page's server on loopback answers, the
model's box corrected, another drawn, Submit, the next task. Shared by the Telegram and Slack
tests of the page opened from a task card."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from storage.contract import Store
from tasks.regions.answer import loads
from tests.page_projects import PRE
from tests.web.browser import ARGS, CHROMIUM, TELEGRAM_JS, Phone

PUBLIC = "https://page.example/label/"
OPEN = "✏️ Open the task"
SHOTS = os.environ.get("TAPMARK_PAGE_SHOTS")
"""A folder to save screenshots into while developing (never committed)."""


@dataclass(frozen=True)
class Drawn:
    """Where the flow left the first item's regions (picture pixels)."""

    ellipse: tuple[float, float, float, float] = (
        PRE["x"],
        PRE["y"],
        PRE["w"] + 30,
        PRE["h"] + 20,
    )
    rectangle: tuple[float, float, float, float] = (150, 100, 100, 80)


async def work_one_task(
    url: str,
    local: str,
    *,
    stand_in: str | None = None,
    fragment: str = "",
    name: str = "page",
) -> list[str]:
    """Open `url` (under PUBLIC; `local` answers it) with `fragment` after it, correct the
    pre-annotation and draw a rectangle as `Drawn` says, submit, and wait for the second
    task; the page's errors. `stand_in` stands in for telegram-web-app.js."""
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844},
            has_touch=True,
            is_mobile=True,
            device_scale_factor=2,
        )

        async def route(r: Any) -> None:
            asked = r.request.url
            if asked == TELEGRAM_JS and stand_in is not None:
                await r.fulfill(body=stand_in, content_type="text/javascript")
            elif asked.startswith(PUBLIC):
                await r.fulfill(response=await r.fetch(url=local + asked.removeprefix(PUBLIC)))
            else:
                await r.abort()

        await context.route("**/*", route)
        page = await context.new_page()
        phone = Phone(page, await context.new_cdp_session(page))
        page.on("pageerror", lambda e: phone.errors.append(str(e)))
        try:
            await page.goto(url + fragment)
            await page.wait_for_selector("#stage[data-regions]")
            await expect(page.locator("#progress")).to_have_text("1 / 3")
            await _shot(page, f"{name}-open")
            x, y, w, h = PRE["x"], PRE["y"], PRE["w"], PRE["h"]
            await phone.tap(await phone.picture_to_screen(x + w / 2, y + h / 2))
            await expect(page.locator("#overlay .handle")).to_have_count(8)
            corner = await phone.picture_to_screen(x + w, y + h)
            await phone.drag(corner, await phone.picture_to_screen(x + w + 30, y + h + 20))
            await phone.tap(await phone.picture_to_screen(300, 220))  # let go of the selection
            await phone.lift()
            start = await phone.picture_to_screen(150, 100)
            await phone.drag(start, await phone.picture_to_screen(250, 180))
            await page.locator("#labels button", has_text="rectangle").tap()
            await _shot(page, f"{name}-drawn")
            if stand_in is not None:
                await page.evaluate("Telegram.WebApp.MainButton.click()")
            else:
                await page.locator("#submit").tap()
            await expect(page.locator("#progress")).to_have_text("2 / 3")
            await _shot(page, f"{name}-next")
        finally:
            await browser.close()
    return phone.errors


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=f"{SHOTS}/{name}.png")


async def regions_of(store: Store, item: str) -> list[list[tuple[Any, ...]]]:
    """Each answer to `item` of the project "boxes", as (label, x, y, w, h) per region."""
    async with store.transaction() as tx:
        project = await tx.project_by_name("boxes")
        assert project is not None
        return [
            [(g.label, g.x, g.y, g.w, g.h) for g in loads(a.label)]
            async for row in tx.export_rows(project.id)
            if row.item.ext_id == item
            for a in row.answers
        ]


def as_drawn(answer: list[tuple[Any, ...]], px: float = 3.0) -> bool:
    """Whether `answer` holds what `work_one_task` drew, to within `px` picture pixels."""
    want = Drawn()
    got = {r[0]: r[1:] for r in answer}
    return (
        len(answer) == 2
        and set(got) == {"ellipse", "rectangle"}
        and all(abs(a - b) <= px for a, b in zip(got["ellipse"], want.ellipse, strict=True))
        and all(abs(a - b) <= px for a, b in zip(got["rectangle"], want.rectangle, strict=True))
    )
