"""`/healthz` and `/metrics` on their own small HTTP server (aiohttp), beside the adapters.

`/healthz` answers 200 when the database answers a query and every adapter this process runs is
up, else 503; the body says which part failed. A load balancer or Docker's HEALTHCHECK asks it.
`/metrics` is the Prometheus page of `bot.metrics`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import metrics
from storage.contract import Store

log = logging.getLogger("tapmark.health")

Probe = Callable[[], bool]


class HealthServer:
    def __init__(self, store: Store, adapters: Mapping[str, Probe], host: str, port: int) -> None:
        self.store = store
        self.adapters = dict(adapters)
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def check(self) -> tuple[bool, dict[str, str]]:
        parts: dict[str, str] = {}
        try:
            async with self.store.transaction() as tx:
                await tx.ping()
            parts["database"] = "ok"
        except Exception as exc:  # any failure to reach the database is what this reports
            parts["database"] = f"down: {type(exc).__name__}"
        for name, probe in self.adapters.items():
            parts[name] = "up" if probe() else "down"
        healthy = all(v in ("ok", "up") for v in parts.values())
        return healthy, parts

    async def _healthz(self, request: web.Request) -> web.Response:
        healthy, parts = await self.check()
        return web.Response(
            status=200 if healthy else 503,
            content_type="application/json",
            text=json.dumps({"healthy": healthy, **parts}),
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await metrics.render(self.store)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
