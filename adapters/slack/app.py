"""`SlackAdapter`: a Bolt AsyncApp on a Web API root, served over HTTP or Socket Mode.

    adapter = SlackAdapter(core, SlackConfig(bot_token=..., signing_secret=..., ...), uploads)
    await adapter.start()   # auth.test, then the HTTP listener (or the Socket Mode connection)
    ...
    await adapter.stop()    # in reverse; work already acknowledged is finished first

HTTP mode serves Bolt's aiohttp application at `config.path` on `config.listen` through an
AppRunner and a TCPSite, so it shares the caller's event loop (tests, a benchmark, Telegram in
the same process). With an app-level token the adapter uses Socket Mode instead: Bolt's
AsyncSocketModeHandler, connected and closed here and otherwise left alone.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.platform import PageLinks
from adapters.slack.config import SlackConfig
from adapters.slack.directory import Directory
from adapters.slack.executor import Executor
from adapters.slack.handlers import Handlers
from adapters.slack.home import Home
from adapters.slack.logsafe import quiet_libraries
from adapters.slack.retries import CountedConnectionRetries, CountedRateLimitRetries
from adapters.slack.translate import PLATFORM
from adapters.slack.workspaces import Workspaces
from bot.core import Core
from bot.media.store import UploadRefs
from bot.outbox_pump import OutboxPump

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # for work already acknowledged, at stop
SHUTDOWN_SECONDS = 3.0  # for requests in hand, at stop (they only acknowledge)
SOCKET_CONNECT_SECONDS = 30.0


class SlackAdapter:
    def __init__(
        self,
        core: Core,
        config: SlackConfig,
        uploads: UploadRefs,
        page: PageLinks | None = None,
    ) -> None:
        quiet_libraries()
        self.core = core
        self.config = config
        self.workspaces = Workspaces(config.bot_tokens, self._client)
        if self.workspaces.single:
            # Bolt authorizes every request with this client's token (one auth.test, cached).
            self.app = AsyncApp(
                name="tapmark",
                signing_secret=config.signing_secret,
                client=self.workspaces.clients[0],
            )
        else:  # several workspaces: the token of the workspace a request comes from
            self.app = AsyncApp(
                name="tapmark",
                signing_secret=config.signing_secret,
                client=self._client(None),
                authorize=self.workspaces.authorizer(),  # type: ignore[arg-type]  # None: unknown
            )
        self.client = self.workspaces.clients[0]
        self.directory = Directory(self.workspaces)
        self.executor = Executor(self.workspaces, self.directory, uploads, page)
        self.home = Home(core, self.workspaces)
        self.handlers = Handlers(core, self.executor, self.home)
        self.handlers.install(self.app)
        self.outbox = OutboxPump(
            core, PLATFORM, lambda send: self.executor.apply([send]), config.outbox_interval
        )
        self.bot_name = ""
        self.teams: list[str] = []
        self.port: int | None = None  # the port HTTP mode listens on (useful with port 0)
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._session: aiohttp.ClientSession | None = None
        self._started = False

    def _client(self, token: str | None) -> AsyncWebClient:
        config = self.config
        return AsyncWebClient(
            token=token,
            base_url=config.base_url,
            timeout=config.timeout,
            retry_handlers=[
                CountedRateLimitRetries(max_retry_count=config.rate_limit_retries),
                CountedConnectionRetries(max_retry_count=config.connection_retries),
            ],
        )

    @property
    def description(self) -> str:
        return f"@{self.bot_name} on Slack"

    @property
    def mode(self) -> str:
        if self.config.socket_mode:
            return "Socket Mode"
        host, _ = self.config.listen
        return f"HTTP, listening on {host}:{self.port}{self.config.path}"

    async def start(self) -> None:
        # One connection pool for every Web API call, closed in stop().
        self._session = aiohttp.ClientSession()
        for client in (*self.workspaces.clients, self.app.client):
            client.session = self._session
        try:
            answers = await self.workspaces.connect()  # fails on a wrong token or no server
            self.bot_name = str(answers[0].get("user") or "")
            self.teams = [str(a.get("team") or a.get("team_id") or "?") for a in answers]
            if self.config.socket_mode:
                await self._connect_socket()
            else:
                await self._listen()
            self.outbox.start()
        except BaseException:
            await self._halt()
            raise
        self._started = True
        log.info("slack: @%s is up in %s (%s)", self.bot_name, ", ".join(self.teams), self.mode)

    def healthy(self) -> bool:
        """Started, and in Socket Mode the WebSocket still connected."""
        if not self._started:
            return False
        if self._socket is not None:
            session = self._socket.client.current_session
            return session is not None and not session.closed
        return self._runner is not None

    async def stop(self) -> None:
        if self._started:
            log.info("slack: stopping @%s", self.bot_name)
        await self._halt()
        self._started = False

    async def _connect_socket(self) -> None:
        """Bolt's Socket Mode handler, connected. Its connect() retries for ever on failure, so
        the WebSocket URL is asked for first (a wrong app token fails here, at once) and the
        connection gets `SOCKET_CONNECT_SECONDS`."""
        handler = AsyncSocketModeHandler(self.app, self.config.app_token)
        self._socket = handler
        client = handler.client
        client.wss_uri = await client.issue_new_wss_url()
        await asyncio.wait_for(
            handler.connect_async(),  # type: ignore[no-untyped-call]
            SOCKET_CONNECT_SECONDS,
        )

    async def _listen(self) -> None:
        host, port = self.config.listen
        runner = web.AppRunner(
            self.app.web_app(path=self.config.path),
            access_log=None,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, host, port)
        await site.start()
        self.port = int(runner.addresses[0][1])  # the real one when port 0 was asked for

    async def _halt(self) -> None:
        await self.outbox.stop()
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # no new requests
            self._socket = None
        if self._runner is not None:
            # Stop listening and answer the requests in hand (they only acknowledge) ...
            await self._runner.cleanup()
            self._runner = None
        # ... then let the work they acknowledged finish, before the connection pool closes.
        await self.handlers.drain(DRAIN_SECONDS)
        if self._session is not None:
            await self._session.close()
            self._session = None
            for client in (*self.workspaces.clients, self.app.client):
                client.session = None
