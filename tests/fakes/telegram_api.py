"""A fake Telegram Bot API server for tests, good enough for python-telegram-bot v22 unmodified.

Point the real library at it::

    async with FakeTelegram() as tg:
        app = (ApplicationBuilder().token(tg.token)
               .base_url(tg.base_url).base_file_url(tg.base_file_url).build())

then play the person with ``tg.user_send_text(...)`` / ``tg.user_tap(...)`` and read what they
see with ``tg.chat(user_id).last_bot_message()``. Updates go to the getUpdates queue, or, once
``setWebhook`` was called, are POSTed to the webhook as Telegram does.

Deviations from the real server, on purpose: http:// webhooks are accepted on loopback hosts
(any port); webhook deliveries are not retried (the status is recorded instead); unknown methods
answer 400 with a clear description (the real server answers 404, which the library reports as
InvalidToken); a sent photo keeps its original bytes for every size. Only private chats exist.
"""

from __future__ import annotations

import asyncio
import collections
import io
import itertools
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_media import MediaMethods, UploadedFile
from tests.fakes.telegram_state import (
    JSON,
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_PHOTO,
    MAX_TEXT,
    MAX_TOAST,
    MAX_UPLOAD,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiCall,
    ApiError,
    BotState,
    Button,
    CallbackAnswer,
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    Delivery,
    FileRecord,
    Params,
    Upload,
    UserInfo,
    WebhookConfig,
    bad_request,
    command_entities,
    format_text,
    now,
    parse_reply_markup,
    too_many_requests,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "BotState",
    "Button",
    "CallbackAnswer",
    "Chat",
    "ChatMessage",
    "Delivery",
    "FakeTelegram",
    "FileRecord",
    "WebhookConfig",
]

_T = TypeVar("_T")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_WEBHOOK_PORTS = {80, 88, 443, 8443}


class _Described(NamedTuple):
    result: Any
    description: str


class _Signal:
    """Wakes every waiter on each change of state (API call, queued update, delivery)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(seconds, 0))
        except TimeoutError:
            pass


Handler = Callable[[BotState, Params], Awaitable[Any]]


class FakeTelegram(MediaMethods):
    """An in-process Bot API server on 127.0.0.1 (ephemeral port) with simulated people."""

    DEFAULT_TOKEN = "123456789:AAFakeTokenForTapmarkTests-0123456789"

    def __init__(
        self,
        tokens: Iterable[str] | Mapping[str, str] | None = None,
        *,
        username: str = "tapmark_test_bot",
        bot_name: str = "Tapmark Test",
        host: str = "127.0.0.1",
        port: int = 0,
        callback_timeout: float | None = 15.0,
    ) -> None:
        if tokens is None:
            tokens = [self.DEFAULT_TOKEN]
        named = dict(tokens) if isinstance(tokens, Mapping) else dict.fromkeys(tokens, "")
        stem = username.removesuffix("bot").rstrip("_")
        self._bots: dict[str, BotState] = {}
        for i, (token, name) in enumerate(named.items()):
            if not re.fullmatch(r"\d+:[\w-]+", token):
                raise ValueError(f"not a bot token: {token!r}")
            uname = name or (username if i == 0 else f"{stem}{i + 1}_bot")
            self._bots[token] = BotState(token, uname, bot_name)
        self.host = host
        self.port = port
        self.callback_timeout = callback_timeout
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: list[ApiCall] = []
        self.listeners: list[Callable[[ApiCall], None]] = []
        """Called with every answered API call: cheaper than `wait_for` for many waiters."""
        self.unsupported: list[str] = []
        self.files: dict[str, FileRecord] = {}
        self.uploads: list[UploadedFile] = []
        """Every file a bot uploaded (a multipart part), in order: sends by file_id or URL
        are not uploads."""
        self.users: dict[int, UserInfo] = {}
        self._photo_sets: dict[str, list[FileRecord]] = {}
        self._paths: dict[tuple[str, str], FileRecord] = {}
        self._faults: dict[str, collections.deque[ApiError]] = collections.defaultdict(
            collections.deque
        )
        self._delays: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._signal = _Signal()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendAudio": self._send_audio,
            "sendVideo": self._send_video,
            "editMessageMedia": self._edit_message_media,
            "getFile": self._get_file,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # ---------------------------------------------------------------------------------------
    # Lifecycle and addresses

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession(trust_env=False)
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._signal.fire()
        workers = [b.worker for b in self._bots.values() if b.worker is not None]
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: the library appends the token."""
        return self.root + "/bot"

    @property
    def base_file_url(self) -> str:
        return self.root + "/file/bot"

    @property
    def token(self) -> str:
        return next(iter(self._bots))

    @property
    def tokens(self) -> list[str]:
        return list(self._bots)

    # ---------------------------------------------------------------------------------------
    # Reading state

    def bot(self, token: str | None = None) -> BotState:
        return self._bots[token or self.token]

    def chat(self, user_id: int, token: str | None = None) -> Chat:
        """The private chat between the bot and this person (empty if they never wrote)."""
        return self.bot(token).chat(user_id)

    def answer(self, query_id: str, token: str | None = None) -> CallbackAnswer | None:
        """How a button press was answered (toast text, alert), or None while unanswered."""
        record = self.bot(token).queries.get(query_id)
        if record is None:
            raise KeyError(f"no callback query {query_id!r}")
        return record.answer

    def deliveries(self, token: str | None = None) -> list[Delivery]:
        return self.bot(token).deliveries

    def last_update_id(self, token: str | None = None) -> int:
        return self.bot(token).next_update_id - 1

    def last_call(self, method: str) -> ApiCall:
        name = self._canonical.get(method.lower(), method)
        for call in reversed(self.requests):
            if call.method == name:
                return call
        raise KeyError(f"{name} was never called")

    def debug_dump(self, token: str | None = None) -> str:
        bot = self.bot(token)
        calls = [f"  {c.method} -> {c.status} {c.description or ''}" for c in self.requests[-12:]]
        chats = [f"  chat {uid}:\n    " + c.transcript().replace("\n", "\n    ")
                 for uid, c in bot.chats.items()]  # fmt: skip
        return "recent calls:\n" + "\n".join(calls) + "\nchats:\n" + "\n".join(chats)

    # ---------------------------------------------------------------------------------------
    # Fault injection

    def fail_next(
        self,
        method: str,
        n: int = 1,
        code: int = 429,
        retry_after: float = 1,
        description: str | None = None,
    ) -> None:
        """The next n calls of method fail: 429 with retry_after, 5xx, or any code given."""
        if code == 429:
            error = too_many_requests(retry_after)
            if description:
                error.description = description
        elif code >= 500:
            error = ApiError(code, description or HTTPStatus(code).phrase)
        else:
            error = ApiError(code, description or f"{HTTPStatus(code).phrase}: injected failure")
        self._faults[self._canonical.get(method.lower(), method)].extend([error] * n)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of method after this many seconds (0 to stop delaying)."""
        self._delays[self._canonical.get(method.lower(), method)] = seconds

    # ---------------------------------------------------------------------------------------
    # Simulated people

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool = True,
        token: str | None = None,
    ) -> UserInfo:
        """Make a person known; started=True means they opened the chat with the bot earlier."""
        info = self.users.get(user_id)
        if info is None:
            info = UserInfo(user_id, first_name or f"User{user_id}")
            self.users[user_id] = info
        elif first_name:
            info.first_name = first_name
        if last_name is not None:
            info.last_name = last_name
        if username is not None:
            info.username = username
        if language_code is not None:
            info.language_code = language_code
        if started:
            self.chat(user_id, token).started = True
        return info

    def user_send_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        username: str | None = None,
        reply_to: int | None = None,
        token: str | None = None,
    ) -> int:
        """The person writes text (``/cmd args`` gets a bot_command entity); gives message_id."""
        bot, chat, user = self._person(user_id, first_name, username, token)
        message = self._user_message(bot, chat, user, reply_to)
        message.text = text
        message.entities = command_entities(text)
        self._push(bot, "message", message.to_api())
        return message.message_id

    def user_send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        first_name: str | None = None,
        token: str | None = None,
    ) -> int:
        """The person sends a file; the bot can getFile and download it. Gives message_id."""
        bot, chat, user = self._person(user_id, first_name, None, token)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        message = self._user_message(bot, chat, user, None)
        message.document = self._store_file(bot.token, "document", content, filename, mime)
        message.caption = caption
        self._push(bot, "message", message.to_api())
        return message.message_id

    def user_send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        first_name: str | None = None,
        token: str | None = None,
    ) -> int:
        bot, chat, user = self._person(user_id, first_name, None, token)
        message = self._user_message(bot, chat, user, None)
        message.photo = self._store_photo(bot.token, content)
        message.caption = caption
        self._push(bot, "message", message.to_api())
        return message.message_id

    def user_tap(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        check: bool = True,
        token: str | None = None,
    ) -> str:
        """The person presses a button; gives the callback query id (see answer())."""
        bot, chat, user = self._person(user_id, None, None, token)
        message = chat.find(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {user_id}:\n{chat.transcript()}")
        if check and callback_data not in [b.callback_data for b in message.buttons]:
            raise LookupError(
                f"message {message_id} has no button with callback_data {callback_data!r}; "
                f"it has {message.buttons}"
            )
        query_id = str(4_000_000_000_000 + next(self._ids))
        bot.queries[query_id] = CallbackQueryRecord(
            query_id, user_id, message_id, callback_data, time.monotonic()
        )
        payload = {
            "id": query_id,
            "from": user.user_json(),
            "message": message.to_api(),
            "chat_instance": str(bot.bot_id * 1000 + user_id),
            "data": callback_data,
        }
        self._push(bot, "callback_query", payload)
        return query_id

    def user_press(
        self, user_id: int, label: str, *, message_id: int | None = None, token: str | None = None
    ) -> str:
        """Press the button labelled so (on message_id, or the newest message showing it)."""
        chat = self.chat(user_id, token)
        candidates = [chat.message(message_id)] if message_id else chat.bot_messages()[::-1]
        for message in candidates:
            for button in message.buttons:
                if button.text == label and button.callback_data is not None:
                    return self.user_tap(
                        user_id, message.message_id, button.callback_data, token=token
                    )
        raise LookupError(f"no button {label!r} in chat {user_id}:\n{chat.transcript()}")

    def user_block(self, user_id: int, *, token: str | None = None) -> None:
        """The person blocks the bot: sends fail with 403, and a my_chat_member update comes."""
        bot, chat, user = self._person(user_id, None, None, token)
        chat.blocked = True
        member = {
            "chat": user.chat_json(),
            "from": user.user_json(),
            "date": now(),
            "old_chat_member": {"user": bot.user_json(), "status": "member"},
            "new_chat_member": {"user": bot.user_json(), "status": "kicked", "until_date": 0},
        }
        self._push(bot, "my_chat_member", member)

    async def post_update(
        self,
        update: JSON,
        *,
        secret_token: str | None = None,
        url: str | None = None,
        content_type: str = "application/json",
        token: str | None = None,
    ) -> int:
        """POST a raw update to the webhook (or url) as a forger might; gives the HTTP status."""
        target = url or (self.bot(token).webhook or WebhookConfig("", None, 0, None, None)).url
        if not target:
            raise RuntimeError("no webhook is set and no url given")
        status, _ = await self._post_json(target, update, secret_token, content_type)
        return status

    def _person(
        self, user_id: int, first_name: str | None, username: str | None, token: str | None
    ) -> tuple[BotState, Chat, UserInfo]:
        user = self.add_user(user_id, first_name, username=username, token=token)
        bot = self.bot(token)
        return bot, bot.chat(user_id), user

    def _user_message(
        self, bot: BotState, chat: Chat, user: UserInfo, reply_to: int | None
    ) -> ChatMessage:
        message = ChatMessage(
            chat.take_message_id(), False, user.user_json(), user.chat_json(), now()
        )
        chat.blocked = False  # writing to the bot means it is not blocked (any more)
        if reply_to is not None:
            message.reply_to = chat.message(reply_to)
        chat.messages.append(message)
        return message

    def _push(self, bot: BotState, kind: str, payload: JSON) -> None:
        update = {"update_id": bot.next_update_id, kind: payload}
        bot.next_update_id += 1
        bot.pending.append(update)
        bot.updates.append(update)
        self._signal.fire()

    # ---------------------------------------------------------------------------------------
    # Waiting for outcomes

    async def wait_for(
        self,
        predicate: Callable[[], _T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "",
    ) -> _T:
        """Wait until predicate() is truthy and give its value; TimeoutError shows the state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                label = what or getattr(predicate, "__name__", "condition")
                raise TimeoutError(f"{label} not met in {timeout}s\n{self.debug_dump()}")
            await self._signal.wait(min(remaining, 0.05))

    async def wait_answered(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
        token: str | None = None,
    ) -> CallbackAnswer:
        return await self.wait_for(
            lambda: self.answer(query_id, token), timeout, f"answer to query {query_id}"
        )

    async def wait_bot_message(
        self,
        user_id: int,
        *,
        after: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        token: str | None = None,
    ) -> ChatMessage:
        """Wait for a bot message newer than after (default: the person's last message)."""
        chat = self.chat(user_id, token)
        if after is None:
            mine = chat.user_messages()
            after = mine[-1].message_id if mine else 0

        def newest() -> ChatMessage | None:
            last = chat.last_bot_message()
            return last if last is not None and last.message_id > after else None

        return await self.wait_for(newest, timeout, f"bot message in chat {user_id}")

    async def wait_delivered(
        self,
        update_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
        token: str | None = None,
    ) -> Delivery:
        """Wait until the webhook POST of update_id (default: the last queued) has been made."""
        bot = self.bot(token)
        wanted = update_id if update_id is not None else bot.next_update_id - 1

        def delivered() -> Delivery | None:
            return next((d for d in bot.deliveries if d.update_id == wanted), None)

        return await self.wait_for(delivered, timeout, f"delivery of update {wanted}")

    # ---------------------------------------------------------------------------------------
    # HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        bot = self._bots.get(request.match_info["token"])
        if bot is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        call = ApiCall(bot.token, method, {})
        self.requests.append(call)
        self.calls[method] += 1
        bot.calls[method] += 1
        try:
            params = await self._read_params(request)
            call.params = params.public()
            if self._delays.get(method):
                await asyncio.sleep(self._delays[method])
            if self._faults[method]:
                raise self._faults[method].popleft()
            handler = self._handlers.get(method)
            if handler is None:
                self.unsupported.append(raw_method)
                raise bad_request(f"method {raw_method!r} is not implemented by FakeTelegram")
            result = await handler(bot, params)
            body: JSON = {"ok": True, "result": result}
            if isinstance(result, _Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            status = 200
        except ApiError as error:
            body, status = error.payload(), error.code
            call.description = error.description
        call.status = status
        self._signal.fire()
        for listener in self.listeners:
            listener(call)
        return web.json_response(body, status=status)

    async def _read_params(self, request: web.Request) -> Params:
        values: JSON = dict(request.query)
        files: dict[str, Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return Params(values, files)
        try:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("parameters must be a JSON object")
                values.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[key] = value if isinstance(value, str) else value.decode()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        except ValueError:
            raise bad_request("can't parse request JSON object") from None
        return Params(values, files)

    async def _handle_file(self, request: web.Request) -> web.Response:
        record = self._paths.get((request.match_info["token"], request.match_info["path"]))
        if record is None:
            payload = ApiError(404, "Not Found").payload()
            return web.json_response(payload, status=404)
        return web.Response(body=record.content, content_type="application/octet-stream")

    async def _post_json(
        self, url: str, payload: JSON, secret: str | None, content_type: str = "application/json"
    ) -> tuple[int, str | None]:
        assert self._session is not None, "FakeTelegram is not started"
        headers = {"Content-Type": content_type}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        try:
            async with self._session.post(
                url,
                data=json.dumps(payload).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                if response.status < 300:
                    return response.status, None
                return response.status, (
                    f"Wrong response from the webhook: {response.status} {response.reason}"
                )
        except aiohttp.ClientConnectorError as exc:
            return 0, f"Connection failed: {exc.os_error.strerror or exc.os_error}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return 0, f"Connection failed: {exc.__class__.__name__}"

    async def _webhook_worker(self, bot: BotState) -> None:
        while not self._closing and bot.webhook is not None:
            updates = bot.ready()
            if not updates:
                await self._signal.wait(1.0)
                continue
            update, config = updates[0], bot.webhook
            status, error = await self._post_json(config.url, update, config.secret_token)
            bot.pending = [u for u in bot.pending if u is not update]
            bot.deliveries.append(Delivery(update["update_id"], config.url, status, error))
            if error:
                bot.webhook_error = (now(), error)
            self._signal.fire()

    # ---------------------------------------------------------------------------------------
    # Files

    def _new_ids(self, kind: str) -> tuple[str, str]:
        n = next(self._ids)
        prefix = {"document": "BQAC", "photo": "AgAC", "audio": "CQAC", "video": "BAAC"}.get(
            kind, "CAAC"
        )
        return f"{prefix}AgIAAxkBfake{n:08d}", f"AgAD{n:06d}"

    def _store_file(
        self,
        owner: str,
        kind: str,
        content: bytes,
        name: str | None,
        mime: str | None,
        size: tuple[int, int] = (0, 0),
    ) -> FileRecord:
        file_id, unique = self._new_ids(kind)
        record = FileRecord(file_id, unique, kind, content, owner, name, mime, *size)
        self.files[file_id] = record
        return record

    def _store_photo(self, owner: str, content: bytes) -> list[FileRecord]:
        width, height = _image_size(content)
        sizes: list[FileRecord] = []
        for side in (90, 1280):
            scale = min(1.0, side / max(width, height, 1))
            dims = (max(1, round(width * scale)), max(1, round(height * scale)))
            if sizes and (sizes[-1].width, sizes[-1].height) == dims:
                continue
            sizes.append(self._store_file(owner, "photo", content, None, "image/jpeg", dims))
        for record in sizes:
            self._photo_sets[record.file_id] = sizes
        return sizes

    async def _input_file(self, bot: BotState, params: Params, kind: str) -> list[FileRecord]:
        return await self._resolve_file(bot, params.get_file(kind), kind)

    async def _resolve_file(
        self, bot: BotState, source: Upload | str | None, kind: str
    ) -> list[FileRecord]:
        """The file a request names: an uploaded part, a file_id of this bot, or a URL."""
        if isinstance(source, Upload):
            content, name, mime = source.content, source.filename, source.content_type
            self.uploads.append(UploadedFile(bot.token, kind, name, content))
        elif not source:
            raise bad_request(f"there is no {kind} in the request")
        elif source in self.files:
            record = self.files[source]
            if record.owner != bot.token:
                raise bad_request("wrong file identifier/HTTP URL specified")
            if record.kind != kind:
                raise bad_request(f"can't use file of type {record.kind.title()} as {kind.title()}")
            return self._photo_sets.get(source, [record])
        elif source.startswith(("http://", "https://")):
            content = await self._fetch(source)
            name, mime = urlsplit(source).path.rsplit("/", 1)[-1] or "file", None
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if not content:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if len(content) > MAX_PHOTO:
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
            return self._store_photo(bot.token, content)
        if name and (not mime or mime == "application/octet-stream"):
            mime = mimetypes.guess_type(name)[0] or mime
        return [self._store_file(bot.token, kind, content, name, mime)]

    async def _fetch(self, url: str) -> bytes:
        assert self._session is not None
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                if resp.status != 200:
                    raise bad_request("failed to get HTTP URL content")
                return await resp.read()
        except (aiohttp.ClientError, TimeoutError):
            raise bad_request("failed to get HTTP URL content") from None

    # ---------------------------------------------------------------------------------------
    # Shared checks

    def _target_chat(self, bot: BotState, params: Params) -> tuple[Chat, UserInfo]:
        if params.values.get("chat_id") in (None, ""):
            raise bad_request("chat_id is empty")
        try:
            chat_id = params.get_int("chat_id")
        except ApiError:
            raise bad_request("chat not found") from None
        user = self.users.get(chat_id or 0)
        if user is None or chat_id is None:
            raise bad_request("chat not found")
        chat = bot.chat(chat_id)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat, user

    def _bot_message(
        self, bot: BotState, chat: Chat, user: UserInfo, params: Params
    ) -> ChatMessage:
        """A new bot message (not yet stored) with keyboard and reply target checked."""
        inline, other = parse_reply_markup(params.values.get("reply_markup"))
        message = ChatMessage(0, True, bot.user_json(), user.chat_json(), now())
        message.reply_markup, message.other_markup = inline, other
        message.parse_mode = params.get_str("parse_mode")
        reply = params.get_json("reply_parameters") or {}
        reply_id = params.get_int("reply_to_message_id") or reply.get("message_id")
        if reply_id:
            message.reply_to = chat.find(int(reply_id))
            allow = params.get_bool("allow_sending_without_reply") or reply.get(
                "allow_sending_without_reply"
            )
            if message.reply_to is None and not allow:
                raise bad_request("message to be replied not found")
        return message

    def _commit(self, chat: Chat, message: ChatMessage) -> JSON:
        message.message_id = chat.take_message_id()
        chat.messages.append(message)
        return message.to_api()

    def _caption(self, params: Params) -> tuple[str | None, list[JSON]]:
        raw = params.get_str("caption")
        if not raw:
            return None, []
        caption, entities = format_text(
            raw, params.get_str("parse_mode"), params.get_json("caption_entities")
        )
        if len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return caption or None, entities

    def _edit_target(self, bot: BotState, params: Params) -> ChatMessage:
        if params.values.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat_id = params.get_int("chat_id")
        if chat_id is None or chat_id not in bot.chats:
            raise bad_request("chat not found")
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = bot.chats[chat_id].find(message_id)
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    @staticmethod
    def _check_edit(message: ChatMessage, changed: bool, markup: JSON | None) -> None:
        """Refuse an edit that changes nothing; else note the old version and the new keyboard."""
        if not changed and markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.history.append((message.content, message.reply_markup))
        message.reply_markup = markup
        message.edit_date = now()

    # ---------------------------------------------------------------------------------------
    # Methods

    async def _get_me(self, bot: BotState, params: Params) -> JSON:
        return {
            **bot.user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, bot: BotState, params: Params) -> list[JSON]:
        if bot.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get_int("offset")
        limit = params.get_int("limit") or 100
        timeout = params.get_float("timeout") or 0.0
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = list(allowed) or None
        if offset:
            bot.confirm(offset)
        bot.poll_generation += 1
        generation = bot.poll_generation
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != bot.poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            ready = bot.ready()[: max(1, min(limit, 100))]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing or bot.webhook is not None:
                return ready
            await self._signal.wait(remaining)

    async def _set_webhook(self, bot: BotState, params: Params) -> _Described:
        url = params.get_str("url") or ""
        if not url:
            return await self._delete_webhook(bot, params)
        parts = urlsplit(url)
        loopback = parts.hostname in _LOOPBACK
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not loopback and (parts.port or 443) not in _WEBHOOK_PORTS:
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = params.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            bot.allowed_updates = list(allowed) or None
        if params.get_bool("drop_pending_updates"):
            bot.pending.clear()
        config = WebhookConfig(url, secret, max_connections, allowed, params.get_str("ip_address"))
        already = bot.webhook == config
        bot.webhook, bot.webhook_error = config, None
        if bot.worker is None or bot.worker.done():
            bot.worker = asyncio.create_task(self._webhook_worker(bot))
        self._signal.fire()
        return _Described(True, "Webhook is already set" if already else "Webhook was set")

    async def _delete_webhook(self, bot: BotState, params: Params) -> _Described:
        if params.get_bool("drop_pending_updates"):
            bot.pending.clear()
        was_set, bot.webhook = bot.webhook is not None, None
        self._signal.fire()
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    async def _get_webhook_info(self, bot: BotState, params: Params) -> JSON:
        info: JSON = {
            "url": bot.webhook.url if bot.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.pending),
        }
        if bot.webhook is not None:
            info["max_connections"] = bot.webhook.max_connections
            if bot.webhook.ip_address:
                info["ip_address"] = bot.webhook.ip_address
            if bot.webhook.allowed_updates:
                info["allowed_updates"] = bot.webhook.allowed_updates
        if bot.webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = bot.webhook_error
        return info

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    async def _set_my_commands(self, bot: BotState, params: Params) -> bool:
        commands = params.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("commands must be an Array of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name.removeprefix("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        bot.commands[self._commands_key(params)] = [
            {"command": c["command"].removeprefix("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    async def _get_my_commands(self, bot: BotState, params: Params) -> list[JSON]:
        return bot.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, bot: BotState, params: Params) -> bool:
        bot.commands.pop(self._commands_key(params), None)
        return True

    async def _send_message(self, bot: BotState, params: Params) -> JSON:
        chat, user = self._target_chat(bot, params)
        raw = params.get_str("text") or ""
        text, entities = format_text(raw, params.get_str("parse_mode"), params.get_json("entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        message = self._bot_message(bot, chat, user, params)
        message.text, message.entities = text, entities
        return self._commit(chat, message)

    async def _edit_message_text(self, bot: BotState, params: Params) -> JSON:
        message = self._edit_target(bot, params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        raw = params.get_str("text") or ""
        text, entities = format_text(raw, params.get_str("parse_mode"), params.get_json("entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        markup, _ = parse_reply_markup(params.values.get("reply_markup"))
        self._check_edit(message, (text, entities) != (message.text, message.entities), markup)
        message.text, message.entities = text, entities
        return message.to_api()

    async def _edit_message_caption(self, bot: BotState, params: Params) -> JSON:
        message = self._edit_target(bot, params)
        if message.text is not None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup, _ = parse_reply_markup(params.values.get("reply_markup"))
        changed = (caption, entities) != (message.caption, message.caption_entities)
        self._check_edit(message, changed, markup)
        message.caption, message.caption_entities = caption, entities
        return message.to_api()

    async def _edit_message_reply_markup(self, bot: BotState, params: Params) -> JSON:
        message = self._edit_target(bot, params)
        markup, _ = parse_reply_markup(params.values.get("reply_markup"))
        self._check_edit(message, False, markup)
        return message.to_api()

    async def _delete_message(self, bot: BotState, params: Params) -> bool:
        chat_id, message_id = params.get_int("chat_id"), params.get_int("message_id")
        chat = bot.chats.get(chat_id or 0)
        message = chat.find(message_id or 0) if chat else None
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    async def _answer_callback_query(self, bot: BotState, params: Params) -> bool:
        record = bot.queries.get(params.get_str("callback_query_id") or "")
        expired = (
            record is not None
            and self.callback_timeout is not None
            and time.monotonic() - record.created > self.callback_timeout
        )
        if record is None or record.answer is not None or expired:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.get_str("text")
        if text and len(text) > MAX_TOAST:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answer = CallbackAnswer(
            text or None,
            params.get_bool("show_alert"),
            params.get_str("url"),
            params.get_int("cache_time") or 0,
        )
        return True

    async def _send_chat_action(self, bot: BotState, params: Params) -> bool:
        self._target_chat(bot, params)
        if not params.get_str("action"):
            raise bad_request("action is empty")
        return True

    async def _send_document(self, bot: BotState, params: Params) -> JSON:
        chat, user = self._target_chat(bot, params)
        caption, entities = self._caption(params)
        message = self._bot_message(bot, chat, user, params)
        message.document = (await self._input_file(bot, params, "document"))[0]
        message.caption, message.caption_entities = caption, entities
        return self._commit(chat, message)

    async def _send_photo(self, bot: BotState, params: Params) -> JSON:
        chat, user = self._target_chat(bot, params)
        caption, entities = self._caption(params)
        message = self._bot_message(bot, chat, user, params)
        message.photo = await self._input_file(bot, params, "photo")
        message.caption, message.caption_entities = caption, entities
        return self._commit(chat, message)

    async def _get_file(self, bot: BotState, params: Params) -> JSON:
        record = self.files.get(params.get_str("file_id") or "")
        if record is None or record.owner != bot.token:
            raise bad_request("invalid file_id")
        if record.file_size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        if record.file_path is None:
            folder = {"photo": "photos", "audio": "music", "video": "videos"}.get(
                record.kind, "documents"
            )
            suffix = ".jpg" if folder == "photos" else ""
            if record.file_name and "." in record.file_name:
                suffix = "." + record.file_name.rsplit(".", 1)[-1]
            record.file_path = f"{folder}/file_{next(self._ids)}{suffix}"
            self._paths[(bot.token, record.file_path)] = record
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
            "file_path": record.file_path,
        }


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of an image, with the real API's limits (needs Pillow)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a project dependency
        return (0, 0)
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except Exception:
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    if width + height > 10_000 or max(width, height) > 20 * max(1, min(width, height)):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height
