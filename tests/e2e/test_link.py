"""One person on two apps: a link code joins the second account to the same member."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from adapters.console.recorder import Recorder
from bot.chat.markup import plain
from bot.core import Core
from storage.contract import Store
from tests.conftest import Clock


def code_in(recorder: Recorder, user: str) -> str:
    text = plain(recorder.chats[user].last().text)  # type: ignore[union-attr]
    found = re.search(r"send /link ([A-Z0-9]{8})", text)
    assert found, text
    return found.group(1)


async def test_a_linked_account_shares_the_members_work(
    core: Core, store: Store, make_project: Callable[..., Any]
) -> None:
    code = await make_project(items=4, overlap=1)
    telegram, slack = Recorder(core, "telegram"), Recorder(core, "slack")
    on_phone, at_desk = telegram.person("42"), slack.person("T1:U1")
    await on_phone.command("start", code)
    await on_phone.tap("pos")
    await on_phone.command("link")
    await at_desk.command("link", code_in(telegram, "42"))
    assert "Linked" in plain(slack.chats["T1:U1"].last().text)  # type: ignore[union-attr]
    await at_desk.command("progress")
    assert "In all: 1 answer," in plain(slack.chats["T1:U1"].last().text)  # type: ignore[union-attr]
    await at_desk.command("next")
    assert at_desk.screen is not None and at_desk.screen.buttons()[0].label == "pos"
    async with store.transaction() as tx:
        phone = await tx.member_by_identity("telegram", "42")
        desk = await tx.member_by_identity("slack", "T1:U1")
        assert phone is not None and desk is not None and phone.id == desk.id
        assert len(await tx.identities(phone.id)) == 2


async def test_link_codes_are_single_use_and_expire(
    core: Core, clock: Clock, make_project: Callable[..., Any]
) -> None:
    code = await make_project(items=4, overlap=1)
    telegram, slack = Recorder(core, "telegram"), Recorder(core, "slack")
    phone = telegram.person("42")
    await phone.command("start", code)
    await phone.command("link")
    link = code_in(telegram, "42")
    clock.advance(16 * 60)
    await slack.person("T1:U1").command("link", link)
    assert "expired" in plain(slack.chats["T1:U1"].last().text)  # type: ignore[union-attr]
    await slack.person("T1:U2").command("link", link)
    assert "unknown" in plain(slack.chats["T1:U2"].last().text)  # type: ignore[union-attr]


async def test_an_account_with_its_own_work_is_not_merged(
    core: Core, store: Store, make_project: Callable[..., Any]
) -> None:
    code = await make_project(items=4, overlap=1)
    telegram, slack = Recorder(core, "telegram"), Recorder(core, "slack")
    phone, desk = telegram.person("42"), slack.person("T1:U1")
    await phone.command("start", code)
    await desk.command("start", code)
    await desk.tap("neg")
    await phone.command("link")
    await desk.command("link", code_in(telegram, "42"))
    assert "work of its own" in plain(slack.chats["T1:U1"].last().text)  # type: ignore[union-attr]
    async with store.transaction() as tx:
        a = await tx.member_by_identity("telegram", "42")
        b = await tx.member_by_identity("slack", "T1:U1")
        assert a is not None and b is not None and a.id != b.id
