"""The Bolt listeners: acknowledge at once, translate, run the core, execute its actions.

Every listener acknowledges before any work (Slack waits 3 seconds at most); Bolt then runs the
rest in its own task. A person's requests take turns (`bot.chat.ordering.KeyedLocks`), and the work
under way is tracked so that `stop` can let it finish.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from adapters.running import SORRY, TOO_BIG, reply_actions, run_core
from adapters.slack.executor import FAILURES, Executor, describe
from adapters.slack.files import FileTooBig, NotDownloadable, download, shared_files
from adapters.slack.home import Home
from adapters.slack.redelivery import SkipRedeliveries
from adapters.slack.render import HOME_NEXT, PAGE_ACTION, TAP_ACTION
from adapters.slack.translate import (
    Body,
    actor,
    command_event,
    event_actor,
    is_person_dm,
    split_actor,
    tap_actor,
    tap_event,
    text_event,
)
from bot.chat.actions import Screen, Send
from bot.chat.events import Actor, Command, Event, Upload
from bot.chat.ordering import KeyedLocks
from bot.core import Core

log = logging.getLogger(__name__)

ELSEWHERE = "I answer in our direct messages (Apps → tapmark)."
SLASH_COMMAND = "/tapmark"


class Handlers:
    def __init__(self, core: Core, executor: Executor, home: Home) -> None:
        self.core = core
        self.executor = executor
        self.home = home
        self.order = KeyedLocks()
        self.busy: set[asyncio.Task[Any]] = set()

    def install(self, app: AsyncApp) -> None:
        app.middleware(SkipRedeliveries())
        app.command(SLASH_COMMAND)(self.on_command)
        app.action(re.compile(TAP_ACTION.pattern))(self.on_tap)
        app.action(re.compile(PAGE_ACTION.pattern))(self.on_page_link)
        app.action(HOME_NEXT)(self.on_home_next)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("message")(self.on_message)

    async def drain(self, seconds: float) -> None:
        """Wait (up to `seconds`) for the work already acknowledged to finish."""
        busy = {t for t in self.busy if t is not asyncio.current_task()}
        if busy:
            await asyncio.wait(busy, timeout=seconds)

    # --------------------------------------------------------------------------------------
    # Listeners

    async def on_command(self, ack: AsyncAck, body: Body) -> None:
        channel = str(body.get("channel_id") or "")
        await ack("" if channel.startswith("D") else ELSEWHERE)
        event = command_event(body)

        async def work() -> None:
            command = event
            if command.name == "start":  # the name the new identity is stored under
                name = await self._display_name(command.actor)
                command = replace(command, actor=replace(command.actor, name=name))
            await self._reply(command)

        await self._work(event.actor, work)

    async def on_tap(self, ack: AsyncAck, body: Body, action: Body) -> None:
        await ack()
        tap = tap_event(body, action)
        if tap.message is not None:
            self.executor.directory.remember(tap.actor, tap.message.chat)

        async def work() -> None:
            actions = await run_core(self.core, tap)
            if actions is None:
                await self.executor.ephemeral(tap, SORRY)
                return
            await self.executor.apply(actions)

        await self._work(tap.actor, work)

    async def on_page_link(self, ack: AsyncAck) -> None:
        await ack()

    async def on_home_next(self, ack: AsyncAck, body: Body) -> None:
        await ack()
        person = tap_actor(body)
        await self._work(person, lambda: self._reply(Command(person, "next")))

    async def on_home_opened(self, body: Body, event: Body) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        team = str(body.get("team_id") or event.get("team") or "")
        person = actor(team, str(event["user"]))
        await self._work(person, lambda: self.home.publish(person))

    async def on_message(self, body: Body, event: Body) -> None:
        files = shared_files(event)
        if files:  # a project file, batch or guideline sent to the bot
            person, chat = event_actor(body, event), str(event.get("channel") or "")
            self.executor.directory.remember(person, chat)
            await self._work(person, lambda: self._uploads(person, chat, files))
            return
        if not is_person_dm(event):
            return
        text = text_event(body, event)
        if text.chat:
            self.executor.directory.remember(text.actor, text.chat)
        await self._work(text.actor, lambda: self._reply(text))

    # --------------------------------------------------------------------------------------

    async def _work(self, person: Actor, job: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.busy.add(task)
        try:
            async with self.order.turn(person.user_id):
                await job()
        except FAILURES as exc:
            log.warning("slack: a request's work failed: %s", describe(exc))
        finally:
            if task is not None:
                self.busy.discard(task)

    async def _uploads(self, person: Actor, chat: str, files: list[Body]) -> None:
        client = self.executor.workspaces.client_for(person)
        for file in files:
            name = str(file.get("name") or "file")
            try:
                content = await download(client, file)
            except FileTooBig:
                await self.executor.apply([Send(person, Screen(text=TOO_BIG))])
                continue
            except (NotDownloadable, *FAILURES) as exc:
                log.warning("slack: could not download a shared file: %s", describe(exc))
                await self.executor.apply([Send(person, Screen(text=SORRY))])
                continue
            await self._reply(Upload(person, name, content, chat=chat))

    async def _display_name(self, person: Actor) -> str:
        """The person's name in Slack (users.info, scope users:read), or the handle given."""
        try:
            client = self.executor.workspaces.client_for(person)
            info = await client.users_info(user=split_actor(person)[1])
        except FAILURES as exc:
            log.info("users.info failed (%s): using the handle", describe(exc))
            return person.name
        user = info.get("user") or {}
        profile = user.get("profile") or {}
        for name in (profile.get("real_name"), profile.get("display_name"), user.get("name")):
            if name:
                return str(name)
        return person.name

    async def _reply(self, event: Event) -> None:
        await self.executor.apply(await reply_actions(self.core, event))
