"""Core actions as Web API calls.

Send → conversations.open (once per person, cached) and chat.postMessage. Edit → chat.update
of the same message (channel and ts from the MessageRef); when Slack will not update it (deleted,
too old, not found) the screen is posted anew. SendFile → files_upload_v2 into the DM. A screen's
stored media is uploaded once per workspace and shown from there (`adapters.slack.media`).

Toasts have no Slack equivalent (a click shows no popup). A toast is shown as a small context
line on top of the screen its click led to, when the click edits its own message, which is the
usual case ("Saved ✓" above the next task): no extra call and nothing that scrolls the chat.
A toast with nothing else to show (the button is no longer yours, not valid) goes as an
ephemeral message to the person who clicked; a toast beside new messages (the guide) is dropped,
as the messages themselves answer the click.

Nothing here raises: a failed delivery is logged and reported as False, and the person's next
event finds the same committed state. 429s are waited out by slack_sdk's retry handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError

from adapters.platform import PageLinks, with_page_urls
from adapters.running import press_answer
from adapters.slack.directory import Directory
from adapters.slack.media import Block, MediaUploads
from adapters.slack.mrkdwn import entities, slash_commands, to_mrkdwn
from adapters.slack.render import Message, clip, render
from adapters.slack.translate import PLATFORM, split_actor
from adapters.slack.workspaces import UnknownWorkspace, Workspaces
from bot import metrics
from bot.chat.actions import Action, Edit, Screen, Send, SendFile, Toast
from bot.chat.events import Actor, MessageRef, Tap
from bot.chat.markup import plain
from bot.media.store import UploadRefs

log = logging.getLogger(__name__)
T = TypeVar("T")

FAILURES = (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError, UnknownWorkspace)
# The person cannot be written to: no use trying again, nothing wrong on our side.
UNREACHABLE = {
    "cannot_dm_bot",
    "user_not_found",
    "user_disabled",
    "account_inactive",
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "messages_tab_disabled",
}


def describe(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return f"{type(exc).__name__}: {exc}"


class Executor:
    def __init__(
        self,
        workspaces: Workspaces,
        directory: Directory,
        uploads: UploadRefs | None = None,
        page: PageLinks | None = None,
    ) -> None:
        self.workspaces = workspaces
        self.directory = directory
        self.media = MediaUploads(uploads)
        self.page = page
        """The annotation page: page buttons become link buttons (None: ordinary buttons)."""

    async def apply(self, actions: Iterable[Action]) -> bool:
        """Run the actions in order; False if any could not be delivered (it is logged)."""
        answer = press_answer(list(actions))
        note, rest = answer.toast, answer.rest
        delivered = True
        for action in rest:
            shown = None
            if note is not None and isinstance(action, Edit) and action.message == note.tap.message:
                shown, note = note.text, None
            delivered = await self._guarded(action, shown) and delivered
        if note is not None and not rest:
            delivered = await self._guarded(note, None) and delivered
        return delivered

    async def _guarded(self, action: Action, note: str | None) -> bool:
        try:
            await self._apply(action, note)
        except FAILURES as exc:
            metrics.API_ERRORS.labels("slack").inc()
            level = logging.INFO if describe(exc) in UNREACHABLE else logging.WARNING
            log.log(level, "not delivered (%s): %s", type(action).__name__, describe(exc))
            return False
        except ValueError as exc:  # a screen Slack cannot show (a bug in the screen, not Slack's)
            log.error("not delivered (%s): %s", type(action).__name__, exc)
            return False
        return True

    async def _apply(self, action: Action, note: str | None) -> None:
        if isinstance(action, Toast):
            await self.ephemeral(action.tap, action.text)
            return
        if action.to.platform != PLATFORM:
            log.warning("an action for %s reached the Slack adapter", action.to.platform)
            return
        if isinstance(action, Send):
            await self.send(action.to, action.screen)
        elif isinstance(action, Edit):
            await self.edit(action.message, action.screen, action.to, note)
        elif isinstance(action, SendFile):
            await self.send_file(action)

    def _linked(self, screen: Screen, to: Actor) -> Screen:
        page = self.page
        if page is None:
            return screen
        return with_page_urls(screen, lambda lease: page.link(f"{PLATFORM}:{to.user_id}", lease))

    async def send(self, to: Actor, screen: Screen, note: str | None = None) -> list[str]:
        """Post the screen into the person's DM; the ts of each message posted."""
        screen = self._linked(screen, to)
        channel = await self.directory.channel(to)

        async def post(shown: list[Block] | None) -> list[str]:
            return [await self._post(to, channel, m) for m in render(screen, note, shown)]

        try:
            return await self._with_media(to, screen, post)
        except SlackApiError as exc:
            if describe(exc) in {"channel_not_found", "is_archived"}:
                self.directory.forget(to)  # a stale cached id: ask again next time
            raise

    async def _with_media(
        self, to: Actor, screen: Screen, post: Callable[[list[Block] | None], Awaitable[T]]
    ) -> T:
        """Run `post` with the blocks showing the screen's stored media (None when it has
        none); when Slack refuses them (the file is gone), upload the file again, once."""
        media = screen.media
        if media is None or not media.key:
            return await post(None)
        client = self.workspaces.client_for(to)
        try:
            return await post(await self.media.blocks(client, to, media))
        except SlackApiError as exc:
            if describe(exc) != "invalid_blocks":
                raise
            log.info("Slack refused the blocks of %s: uploading the file again", media.key[:12])
            await self.media.forget(to, media)
            return await post(await self.media.blocks(client, to, media))

    async def edit(
        self, ref: MessageRef, screen: Screen, to: Actor, note: str | None = None
    ) -> None:
        if ref.platform != PLATFORM:
            await self.send(to, screen, note)
            return
        screen = self._linked(screen, to)
        rest: list[Message] = []

        async def update(shown: list[Block] | None) -> None:
            nonlocal rest
            first, *rest = render(screen, note, shown)
            await self.workspaces.client_for(to).chat_update(
                channel=ref.chat, ts=ref.id, text=first.text, blocks=first.blocks
            )

        try:
            await self._with_media(to, screen, update)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                raise  # still limited after the retries: posting anew would not help
            log.info("update of %s failed (%s): posting anew", ref.id, describe(exc))
            await self.send(to, screen, note)
            return
        for message in rest:
            await self._post(to, ref.chat, message)

    async def ephemeral(self, tap: Tap, text: str) -> None:
        """A note only the person who clicked sees, where they clicked."""
        channel = tap.message.chat if tap.message is not None else None
        channel = channel or await self.directory.channel(tap.actor)
        _, user = split_actor(tap.actor)
        shown = entities(clip(plain(text).strip(), 200))
        await self.workspaces.client_for(tap.actor).chat_postEphemeral(
            channel=channel, user=user, text=shown
        )

    async def send_file(self, action: SendFile) -> None:
        channel = await self.directory.channel(action.to)
        comment = to_mrkdwn(slash_commands(action.caption)) if action.caption else None
        await self.workspaces.client_for(action.to).files_upload_v2(
            channel=channel,
            content=action.data,
            filename=action.name,
            title=action.name,
            initial_comment=comment,
        )

    async def _post(self, to: Actor, channel: str, message: Message) -> str:
        reply = await self.workspaces.client_for(to).chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks
        )
        return str(reply["ts"])
