"""Messages the core starts on its own wait in the outbox until an adapter sends them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.console.recorder import Recorder
from bot.chat.actions import Button, Screen
from bot.chat.outbox import notify, screen_from_dict, screen_to_dict
from bot.core import Core
from storage.contract import Store


def test_a_screen_survives_the_round_trip_through_json() -> None:
    screen = Screen("*Hi* there", ((Button("Open", "tok:1"), Button("Later", "tok:2")),))
    assert screen_from_dict(screen_to_dict(screen)) == screen


async def test_a_notification_is_delivered_once_to_the_members_platform(
    store: Store, core: Core, recorder: Recorder, make_project: Callable[..., Any]
) -> None:
    code = await make_project(items=2)
    await recorder.person("alice").command("start", code)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("console", "alice")
        assert member is not None
        assert await notify(tx, member.id, Screen("QA would like a word"), 1.0) == 1
    assert await core.outbox("telegram") == []
    pending = await core.outbox("console")
    assert len(pending) == 1
    message_id, send = pending[0]
    assert send.to.user_id == "alice" and send.screen.text == "QA would like a word"
    await core.outbox_sent([message_id])
    assert await core.outbox("console") == []
