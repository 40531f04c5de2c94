"""What every adapter test shares: loopback bypasses any proxy, and the fake platforms."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx (python-telegram-bot) reads NO_PROXY when a Bot is built; slack_sdk takes
    HTTPS_PROXY and HTTP_PROXY from the environment and ignores NO_PROXY. The fakes listen on
    loopback, so no proxy may stand in between."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """Two workspaces, T1 and T2 (test modules that need people in them override this)."""
    async with FakeSlack(teams=("T1", "T2")) as fake:
        yield fake
