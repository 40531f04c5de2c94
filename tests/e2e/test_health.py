"""/healthz and /metrics over real HTTP: the database and the adapters' state, and figures that
follow what people did."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from adapters.console.recorder import Recorder
from adapters.health import HealthServer
from storage.contract import Store
from tests.conftest import free_port


class Switch:
    def __init__(self) -> None:
        self.up = True

    def __call__(self) -> bool:
        return self.up


@pytest.fixture
async def served(store: Store) -> AsyncIterator[tuple[str, Switch]]:
    switch = Switch()
    port = free_port()
    server = HealthServer(store, {"telegram": switch}, "127.0.0.1", port)
    await server.start()
    try:
        yield f"http://127.0.0.1:{port}", switch
    finally:
        await server.stop()


def metric(page: str, name: str) -> float:
    for line in page.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise LookupError(name)


async def test_healthz_reports_the_database_and_each_adapter(
    served: tuple[str, Switch], store: Store
) -> None:
    base, switch = served
    async with httpx.AsyncClient() as client:
        ok = await client.get(f"{base}/healthz")
        assert ok.status_code == 200
        assert ok.json() == {"healthy": True, "database": "ok", "telegram": "up"}
        switch.up = False
        down = await client.get(f"{base}/healthz")
        assert down.status_code == 503 and down.json()["telegram"] == "down"
        switch.up = True
        await store.close()
        gone = await client.get(f"{base}/healthz")
        assert gone.status_code == 503 and gone.json()["database"].startswith("down")


async def test_metrics_follow_answers_leases_and_waiting_items(
    served: tuple[str, Switch], recorder: Recorder, make_project: Callable[..., object]
) -> None:
    base, _ = served
    code = await make_project(items=4, overlap=2)  # type: ignore[misc]
    async with httpx.AsyncClient() as client:
        before = (await client.get(f"{base}/metrics")).text
        assert metric(before, "tapmark_answers") == 0
        assert metric(before, "tapmark_items_waiting") == 4
        ann = recorder.person("ann")
        await ann.command("start", code)
        await ann.tap("pos")
        await ann.tap("neg")
        page = await client.get(f"{base}/metrics")
    text = page.text
    assert page.headers["content-type"].startswith("text/plain")
    assert metric(text, "tapmark_answers") == 2
    assert metric(text, "tapmark_open_leases") == 1
    assert metric(text, "tapmark_items_waiting") == 4
    assert metric(text, "tapmark_annotators_waiting") == 0
    assert 'tapmark_event_seconds_count{kind="tap"}' in text
    assert metric(text, 'tapmark_events_total{kind="tap"}') >= 2


async def test_metrics_count_annotators_waiting_for_work(
    served: tuple[str, Switch], recorder: Recorder, make_project: Callable[..., object]
) -> None:
    base, _ = served
    code = await make_project(items=1, overlap=1)  # type: ignore[misc]
    ann = recorder.person("ann")
    await ann.command("start", code)
    await ann.tap("pos")
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{base}/metrics")).text
    assert metric(text, "tapmark_items_waiting") == 0
    assert metric(text, "tapmark_annotators_waiting") == 1
