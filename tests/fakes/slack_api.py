"""A fake Slack for tests: the Web API the app calls, and the platform that calls the app.

Point the real slack_sdk / slack-bolt at it::

    async with FakeSlack() as slack:
        client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
        app = AsyncApp(signing_secret=slack.signing_secret, client=client)
        ...serve app.web_app(path="/slack/events") on a free port...
        slack.connect_app("http://127.0.0.1:PORT/slack/events")
        await slack.slash_command("T1", "U1", "/tapmark", "next")
        message = await slack.wait_bot_message("T1", "U1")
        await slack.click("T1", "U1", message, "Positive")

Every request to the app is signed as Slack signs it (``X-Slack-Signature``), so Bolt's own
verification runs. Each team has its own bot token (``slack.team("T2").token``); a token reaches
only the people of its team. People must be known before the app can DM them: ``add_user``, or
any action they take (slash command, click, message) makes them known. A person sends the app a
file with ``share_file``: the app gets a ``file_share`` message event and downloads the file with
its bot token.

Deviations, on purpose: Slack never retries on its own (call ``redeliver``); there is no automatic
rate limiting (inject it with ``fail_next``); only DMs between the app and one person exist.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import mimetypes
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import web

from tests.fakes.slack_state import (
    APP_ID,
    JSON,
    RESPONSE_URL_SECONDS,
    RESPONSE_URL_USES,
    ApiCall,
    ApiError,
    Button,
    Channel,
    FileRecord,
    HomeView,
    Params,
    Person,
    Reply,
    ResponseUrl,
    SentRequest,
    SlackMessage,
    SlackServer,
    Team,
    signature,
)

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "Channel",
    "FakeSlack",
    "FileRecord",
    "HomeView",
    "Person",
    "Reply",
    "SentRequest",
    "SlackMessage",
    "Team",
]

_T = TypeVar("_T")
_SLACK_TIMEOUT = 3.0  # Slack gives up on the app after this many seconds
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


class FakeSlack(SlackServer):
    """An in-process Slack on 127.0.0.1 (ephemeral port) with simulated people."""

    DEFAULT_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
    VERIFICATION_TOKEN = "fakeVerificationToken0123"

    def __init__(
        self,
        teams: Iterable[str] = ("T1",),
        *,
        signing_secret: str | None = None,
        app_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        request_timeout: float = 10.0,
        poll_interval: float = 0.5,
    ) -> None:
        super().__init__()
        self.host = host
        self.port = port
        self.signing_secret = signing_secret or self.DEFAULT_SECRET
        self.app_url = app_url
        self.request_timeout = request_timeout
        """How long the fake waits for the app's answer (Slack itself gives up after 3 s)."""
        self.poll_interval = poll_interval
        self.deliveries: list[SentRequest] = []
        self.response_urls: dict[str, ResponseUrl] = {}
        self._counter = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        for team_id in teams:
            self.team(team_id)

    # ---------------------------------------------------------------------------------------
    # Lifecycle and addresses

    async def start(self) -> None:
        app = web.Application(client_max_size=1024**3)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_get("/files/{file_id}/{name}", self._handle_download)
        app.router.add_post("/response/{key}", self._handle_response_url)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        self.root = f"http://{self.host}:{self.port}"
        self._session = aiohttp.ClientSession(trust_env=False)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlack:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """For ``AsyncWebClient(base_url=...)``: the client appends the method name."""
        return self.root + "/api/"

    @property
    def token(self) -> str:
        """The bot token of the first team."""
        return next(iter(self.teams.values())).token

    def connect_app(self, url: str, signing_secret: str | None = None) -> None:
        """Where the platform sends slash commands, clicks and events (the Request URL)."""
        self.app_url = url
        if signing_secret is not None:
            self.signing_secret = signing_secret

    # ---------------------------------------------------------------------------------------
    # Teams and people

    def add_user(
        self, team: str, user: str, name: str | None = None, real_name: str | None = None
    ) -> Person:
        """Make a person known in a team (the app can then open a DM with them)."""
        t = self.team(team)
        person = t.people.get(user)
        if person is None:
            person = Person(team, user, name or f"user{user.lower()}", real_name or f"User {user}")
            t.people[user] = person
        else:
            person.name = name or person.name
            person.real_name = real_name or person.real_name
        return person

    def person(self, team: str, user: str) -> Person:
        return self.add_user(team, user)

    def dm(self, team: str, user: str) -> Channel:
        """The DM between the app and this person (empty until something is posted)."""
        return self._dm(self.team(team), user)

    def home(self, team: str, user: str) -> HomeView | None:
        """The App Home last published for this person, or None."""
        return self.team(team).homes.get(user)

    def last_bot_message(self, team: str | None = None, user: str | None = None) -> SlackMessage:
        """The newest bot message in one DM, or in any DM; LookupError when there is none."""
        if team is not None and user is not None:
            channels = [self.dm(team, user)]
        else:
            channels = [c for t in self.teams.values() for c in t.dms.values()]
        found = [m for c in channels for m in c.bot_messages()]
        if not found:
            raise LookupError(f"no bot message yet\n{self.debug_dump()}")
        return max(found, key=lambda m: m.ts)

    def last_call(self, method: str) -> ApiCall:
        for call in reversed(self.requests):
            if call.method == method:
                return call
        raise KeyError(f"{method} was never called")

    @property
    def last_request(self) -> SentRequest:
        """The last request the platform sent to the app."""
        if not self.deliveries:
            raise LookupError("nothing was sent to the app yet")
        return self.deliveries[-1]

    def debug_dump(self, limit: int = 8) -> str:
        calls = [
            f"  {c.method} -> {c.status} {c.error or 'ok'} {json.dumps(c.params)[:160]}"
            for c in self.requests[-12:]
        ]
        sent = [
            f"  {d.kind} {d.team}/{d.user} retry={d.retry_num} -> {d.status} {d.response[:80]!r}"
            f"{' ' + d.error if d.error else ''}"
            for d in self.deliveries[-8:]
        ]
        channels = [c for t in self.teams.values() for c in t.dms.values() if c.messages]
        dms = [
            f"  {c.team}/{c.user} {c.channel_id}:\n    " + c.transcript().replace("\n", "\n    ")
            for c in channels[-limit:]
        ]
        return (
            "recent API calls:\n" + "\n".join(calls) + "\nsent to the app:\n" + "\n".join(sent)
            + "\nDMs:\n" + "\n".join(dms)
        )  # fmt: skip

    # ---------------------------------------------------------------------------------------
    # Fault injection

    def fail_next(
        self,
        method: str,
        n: int = 1,
        status: int = 429,
        retry_after: float = 1,
        error: str | None = None,
    ) -> None:
        """The next n calls of method fail: 429 with Retry-After, a 5xx, or (status 200) an
        ``{"ok": false, "error": error}`` answer such as ``channel_not_found``. Method
        ``files.download`` is the download of a file: status 200 answers Slack's HTML sign-in
        page (as for a token without ``files:read``), any other status that status."""
        if status == 429:
            fault = ApiError(error or "ratelimited", status=429, retry_after=math.ceil(retry_after))
        elif status == 200:
            if not error:
                raise ValueError("an injected status 200 failure needs error=...")
            fault = ApiError(error)
        else:
            fault = ApiError(error or "internal_error", status=status)
        self._faults[method].extend([fault] * n)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of method after this many seconds (0 to stop delaying)."""
        self._delays[method] = seconds

    # ---------------------------------------------------------------------------------------
    # The platform: what people do, sent to the app as Slack sends it

    async def slash_command(
        self,
        team: str,
        user: str,
        command: str = "/tapmark",
        text: str = "",
        *,
        sign: bool = True,
        secret: str | None = None,
        stale: bool = False,
    ) -> Reply:
        """The person runs a slash command in their DM with the app.

        A non-empty 200 answer is the immediate response: Slack shows it (text/plain or JSON
        with text/blocks) as an ephemeral message, or in_channel when the JSON says so."""
        t, person = self.team(team), self._act(team, user)
        channel = self._dm(t, user)
        fields = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": team,
            "team_domain": t.domain,
            "channel_id": channel.channel_id,
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": person.name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self._response_url(team, user, channel, None),
            "trigger_id": self._trigger_id(),
        }
        record = SentRequest("slash_command", "", urlencode(fields), _FORM, team, user)
        reply = await self._deliver(record, sign=sign, secret=secret, stale=stale)
        if record.status == 200 and record.error is None and reply.body.strip():
            payload = record.response_json
            if not isinstance(payload, dict):
                payload = {"text": reply.body}
            try:
                self._apply_response(team, user, channel, None, payload, "immediate")
            except ApiError as exc:
                record.error = f"immediate response rejected: {exc.error}"
        return reply

    async def click(
        self,
        team: str,
        user: str,
        target: SlackMessage | HomeView | None,
        action: str | Button,
        *,
        sign: bool = True,
        secret: str | None = None,
        stale: bool = False,
    ) -> Reply:
        """The person presses a button (by action_id or text; a Button is sent as given, even
        if the message no longer shows it). target None: the newest message showing it."""
        t, person = self.team(team), self._act(team, user)
        if target is None:
            target = self._find_target(team, user, action)
        button = action if isinstance(action, Button) else target.button(action)
        element = self._element(target.blocks, button)
        payload: JSON = {
            "type": "block_actions",
            "user": person.user_json(),
            "api_app_id": APP_ID,
            "token": self.VERIFICATION_TOKEN,
            "trigger_id": self._trigger_id(),
            "team": {"id": team, "domain": t.domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
        }
        if isinstance(target, HomeView):
            payload["container"] = {"type": "view", "view_id": target.view_id}
            payload["view"] = target.to_api(t.bot_id)
        else:
            channel = self._dm(t, user)
            payload["container"] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": channel.channel_id,
                "is_ephemeral": target.ephemeral_for is not None,
            }
            payload["channel"] = {"id": channel.channel_id, "name": "directmessage"}
            if target.ephemeral_for is None:
                payload["message"] = target.to_api()
            payload["response_url"] = self._response_url(team, user, channel, target.ts)
        payload["actions"] = [
            {
                "action_id": button.action_id,
                "block_id": button.block_id,
                "text": {"type": "plain_text", "text": button.text, "emoji": True},
                **({"value": button.value} if button.value is not None else {}),
                **({"style": element["style"]} if element.get("style") else {}),
                "type": "button",
                "action_ts": self._ts(),
            }
        ]
        body = urlencode({"payload": json.dumps(payload)})
        record = SentRequest("block_actions", "", body, _FORM, team, user)
        return await self._deliver(record, sign=sign, secret=secret, stale=stale)

    async def press(self, team: str, user: str, action: str) -> Reply:
        """Press the button with this action_id or text on the newest message showing it."""
        return await self.click(team, user, None, action)

    async def event(
        self,
        team: str,
        user: str,
        event: JSON,
        *,
        sign: bool = True,
        secret: str | None = None,
        stale: bool = False,
    ) -> Reply:
        """An Events API callback (``event_callback``) about this person."""
        t = self.team(team)
        self._act(team, user)
        event = {"user": user, "event_ts": self._ts(), **event}
        envelope = {
            "token": self.VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._counter):09d}FAKE",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": t.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-fake-{uuid.uuid4().hex[:12]}",
        }
        record = SentRequest("event_callback", "", json.dumps(envelope), _JSON, team, user)
        return await self._deliver(record, sign=sign, secret=secret, stale=stale)

    def add_user_message(self, team: str, user: str, text: str) -> SlackMessage:
        """A message the person wrote in their DM, stored without telling the app."""
        channel = self._dm(self.team(team), user)
        self._act(team, user)
        message = SlackMessage(
            self._ts(), channel.channel_id, team, user, None, text, [], seq=self._tick()
        )
        channel.add(message)
        self._changed(team, user)
        return message

    async def message(self, team: str, user: str, text: str, **sign_opts: Any) -> Reply:
        """The person writes in their DM with the app (a ``message`` event, channel_type im)."""
        stored = self.add_user_message(team, user, text)
        channel, ts = self.dm(team, user), stored.ts
        event = {
            "type": "message",
            "channel": channel.channel_id,
            "user": user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "team": team,
            "client_msg_id": str(uuid.uuid4()),
        }
        return await self.event(team, user, event, **sign_opts)

    async def share_file(
        self,
        team: str,
        user: str,
        filename: str,
        content: bytes,
        *,
        text: str = "",
        mimetype: str | None = None,
        **sign_opts: Any,
    ) -> Reply:
        """The person uploads a file into their DM with the app: Slack keeps it (the app may
        download ``url_private_download`` with its bot token) and sends a ``message`` event
        with subtype ``file_share`` listing the file."""
        t = self.team(team)
        channel = self._dm(t, user)
        self._act(team, user)
        file_id = f"F{next(self._numbers):09d}"
        kind = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        record = FileRecord(
            file_id, team, filename, len(content), content=content, mimetype=kind,
            channels=[channel.channel_id], completed=True,
        )  # fmt: skip
        self.files[file_id] = record
        message = SlackMessage(
            self._ts(), channel.channel_id, team, user, None, text, [], files=[record],
            seq=self._tick(),
        )  # fmt: skip
        channel.add(message)
        self._changed(team, user)
        event = {
            "type": "message",
            "subtype": "file_share",
            "channel": channel.channel_id,
            "user": user,
            "text": text,
            "ts": message.ts,
            "event_ts": message.ts,
            "channel_type": "im",
            "team": team,
            "upload": True,
            "display_as_bot": False,
            "files": [{**record.to_api(self.root), "user": user, "mode": "hosted"}],
        }
        return await self.event(team, user, event, **sign_opts)

    async def app_home_opened(self, team: str, user: str, **sign_opts: Any) -> Reply:
        t = self.team(team)
        event: JSON = {
            "type": "app_home_opened",
            "channel": self._dm(t, user).channel_id,
            "tab": "home",
        }
        home = t.homes.get(user)
        if home is not None:
            event["view"] = home.to_api(t.bot_id)
        return await self.event(team, user, event, **sign_opts)

    async def url_verification(self, challenge: str | None = None, **sign_opts: Any) -> Reply:
        """Slack's check of a new Request URL: the app must echo the challenge."""
        body = {
            "token": self.VERIFICATION_TOKEN,
            "challenge": challenge or uuid.uuid4().hex,
            "type": "url_verification",
        }
        record = SentRequest("url_verification", "", json.dumps(body), _JSON)
        return await self._deliver(record, **sign_opts)

    async def send_raw(self, body: str, content_type: str = _JSON, **sign_opts: Any) -> Reply:
        """POST any body to the app, signed unless sign=False (for forgeries)."""
        return await self._deliver(SentRequest("raw", "", body, content_type), **sign_opts)

    async def redeliver(
        self,
        request: SentRequest | None = None,
        retry_num: int = 1,
        reason: str = "http_timeout",
        **sign_opts: Any,
    ) -> Reply:
        """Send the same body again (fresh timestamp and signature) with ``X-Slack-Retry-Num``
        and ``X-Slack-Retry-Reason``, as Slack does when an event was not acknowledged."""
        original = request or self.last_request
        record = SentRequest(
            original.kind, "", original.body, original.content_type, original.team,
            original.user, retry_num=retry_num,
        )  # fmt: skip
        return await self._deliver(record, reason=reason, **sign_opts)

    # ---------------------------------------------------------------------------------------
    # Waiting for outcomes

    async def wait_for(
        self,
        predicate: Callable[[], _T | None],
        timeout: float = 5.0,  # noqa: ASYNC109
        what: str = "",
        *,
        person: tuple[str, str] | None = None,
    ) -> _T:
        """Wait until predicate() is truthy and give its value; TimeoutError shows the state.

        With person=(team, user) only changes for that person (their DM, Home, deliveries)
        wake the waiter: use it when many people wait at once."""
        signal = self._signal(person) if person else self._any
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
            await signal.wait(min(remaining, self.poll_interval))

    async def wait_bot_message(
        self,
        team: str,
        user: str,
        *,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SlackMessage:
        """The bot message posted or edited most recently, once that happened after `since`
        (a value of ``slack.seq``; default: the person's last action)."""
        channel = self.dm(team, user)
        mark = self.person(team, user).last_action if since is None else since

        def changed() -> SlackMessage | None:
            last = channel.last_changed()
            return last if last is not None and last.seq > mark else None

        return await self.wait_for(changed, timeout, f"bot message for {team}/{user}",
                                   person=(team, user))  # fmt: skip

    async def wait_home(
        self,
        team: str,
        user: str,
        *,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> HomeView:
        """The App Home, once published after `since` (default: the person's last action)."""
        mark = self.person(team, user).last_action if since is None else since

        def published() -> HomeView | None:
            home = self.home(team, user)
            return home if home is not None and home.seq > mark else None

        return await self.wait_for(published, timeout, f"Home of {team}/{user}",
                                   person=(team, user))  # fmt: skip

    async def wait_calls(
        self,
        method: str,
        n: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        await self.wait_for(lambda: self.calls[method] >= n, timeout, f"{n} calls of {method}")

    @property
    def seq(self) -> int:
        """The change counter: pass it as `since` to wait for changes after this point."""
        return self._seq

    # ---------------------------------------------------------------------------------------
    # Platform plumbing

    def _act(self, team: str, user: str) -> Person:
        person = self.add_user(team, user)
        person.last_action = self._tick()
        return person

    def _trigger_id(self) -> str:
        n = next(self._counter)
        return f"{n}.{1000 + n}.{uuid.uuid4().hex}"

    def _response_url(self, team: str, user: str, channel: Channel, ts: str | None) -> str:
        key = uuid.uuid4().hex
        self.response_urls[key] = ResponseUrl(key, team, user, channel.channel_id, ts)
        return f"{self.root}/response/{key}"

    def _find_target(self, team: str, user: str, action: str | Button) -> SlackMessage | HomeView:
        key = action.action_id if isinstance(action, Button) else action
        candidates: list[SlackMessage | HomeView] = list(reversed(self.dm(team, user).visible()))
        home = self.home(team, user)
        if home is not None:
            candidates.append(home)
        for candidate in candidates:
            if any(key in (b.action_id, b.text) for b in candidate.buttons):
                return candidate
        raise LookupError(f"no button {key!r} shown to {team}/{user}\n{self.debug_dump()}")

    @staticmethod
    def _element(blocks: list[JSON], button: Button) -> JSON:
        for block in blocks:
            if block.get("block_id") != button.block_id:
                continue
            for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
                if element.get("action_id") == button.action_id:
                    return dict(element)
        return {}

    async def _deliver(
        self,
        record: SentRequest,
        *,
        sign: bool = True,
        secret: str | None = None,
        stale: bool = False,
        reason: str = "http_timeout",
    ) -> Reply:
        if self.app_url is None or self._session is None:
            raise RuntimeError("call connect_app(url) after starting FakeSlack")
        record.url = self.app_url
        timestamp = str(int(time.time()) - (360 if stale else 0))
        headers = {
            "Content-Type": record.content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        if sign:
            headers["X-Slack-Signature"] = signature(
                secret or self.signing_secret, timestamp, record.body
            )
        if record.retry_num:
            headers["X-Slack-Retry-Num"] = str(record.retry_num)
            headers["X-Slack-Retry-Reason"] = reason
        self.deliveries.append(record)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with self._session.post(
                record.url,
                data=record.body.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout),
            ) as response:
                record.response = await response.text()
                record.status = response.status
                record.response_type = response.content_type
        except (aiohttp.ClientError, TimeoutError) as exc:
            record.error = f"connection failed: {exc.__class__.__name__}"
        record.elapsed = loop.time() - started
        if record.elapsed > _SLACK_TIMEOUT and record.error is None:
            record.error = "operation_timeout"
        elif record.status not in (0, 200) and record.error is None:
            record.error = f"http_error_{record.status}"
        self._changed(record.team, record.user)
        return Reply(record.status, record.response)

    # ---------------------------------------------------------------------------------------
    # response_url

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        entry = self.response_urls.get(request.match_info["key"])
        if entry is None:
            return web.json_response({"ok": False, "error": "no_such_url"}, status=404)
        if time.monotonic() - entry.created > RESPONSE_URL_SECONDS:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        if entry.uses >= RESPONSE_URL_USES:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        raw = await request.text()
        try:
            if request.content_type == "application/json" or raw.lstrip().startswith("{"):
                payload = json.loads(raw)
            else:
                payload = json.loads(dict(parse_qsl(raw)).get("payload", "{}"))
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        entry.uses += 1
        entry.posts.append(payload)
        channel = self._channels[entry.channel]
        try:
            self._apply_response(
                entry.team, entry.user, channel, entry.message_ts, payload, "response_url"
            )
        except ApiError as exc:
            return web.json_response(exc.payload(), status=400)
        return web.json_response({"ok": True})

    def _apply_response(
        self,
        team: str,
        user: str,
        channel: Channel,
        message_ts: str | None,
        payload: JSON,
        via: str,
    ) -> None:
        """What Slack does with a response_url post or a slash command's immediate answer."""
        t = self.team(team)
        params = Params(payload)
        source = channel.find(message_ts) if message_ts else None
        if params.get_bool("delete_original"):
            if source is None:
                raise ApiError("message_not_found")
            source.deleted = True
            source.seq = self._tick()
        else:
            text = params.get_str("text") or ""
            blocks = self._blocks(t, params)
            if not text and not blocks:
                raise ApiError("no_text")
            if params.get_bool("replace_original") and source is not None:
                source.replace(text, blocks or [], self._tick())
            else:
                ephemeral = None if payload.get("response_type") == "in_channel" else user
                message = self._new_message(t, channel, text, blocks or [], ephemeral_for=ephemeral)
                message.via = via
        self._changed(team, user)
