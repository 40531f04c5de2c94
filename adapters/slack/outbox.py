"""Serves the core's outbox: messages the core starts on its own (QA pings, reminders, digests).

A background task polls the outbox every `interval` seconds and posts what waits for Slack into
each member's DM. A message is confirmed only after Slack accepted it, so a crash in between
sends it again rather than losing it. One that fails stays queued for the next round, and
so do that person's later ones (in order); other people's messages still go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from adapters.slack.executor import Executor
from adapters.slack.translate import PLATFORM
from bot.core import Core

log = logging.getLogger(__name__)


class OutboxPump:
    def __init__(self, core: Core, executor: Executor, interval: float) -> None:
        self.core = core
        self.executor = executor
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="slack-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> int:
        """Send what waits now; returns how many messages were delivered."""
        pending = await self.core.outbox(PLATFORM)
        sent: list[int] = []
        stuck: set[str] = set()  # people whose earlier message failed: keep their order
        for message_id, send in pending:
            if send.to.user_id in stuck:
                continue
            if await self.executor.apply([send]):
                sent.append(message_id)
            else:
                stuck.add(send.to.user_id)
        await self.core.outbox_sent(sent)
        return len(sent)

    async def _loop(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("the outbox round failed; trying again later")
            await asyncio.sleep(self.interval)
