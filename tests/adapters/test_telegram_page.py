"""A person on a phone opens a bbox task from its Telegram card, corrects the model's box, draws
another, submits, and the next task appears: the Telegram fake and the page's server over
loopback, the real core and store, Chromium on a touch phone profile.

The card's Mini App button must point at an HTTPS address (the fake refuses any other, as
Telegram does), so the page is published at ``https://page.example/label/`` and the browser's
requests there are answered by the page's server on loopback."""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.telegram.app import TelegramAdapter
from adapters.telegram.config import TelegramConfig
from adapters.web.auth import sign_init_data
from adapters.web.links import Links
from adapters.web.server import PageServer
from adapters.web.settings import WebSettings
from bot.core import Core
from bot.media.store import MediaStore, UploadRefs
from bot.page.service import PageService
from storage.contract import Store
from tests.adapters.page_flow import OPEN, PUBLIC, as_drawn, regions_of, work_one_task
from tests.fakes.telegram_api import ChatMessage, FakeTelegram
from tests.page_projects import setup_boxes
from tests.web.browser import need_chromium, telegram_stand_in

ALICE = 3001


@dataclass
class Running:
    tg: FakeTelegram
    store: Store
    local: str
    """The page's address on loopback, for what the browser asks of PUBLIC."""
    code: str


@pytest.fixture
async def running(tg: FakeTelegram, store: Store, tmp_path: Path) -> AsyncIterator[Running]:
    need_chromium()
    media = MediaStore(tmp_path / "media")
    core = Core(store, rng=random.Random(5), media=media)
    settings = WebSettings(
        public_url=PUBLIC, host="127.0.0.1", port=0, secret="s" * 24, bot_token=tg.token
    )
    http = TestServer(PageServer(PageService(core), settings).app(), host="127.0.0.1")
    config = TelegramConfig(token=tg.token, api_url=tg.root, backoff=0.05)
    adapter = TelegramAdapter(core, config, UploadRefs(store), page=Links(settings))
    async with http:
        await adapter.start()
        try:
            code = await setup_boxes(store, media, with_pre=True)
            yield Running(tg, store, str(http.make_url("/label/")), code)
        finally:
            await adapter.stop()


def init_data(user_id: int, token: str) -> str:
    fields = {
        "auth_date": str(int(time.time())),
        "query_id": "AAH1",
        "user": json.dumps({"id": user_id, "first_name": "Ann"}),
    }
    return sign_init_data(fields, token)


async def open_card(r: Running, uid: int) -> ChatMessage:
    r.tg.user_send_text(uid, f"/start {r.code}", first_name="Ann", username=f"u{uid}")

    def card() -> ChatMessage | None:
        return next((m for m in r.tg.chat(uid).bot_messages() if OPEN in m.labels), None)

    return await r.tg.wait_for(card, what=f"the task card of {uid}")


async def test_a_bbox_task_opened_from_the_telegram_card_is_drawn_on_a_phone_and_submitted(
    running: Running,
) -> None:
    card = await open_card(running, ALICE)
    url = card.button(OPEN).web_app
    assert url is not None and url.startswith(PUBLIC + "?lease=")
    signed = init_data(ALICE, running.tg.token)
    # As Telegram opens a Mini App: the initData in the fragment as well as in the script.
    fragment = f"#{urlencode({'tgWebAppData': signed})}&tgWebAppVersion=8.0"
    errors = await work_one_task(
        url, running.local, stand_in=telegram_stand_in(signed), fragment=fragment, name="telegram"
    )
    assert errors == []
    (answer,) = await regions_of(running.store, "bbox-0000")
    assert as_drawn(answer), answer


async def test_the_page_refuses_another_persons_or_a_forged_sign_in_and_stores_nothing(
    running: Running,
) -> None:
    card = await open_card(running, ALICE)
    url = card.button(OPEN).web_app
    assert url is not None
    lease = url.rpartition("lease=")[2]
    box = {"image": 0, "label": "rectangle", "type": "box", "x": 5, "y": 5, "w": 40, "h": 40}
    body = {"lease": lease, "answer": {"regions": [box]}}
    forged = init_data(ALICE, "123:not-the-bot-token")
    async with aiohttp.ClientSession() as session:
        for who, status in ((init_data(3002, running.tg.token), 403), (forged, 401)):
            async with session.post(
                running.local + "api/submit", json=body, headers={"Authorization": f"tma {who}"}
            ) as response:
                assert response.status == status, await response.text()
        assert await regions_of(running.store, "bbox-0000") == []
        async with session.post(
            running.local + "api/submit",
            json=body,
            headers={"Authorization": f"tma {init_data(ALICE, running.tg.token)}"},
        ) as response:
            assert response.status == 200, await response.text()
    assert len(await regions_of(running.store, "bbox-0000")) == 1
