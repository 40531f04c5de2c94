"""The page's JSON API over loopback: who may do what, and what a refusal leaves behind."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from adapters.web.server import PageServer, mini_app_url, page_link
from tests.conftest import Clock
from tests.web.conftest import ALICE, SETTINGS, init_data
from tests.web.memory import MemoryPort

Client = TestClient[web.Request, web.Application]
BOX = {"image": 0, "label": "cat", "type": "box", "x": 10.04, "y": 20, "w": 50, "h": 40.06}


def tma(clock: Clock, user_id: int = 1001) -> dict[str, str]:
    return {"Authorization": "tma " + init_data(user_id, clock())}


async def get_task(client: Client, lease: str, headers: dict[str, str]) -> Any:
    response = await client.get("/api/task", params={"lease": lease}, headers=headers)
    return response.status, await response.json()


async def test_telegram_holder_gets_the_task_with_signed_pictures(
    client: Client, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open(ALICE)
    status, body = await get_task(client, lease, tma(clock))
    assert status == 200
    task = body["task"]
    assert task["item_id"] == "item-1"
    assert task["images"][0]["width"] == 800 and task["images"][0]["height"] == 600
    assert task["rules"]["labels"] == ["cat", "dog"]
    assert task["pre"][0]["label"] == "dog"
    assert "link" not in task
    picture = await client.get("/" + task["images"][0]["url"])
    assert picture.status == 200
    assert (await picture.read()).startswith(b"\x89PNG")
    assert picture.headers["Cache-Control"] == "private, no-store"


async def test_submit_stores_the_canonical_answer_once_and_gives_the_next_task(
    client: Client, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open(ALICE)
    sent = {"lease": lease, "answer": {"regions": [BOX]}}
    first = await client.post("/api/submit", json=sent, headers=tma(clock))
    assert first.status == 200
    nxt = (await first.json())["task"]
    assert nxt["item_id"] == "item-2" and nxt["note"] == "Saved. Next task."
    again = await client.post("/api/submit", json=sent, headers=tma(clock))
    assert (await again.json())["task"]["lease"] == nxt["lease"]
    assert port.answers == [
        (
            ALICE,
            "item-1",
            '{"regions":[{"h":40.1,"image":0,"label":"cat",'
            '"type":"box","w":50.0,"x":10.0,"y":20.0}]}',
        )
    ]


async def test_answer_breaking_the_rules_is_refused_with_the_rule(
    client: Client, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open(ALICE)
    bad = {**BOX, "label": "horse"}
    response = await client.post(
        "/api/submit", json={"lease": lease, "answer": {"regions": [bad]}}, headers=tma(clock)
    )
    assert response.status == 422
    assert "horse" in (await response.json())["error"]
    assert port.answers == []


async def test_refusals_store_nothing(client: Client, port: MemoryPort, clock: Clock) -> None:
    lease = port.open(ALICE)
    sent = {"lease": lease, "answer": {"regions": [BOX]}}
    cases: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, "not signed in"),
        ({"Authorization": "tma " + init_data(1001, clock() - 3600)}, 401, "too long ago"),
        ({"Authorization": "tma " + init_data(1001, clock())[:-2] + "00"}, 401, "not signed"),
        (tma(clock, user_id=1002), 403, "someone else"),
        ({"Authorization": "Link nonsense"}, 401, "malformed"),
    ]
    for headers, status, words in cases:
        response = await client.post("/api/submit", json=sent, headers=headers)
        assert response.status == status, words
        assert words in (await response.json())["error"]
    port.expire(lease)
    response = await client.post("/api/submit", json=sent, headers=tma(clock))
    assert response.status == 410
    assert "ran out" in (await response.json())["error"]
    assert port.answers == [] and port.skips == [] and port.reports == []


async def test_link_session_is_bound_to_its_person_and_lease(
    client: Client, server: PageServer, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open("slack:U1")
    link = page_link(SETTINGS, server.signer, "slack:U1", lease, clock())
    token = link.split("t=", 1)[1]
    headers = {"Authorization": "Link " + token}
    status, body = await get_task(client, lease, headers)
    assert status == 200 and body["task"]["link"]
    other = port.open("slack:U2")
    status, body = await get_task(client, other, headers)
    assert status == 403 and "another task" in body["error"]
    response = await client.post("/api/skip", json={"lease": lease}, headers=headers)
    nxt = (await response.json())["task"]
    assert port.skips == [("slack:U1", "item-1")]
    status, _ = await get_task(client, nxt["lease"], {"Authorization": "Link " + nxt["link"]})
    assert status == 200
    clock.advance(SETTINGS.link_ttl + 1)
    status, body = await get_task(client, nxt["lease"], {"Authorization": "Link " + nxt["link"]})
    assert status == 401 and "expired" in body["error"]


async def test_media_only_for_the_lease_holder_and_not_after_expiry(
    client: Client, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open(ALICE)
    _, body = await get_task(client, lease, tma(clock))
    url = "/" + body["task"]["images"][0]["url"]
    port.hand_to(lease, "telegram:1002")
    assert (await client.get(url)).status == 403
    port.hand_to(lease, ALICE)
    assert (await client.get(url)).status == 200
    assert (await client.get(url[:-3] + "abc")).status == 401
    clock.advance(SETTINGS.media_ttl + 1)
    assert (await client.get(url)).status == 401


async def test_report_with_reason_and_bad_bodies(
    client: Client, port: MemoryPort, clock: Clock
) -> None:
    lease = port.open(ALICE)
    response = await client.post("/api/report", data=b"{not json", headers=tma(clock))
    assert response.status == 400 and "not JSON" in (await response.json())["error"]
    response = await client.post(
        "/api/report", json={"lease": lease, "reason": "x" * 501}, headers=tma(clock)
    )
    assert response.status == 400
    assert port.reports == []
    response = await client.post(
        "/api/report", json={"lease": lease, "reason": " blurry "}, headers=tma(clock)
    )
    assert response.status == 200
    assert port.reports == [(ALICE, "item-1", "blurry")]


async def test_headers_csp_nosniff_no_cache(client: Client) -> None:
    page = await client.get("/")
    assert page.status == 200
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp and "frame-ancestors" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    text = await page.text()
    assert "<script>" not in text
    assert 'content="https://telegram.org/js/telegram-web-app.js"' in text
    api = await client.get("/api/task", params={"lease": "x"})
    assert api.headers["Cache-Control"] == "no-store"
    assert (await client.get("/static/../server.py")).status == 404


def test_links_for_the_chat_cards() -> None:
    assert mini_app_url(SETTINGS, "L1") == "http://127.0.0.1/?lease=L1"
