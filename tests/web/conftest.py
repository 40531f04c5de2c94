"""The page's server over loopback, with an in-memory port and a hand-moved clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web.auth import sign_init_data
from adapters.web.server import PageServer
from adapters.web.settings import WebSettings
from tasks.regions.answer import RegionRules
from tests.conftest import Clock
from tests.web.memory import MemoryItem, MemoryPort

BOT_TOKEN = "123456:TEST-token-for-the-page"
SECRET = "a-test-secret-of-enough-length"
ALICE = "telegram:1001"
BOB = "telegram:1002"

SETTINGS = WebSettings(
    public_url="http://127.0.0.1/",
    host="127.0.0.1",
    port=0,
    secret=SECRET,
    bot_token=BOT_TOKEN,
    telegram_js="https://telegram.org/js/telegram-web-app.js",
)

BOXES = RegionRules(labels=("cat", "dog"), shapes=("box",))


def init_data(user_id: int, auth_date: float, token: str = BOT_TOKEN) -> str:
    fields = {
        "auth_date": str(int(auth_date)),
        "query_id": "AAH1",
        "user": json.dumps({"id": user_id, "first_name": "Ann"}),
    }
    return sign_init_data(fields, token)


def items() -> list[MemoryItem]:
    return [
        MemoryItem(
            "item-1",
            [(800, 600)],
            BOXES,
            texts=(("note", "<script>alert(1)</script>"),),
            pre=(
                {
                    "image": 0,
                    "label": "dog",
                    "type": "box",
                    "x": 100.0,
                    "y": 100.0,
                    "w": 200.0,
                    "h": 150.0,
                },
            ),
        ),
        MemoryItem("item-2", [(640, 480), (400, 300)], BOXES),
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def port(clock: Clock) -> MemoryPort:
    return MemoryPort(items(), clock)


@pytest.fixture
def server(port: MemoryPort, clock: Clock) -> PageServer:
    return PageServer(port, replace(SETTINGS), clock=clock)


@pytest.fixture
async def client(server: PageServer) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(server.app(), host="127.0.0.1")) as c:
        yield c
