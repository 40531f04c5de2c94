"""Serves the core's outbox for one platform: messages the core starts on its own (QA pings,
reminders, digests).

A background task polls the outbox every `interval` seconds and hands each waiting message to the
adapter's `deliver`. A message is confirmed only after the platform accepted it, so a crash in
between sends it again rather than losing it. One that fails stays queued for the next round, and
so do that person's later ones (in order); other people's messages still go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.chat.actions import Send
from bot.core import Core

log = logging.getLogger(__name__)

Deliver = Callable[[Send], Awaitable[bool]]


class OutboxPump:
    def __init__(self, core: Core, platform: str, deliver: Deliver, interval: float) -> None:
        self.core = core
        self.platform = platform
        self.deliver = deliver
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"{self.platform}-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> int:
        """Send what waits now; returns how many messages were delivered."""
        sent: list[int] = []
        stuck: set[str] = set()
        for message_id, send in await self.core.outbox(self.platform):
            if send.to.user_id in stuck:
                continue
            if await self.deliver(send):
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
                log.exception("the %s outbox round failed; trying again later", self.platform)
            await asyncio.sleep(self.interval)
