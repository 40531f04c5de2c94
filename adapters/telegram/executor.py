"""Core actions as Bot API calls.

A button press is answered first (its toast), then the rest runs in order. An Edit changes the
message in place, keyboard included (a screen without buttons removes them); when the message
cannot be edited (deleted, too old, not found) the screen is sent as a new message. Screens with
media go through `adapters.telegram.media` (each file uploaded once per bot).
"Message is not modified" means the screen is already shown: success. Nothing here raises: a
failed delivery is logged, and the person's next event finds the same committed state.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.platform import PageLinks, with_page_urls
from adapters.telegram.media import MediaSender
from adapters.telegram.render import Part, caption, render, toast
from adapters.telegram.retry import Retry
from adapters.telegram.translate import PLATFORM
from bot.chat.actions import Action, Edit, Screen, Send, SendFile, Toast
from bot.chat.events import Actor, MessageRef
from bot.media.store import UploadRefs

log = logging.getLogger(__name__)


def _says(exc: TelegramError, *phrases: str) -> bool:
    text = exc.message.lower()
    return any(p in text for p in phrases)


class Executor:
    def __init__(
        self,
        bot: Bot,
        retry: Retry | None = None,
        uploads: UploadRefs | None = None,
        page: PageLinks | None = None,
    ) -> None:
        self.bot = bot
        self.retry = retry or Retry()
        self.media = MediaSender(bot, self.retry, uploads)
        self.page = page
        """The annotation page: page buttons become Mini App buttons (None: callbacks)."""

    async def answer(self, query_id: str, text: str | None) -> None:
        """Answer a button press (stops its spinner), with the toast text if there is one."""
        shown = toast(text) if text else None
        try:
            await self.retry(
                "answerCallbackQuery",
                lambda: self.bot.answer_callback_query(query_id, text=shown or None),
                idempotent=True,
            )
        except BadRequest as exc:
            if not _says(exc, "query is too old"):  # late, or answered by an earlier attempt
                log.warning("answerCallbackQuery failed: %s", exc.message)
        except TelegramError as exc:
            log.warning("answerCallbackQuery failed: %s", exc.message)

    async def apply(self, actions: Iterable[Action]) -> bool:
        """Run the actions in order; False if any could not be delivered (it is logged)."""
        delivered = True
        for action in actions:
            try:
                await self._apply(action)
            except Forbidden as exc:  # blocked by the person, or never started the chat
                log.info("not delivered (%s): %s", type(action).__name__, exc.message)
                delivered = False
            except TelegramError as exc:
                log.warning("not delivered (%s): %s", type(action).__name__, exc.message)
                delivered = False
        return delivered

    async def _apply(self, action: Action) -> None:
        if isinstance(action, Toast):
            return  # answered with the button press
        if action.to.platform != PLATFORM:
            log.warning("an action for %s reached the Telegram adapter", action.to.platform)
            return
        if isinstance(action, Send):
            await self.send(_chat_of(action.to), action.screen)
        elif isinstance(action, Edit):
            await self.edit(action.message, action.screen, action.to)
        elif isinstance(action, SendFile):
            await self.send_file(_chat_of(action.to), action)

    def _linked(self, screen: Screen) -> Screen:
        return screen if self.page is None else with_page_urls(screen, self.page.mini_app)

    async def send(self, chat_id: int, screen: Screen) -> list[Message]:
        screen = self._linked(screen)
        if screen.media is not None:
            return [await self.media.send(chat_id, screen)]
        return [await self._send_part(chat_id, part) for part in render(screen)]

    async def edit(self, ref: MessageRef, screen: Screen, to: Actor) -> None:
        """Edit in place: editMessageMedia for a screen with media (it also turns a text
        message into a media one), editMessageText otherwise; a media message cannot become
        text again, so it is deleted and the screen sent anew."""
        if ref.platform != PLATFORM:
            await self.send(_chat_of(to), screen)
            return
        screen = self._linked(screen)
        chat_id, message_id = int(ref.chat), int(ref.id)
        if screen.media is not None:
            try:
                await self.media.edit(chat_id, message_id, screen)
            except BadRequest as exc:
                log.info("edit of message %s failed (%s): sending anew", message_id, exc.message)
                await self.send(chat_id, screen)
            return
        first, *rest = render(screen)
        try:
            await self.retry(
                "editMessageText",
                lambda: self.bot.edit_message_text(
                    first.html,
                    chat_id,
                    message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=first.markup,
                ),
                idempotent=True,
            )
        except BadRequest as exc:
            if _says(exc, "message is not modified"):
                pass  # already showing this screen (a repeated update, a retried edit)
            elif _says(exc, "there is no text in the message"):  # a media message
                await self.send(chat_id, screen)
                await self._delete(chat_id, message_id)
                return
            else:
                log.info("edit of message %s failed (%s): sending anew", message_id, exc.message)
                await self.send(chat_id, screen)
                return
        for part in rest:
            await self._send_part(chat_id, part)

    async def _delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self.retry(
                "deleteMessage",
                lambda: self.bot.delete_message(chat_id, message_id),
                idempotent=True,
            )
        except TelegramError as exc:  # gone already, or too old: it stays
            log.info("could not delete message %s: %s", message_id, exc.message)

    async def send_file(self, chat_id: int, action: SendFile) -> None:
        """A PNG picture (a report's chart) goes as a photo, shown in the chat; anything else
        as a document."""
        html = caption(action.caption) if action.caption else None
        mode = ParseMode.HTML if html else None

        def upload() -> InputFile:
            return InputFile(action.data, filename=action.name)

        if action.name.lower().endswith(".png"):
            await self.retry(
                "sendPhoto",
                lambda: self.bot.send_photo(chat_id, upload(), caption=html, parse_mode=mode),
                idempotent=False,
            )
        else:
            await self.retry(
                "sendDocument",
                lambda: self.bot.send_document(chat_id, upload(), caption=html, parse_mode=mode),
                idempotent=False,
            )
        if action.caption and html is None:
            await self.send(chat_id, Screen(text=action.caption))

    async def _send_part(self, chat_id: int, part: Part) -> Message:
        try:
            return await self.retry(
                "sendMessage",
                lambda: self.bot.send_message(
                    chat_id, part.html, parse_mode=ParseMode.HTML, reply_markup=part.markup
                ),
                idempotent=False,
            )
        except BadRequest as exc:
            if not _says(exc, "can't parse entities"):
                raise
            log.warning("HTML refused (%s): sending plain text", exc.message)
            return await self.retry(
                "sendMessage",
                lambda: self.bot.send_message(chat_id, part.text, reply_markup=part.markup),
                idempotent=False,
            )


def _chat_of(actor: Actor) -> int:
    """In a private chat the chat id is the person's user id."""
    return int(actor.user_id)
