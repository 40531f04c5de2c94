"""Housekeeping prunes old button tokens and sent outbox messages; nothing else changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from adapters.console.recorder import Recorder
from bot.jobs.housekeeping import SENT_DAYS, TOKEN_DAYS, prune
from bot.managing.operations import import_batch
from storage.contract import Store
from tests.conftest import Clock, batch_lines
from tests.e2e.test_core_loop import count_answers

MakeProject = Callable[..., Any]
DAY = 86_400.0


async def test_old_buttons_go_stale_sent_messages_go_and_answers_stay(
    recorder: Recorder, make_project: MakeProject, store: Store, clock: Clock
) -> None:
    clock.now = time.time()  # the batch imports below stamp their notes with the real time
    code = await make_project(items=3, overlap=1)
    ann, bob = recorder.person("ann"), recorder.person("bob")
    await ann.command("start", code)
    await ann.tap("pos")
    await bob.command("start", code)
    await bob.tap("neg")
    assert "No tasks" in (bob.chat.last() or "").text
    await import_batch(store, "t", "b2.jsonl", batch_lines(1, prefix="j"), True)
    assert await recorder.deliver() == 1  # bob, who waited, hears of the new batch
    await bob.tap("Next task")
    await bob.tap("neg")
    await import_batch(store, "t", "b3.jsonl", batch_lines(1, prefix="k"), True)
    old_card = ann.chat.last_with_buttons()
    assert old_card is not None and await count_answers(store) == 3

    clock.advance(SENT_DAYS * DAY + 60)
    assert await prune(store, clock()) == 1, "only the message sent a week ago goes"
    assert await prune(store, clock()) == 0, "once an hour"
    clock.advance(TOKEN_DAYS * DAY)
    assert await prune(store, clock()) >= 5

    await ann.tap_token(old_card.screen.buttons()[0].token, old_card.id)
    assert "no longer" in ann.chat.toasts[-1].lower()
    assert await count_answers(store) == 3
    await ann.command("next")
    await ann.tap("pos")
    assert await count_answers(store) == 4
    pending = await recorder.core.outbox("console")
    assert [send.to.user_id for _, send in pending] == ["bob"], "unsent messages are kept"
