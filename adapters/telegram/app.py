"""`TelegramAdapter`: the Application built against a Bot API root, run with the manual lifecycle.

    adapter = TelegramAdapter(core, TelegramConfig(token=..., api_url=...), uploads)
    await adapter.start()   # getMe, setMyCommands, polling or webhook, then handlers run
    ...
    await adapter.stop()    # in reverse; updates already fetched are handled first

`start` and `stop` share the caller's event loop (tests, a benchmark, Slack in the same process).
A stopped adapter is not started again: build a new one.
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from adapters.platform import PageLinks
from adapters.telegram.config import TelegramConfig
from adapters.telegram.executor import Executor
from adapters.telegram.handlers import ALLOWED_UPDATES, Handlers
from adapters.telegram.ordering import PerChatOrder
from adapters.telegram.retry import Retry
from bot.core import Core
from bot.media.store import UploadRefs
from bot.outbox_pump import OutboxPump

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "Join a project: /start CODE"),
    BotCommand("next", "Your next task"),
    BotCommand("undo", "Take back your last answer"),
    BotCommand("progress", "How much you have done"),
    BotCommand("guide", "The project's guideline"),
    BotCommand("mute", "Stop the daily quota reminders"),
    BotCommand("unmute", "Turn the reminders back on"),
    BotCommand("stop", "Done for now: give your task back"),
    BotCommand("link", "Use this account from another app too"),
    BotCommand("help", "What I understand"),
]
MANAGER_COMMANDS = [
    *COMMANDS,
    BotCommand("batches", "Progress of each batch; pause, resume, close"),
    BotCommand("invite", "An invite code: /invite annotator|qa|manager"),
    BotCommand("members", "Who is in"),
    BotCommand("report", "Batches, today's work, quality"),
    BotCommand("export", "The results as a file"),
    BotCommand("review", "The QA queue"),
    BotCommand("broadcast", "A message to every annotator"),
    BotCommand("project", "List or switch projects"),
]


class TelegramAdapter:
    def __init__(
        self,
        core: Core,
        config: TelegramConfig,
        uploads: UploadRefs,
        page: PageLinks | None = None,
    ) -> None:
        self.core = core
        self.config = config
        self.app: Application = (  # type: ignore[type-arg]
            ApplicationBuilder()
            .token(config.token)
            .base_url(config.root + "/bot")
            .base_file_url(config.root + "/file/bot")
            .rate_limiter(
                AIORateLimiter(
                    overall_max_rate=config.overall_max_rate, max_retries=config.max_retries
                )
            )
            .concurrent_updates(PerChatOrder())
            .job_queue(None)  # scheduling is the core's, not the library's
            .build()
        )
        self.retry = Retry(config.send_attempts, config.backoff)
        self.executor = Executor(self.app.bot, self.retry, uploads, page)
        Handlers(core, self.executor, self._menu_for).install(self.app)
        self.outbox = OutboxPump(
            core, "telegram", lambda send: self.executor.apply([send]), config.outbox_interval
        )
        self._started = False

    @property
    def username(self) -> str:
        return str(self.app.bot.username)

    @property
    def description(self) -> str:
        return f"@{self.username} on Telegram"

    async def start(self) -> None:
        app, config = self.app, self.config
        await app.initialize()  # getMe: fails here on a wrong token or an unreachable server
        try:
            await self._set_commands()
            assert app.updater is not None
            if config.webhook_url:
                host, port = config.listen
                await app.updater.start_webhook(
                    listen=host,
                    port=port,
                    url_path=config.webhook_path,
                    webhook_url=config.webhook_url,
                    secret_token=config.webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
                mode = f"webhook, listening on {host}:{port}"
            else:
                await app.updater.start_polling(
                    poll_interval=0,
                    timeout=config.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                )
                mode = "long polling"
            await app.start()
            self.outbox.start()
        except BaseException:
            await self._halt()
            raise
        self._started = True
        log.info("telegram: @%s is up (%s)", self.username, mode)

    def healthy(self) -> bool:
        """Started, and python-telegram-bot's application and updater still running."""
        app = self.app
        return self._started and app.running and app.updater is not None and app.updater.running

    async def stop(self) -> None:
        if self._started:
            log.info("telegram: stopping @%s", self.username)
        await self._halt()
        self._started = False

    async def _halt(self) -> None:
        await self.outbox.stop()
        app = self.app
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _set_commands(self) -> None:
        """The command menu: annotators' commands in every private chat, and the managers'
        too in each active manager's own chat (set at start)."""
        bot = self.app.bot
        try:
            await self.retry(
                "setMyCommands",
                lambda: bot.set_my_commands(COMMANDS, scope=BotCommandScopeAllPrivateChats()),
                idempotent=True,
            )
            for chat_id in await self._manager_chats():
                scope = BotCommandScopeChat(chat_id)
                await self.retry(
                    "setMyCommands",
                    partial(bot.set_my_commands, MANAGER_COMMANDS, scope=scope),
                    idempotent=True,
                )
        except TelegramError as exc:  # the menu is a convenience: run without it
            log.warning("setMyCommands failed: %s", exc.message)

    async def _menu_for(self, chat_id: int) -> None:
        """After a /start: the managers' menu in this chat when its person now manages."""
        if chat_id not in await self._manager_chats():
            return
        try:
            await self.retry(
                "setMyCommands",
                partial(
                    self.app.bot.set_my_commands,
                    MANAGER_COMMANDS,
                    scope=BotCommandScopeChat(chat_id),
                ),
                idempotent=True,
            )
        except TelegramError as exc:
            log.warning("setMyCommands failed: %s", exc.message)

    async def _manager_chats(self) -> list[int]:
        """The private chats (Telegram user ids) of every active manager of a project."""
        return sorted(int(u) for u in await self.core.managers_on("telegram") if u.isdigit())
