"""The same bbox task from a Slack card: its link button opens the page by a signed link for
that person and lease; the click is only acknowledged; another person's or a tampered link
changes nothing."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from adapters.slack.app import SlackAdapter
from adapters.slack.config import SlackConfig
from adapters.web.links import Links
from adapters.web.server import PageServer
from adapters.web.settings import WebSettings
from bot.core import Core
from bot.media.store import MediaStore, UploadRefs
from bot.page.service import PageService
from storage.contract import Store
from tests.adapters.page_flow import OPEN, PUBLIC, as_drawn, regions_of, work_one_task
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_state import SlackMessage
from tests.page_projects import setup_boxes
from tests.web.browser import need_chromium


@dataclass
class Running:
    slack: FakeSlack
    store: Store
    links: Links
    local: str
    code: str


@pytest.fixture
async def running(slack: FakeSlack, store: Store, tmp_path: Path) -> AsyncIterator[Running]:
    need_chromium()
    media = MediaStore(tmp_path / "media")
    core = Core(store, rng=random.Random(5), media=media)
    settings = WebSettings(public_url=PUBLIC, host="127.0.0.1", port=0, secret="s" * 24)
    links = Links(settings)
    http = TestServer(PageServer(PageService(core), settings).app(), host="127.0.0.1")
    config = SlackConfig(
        signing_secret=slack.signing_secret,
        api_url=slack.api_url,
        listen=("127.0.0.1", 0),
        bot_token=",".join(team.token for team in slack.teams.values()),
    )
    adapter = SlackAdapter(core, config, UploadRefs(store), page=links)
    async with http:
        await adapter.start()
        slack.connect_app(f"http://127.0.0.1:{adapter.port}/slack/events")
        try:
            code = await setup_boxes(store, media, with_pre=True)
            yield Running(slack, store, links, str(http.make_url("/label/")), code)
        finally:
            await adapter.stop()


async def open_card(r: Running, user: str) -> SlackMessage:
    reply = await r.slack.slash_command("T1", user, "/tapmark", f"start {r.code}")
    assert reply.status == 200

    def card() -> SlackMessage | None:
        messages = r.slack.dm("T1", user).bot_messages(ephemeral=False)
        return next((m for m in messages if OPEN in [b.text for b in m.buttons]), None)

    return await r.slack.wait_for(card, what=f"the task card of {user}", person=("T1", user))


async def test_a_bbox_task_opened_by_the_slack_link_is_drawn_on_a_phone_and_submitted(
    running: Running,
) -> None:
    card = await open_card(running, "U1")
    button = card.button(OPEN)
    assert button.url is not None and button.url.startswith(PUBLIC + "?lease=")
    before = len(running.slack.dm("T1", "U1").bot_messages())
    reply = await running.slack.click("T1", "U1", card, OPEN)
    assert reply.status == 200
    errors = await work_one_task(button.url, running.local, name="slack")
    assert errors == []
    assert len(running.slack.dm("T1", "U1").bot_messages()) == before, "the click says nothing"
    (answer,) = await regions_of(running.store, "bbox-0000")
    assert as_drawn(answer), answer


async def test_a_link_for_another_person_or_altered_opens_nothing(running: Running) -> None:
    card = await open_card(running, "U1")
    url = card.button(OPEN).url
    assert url is not None
    lease, _, token = url.removeprefix(PUBLIC + "?lease=").partition("&t=")
    bobs = running.links.link("slack:T1:U2", lease).rpartition("&t=")[2]
    async with aiohttp.ClientSession() as session:
        for credential, status in ((bobs, 403), (token[:-2] + "xx", 401)):
            async with session.get(
                running.local + "api/task",
                params={"lease": lease},
                headers={"Authorization": f"Link {credential}"},
            ) as response:
                assert response.status == status, await response.text()
        async with session.get(
            running.local + "api/task",
            params={"lease": lease},
            headers={"Authorization": f"Link {token}"},
        ) as response:
            assert response.status == 200, await response.text()
            assert (await response.json())["task"]["item_id"] == "bbox-0000"
    assert await regions_of(running.store, "bbox-0000") == []
