"""The python-telegram-bot handlers: translate the update, run the core, execute its actions."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.running import SORRY, TOO_BIG, press_answer, reply_actions, run_core
from adapters.telegram.executor import Executor
from adapters.telegram.translate import (
    FileTooBig,
    actor_of,
    command_event,
    tap_event,
    text_event,
    upload_event,
)
from bot.chat.actions import Screen, Send
from bot.chat.events import Event
from bot.core import Core

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


class Handlers:
    def __init__(
        self,
        core: Core,
        executor: Executor,
        joined: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.core = core
        self.executor = executor
        self.joined = joined
        """Called with the user's id after each /start, once its answer is sent (the adapter
        refreshes that chat's command menu: a new manager gets theirs)."""

    def install(self, app: Application) -> None:  # type: ignore[type-arg]
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        handlers: list[BaseHandler] = [  # type: ignore[type-arg]
            CallbackQueryHandler(self.on_tap),
            MessageHandler(private & filters.COMMAND, self.on_command),
            MessageHandler(private & filters.TEXT & ~filters.COMMAND, self.on_text),
            MessageHandler(private & filters.Document.ALL, self.on_document),
        ]
        app.add_handlers(handlers)
        app.add_error_handler(self.on_error)

    async def on_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        if not query.data:
            await self.executor.answer(query.id, None)
            return
        actions = await run_core(self.core, tap_event(query))
        if actions is None:
            await self.executor.answer(query.id, SORRY)
            return
        answer = press_answer(actions)
        await self.executor.answer(query.id, answer.toast.text if answer.toast else None)
        await self.executor.apply(answer.rest)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None:
            return
        event = command_event(message, user, context.bot.username)
        if event is not None:
            await self._reply(event, update)
            if event.name == "start" and self.joined is not None:
                await self.joined(user.id)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is not None and user is not None:
            await self._reply(text_event(message, user), update)

    async def on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.message, update.effective_user
        if message is None or user is None or message.document is None:
            return
        try:
            event = await upload_event(message, user, message.document)
        except FileTooBig:
            await self.executor.apply([Send(actor_of(user), Screen(text=TOO_BIG))])
            return
        except TelegramError as exc:
            log.warning("could not download %s: %s", message.document.file_name, exc.message)
            await self.executor.apply([Send(actor_of(user), Screen(text=SORRY))])
            return
        await self._reply(event, update)

    async def _reply(self, event: Event, update: Update) -> None:
        await self.executor.apply(await reply_actions(self.core, event))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error while handling an update", exc_info=context.error)
