"""Benchmark: the annotation page on loopback.

``python -m bench.page --json`` serves the page with the in-memory port of the tests
(`tests.web.memory`) on 127.0.0.1 and measures:

- ``weight``: the bytes of the page before any picture (HTML, script, style; uncompressed);
- ``api``: the JSON API's latency through aiohttp's client over loopback, ``GET /api/task``
  and ``POST /api/submit`` (the canonical check and the next task), `--requests` each;
- ``browser``: Debian's Chromium (headless, a 360x640 touch phone) with the CPU slowed 4 times
  (``Emulation.setCPUThrottlingRate``), `--loads` runs: from navigation to the task drawn
  (the overlay rendered with its pre-annotation), the first contentful paint, and from Submit
  to the next task drawn. Skipped with a reason when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from adapters.web.server import STATIC_FILES, PageServer, mini_app_url
from tests.conftest import Clock
from tests.web.browser import ARGS, CHROMIUM, telegram_stand_in
from tests.web.conftest import ALICE, SETTINGS, init_data, items
from tests.web.memory import MemoryPort

BOX = {"image": 0, "label": "cat", "type": "box", "x": 10, "y": 20, "w": 50, "h": 40}


def ms(values: list[float]) -> dict[str, float]:
    out = sorted(v * 1000 for v in values)
    return {
        "p50_ms": round(statistics.median(out), 2),
        "p99_ms": round(out[max(0, int(len(out) * 0.99) - 1)], 2),
    }


def weight() -> dict[str, Any]:
    files = ["index.html", *STATIC_FILES]
    sizes = {
        name: len(resources.files("adapters.web").joinpath("static", name).read_bytes())
        for name in files
    }
    return {"bytes": sizes, "total_kb": round(sum(sizes.values()) / 1024, 1)}


def fresh(clock: Clock, n: int = 2) -> tuple[MemoryPort, PageServer]:
    port = MemoryPort(items() * max(1, n // 2 + 1), clock)
    """Each person is handed the items in order: item-1 (one pre-annotation), item-2 (two
    pictures), item-1 again..."""
    return port, PageServer(port, SETTINGS, clock=clock)


async def api(requests: int) -> dict[str, Any]:
    clock = Clock(time.time())
    port, server = fresh(clock, requests)
    gets, posts = [], []
    async with TestServer(server.app(), host="127.0.0.1") as http, ClientSession() as s:
        lease = port.open(ALICE)
        headers = {"Authorization": "tma " + init_data(1001, clock())}
        for _ in range(requests):
            t0 = time.perf_counter()
            async with s.get(
                http.make_url("/api/task"), params={"lease": lease}, headers=headers
            ) as r:
                assert r.status == 200, await r.text()
                await r.json()
            gets.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            async with s.post(
                http.make_url("/api/submit"),
                headers=headers,
                json={"lease": lease, "answer": {"regions": [BOX]}},
            ) as r:
                body = await r.json()
            posts.append(time.perf_counter() - t0)
            lease = body["task"]["lease"]
    return {"requests": requests, "get_task": ms(gets), "submit_next": ms(posts)}


def stand_in_route(stand_in: str) -> Any:
    """telegram-web-app.js answered by the tests' stand-in. Only that address is intercepted:
    interception runs every request through Python, which would add to every figure."""

    async def route(r: Any) -> None:
        await r.fulfill(body=stand_in, content_type="text/javascript")

    return route


async def browser(loads: int, throttle: float) -> dict[str, Any]:
    if not CHROMIUM.exists():
        return {"skipped": f"{CHROMIUM} is missing"}
    from playwright.async_api import async_playwright

    clock = Clock(time.time())
    port, server = fresh(clock)
    opened, paints, nexts = [], [], []
    async with TestServer(server.app(), host="127.0.0.1") as http, async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        for n in range(loads):
            user = 2000 + n
            context = await chromium.new_context(
                viewport={"width": 360, "height": 640}, has_touch=True, is_mobile=True
            )
            signed = init_data(user, clock())
            await context.route(SETTINGS.telegram_js, stand_in_route(telegram_stand_in(signed)))
            page = await context.new_page()
            cdp = await context.new_cdp_session(page)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            url = mini_app_url(SETTINGS, port.open(f"telegram:{user}")).replace(
                "http://127.0.0.1/", str(http.make_url("/"))
            )
            t0 = time.perf_counter()
            # As Telegram opens a Mini App: initData in the address's fragment as well.
            await page.goto(f"{url}#{urlencode({'tgWebAppData': signed})}&tgWebAppVersion=8.0")
            await page.wait_for_selector("#overlay g.region")
            opened.append(time.perf_counter() - t0)
            fcp = await page.evaluate(
                "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
            )
            paints.append(fcp / 1000)
            t0 = time.perf_counter()
            await page.evaluate("Telegram.WebApp.MainButton.click()")
            await page.wait_for_selector("#image-number:text('Picture 1 of 2')")
            nexts.append(time.perf_counter() - t0)
            await context.close()
        await chromium.close()
    return {
        "loads": loads,
        "cpu_slowdown": throttle,
        "open_to_drawn": ms(opened),
        "first_contentful_paint": ms(paints),
        "submit_to_next_drawn": ms(nexts),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "weight": weight(),
        "api": await api(args.requests),
        "browser": await browser(args.loads, args.throttle),
        "machine": f"{platform.machine()} Python {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--loads", type=int, default=10)
    parser.add_argument("--throttle", type=float, default=4.0)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
