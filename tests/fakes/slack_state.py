"""State, Block Kit rules and Web API methods of the fake Slack (slack_api.py is the front).

Teams, people, DM channels, messages, App Home views, files; the Web API error answers, request
signing, and the Block Kit limits Slack enforces with the error texts Slack gives
(``must be less than 26 items [json-pointer:/blocks/0/elements]``); and `SlackServer`, the Web
API methods the app calls. The simulated people, the signed requests to the app and the waits
live in ``slack_api.py``.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import hashlib
import hmac
import itertools
import json
import mimetypes
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

JSON = dict[str, Any]

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ID = 255  # action_id and block_id
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_URL = 3000
MAX_ALT_TEXT = 2000
MAX_MESSAGE_TEXT = 40_000
RESPONSE_URL_USES = 5
DOWNLOAD = "files.download"  # not a Web API method: the GET of a file's url_private
SIGN_IN_PAGE = "<!DOCTYPE html><html><title>Slack</title><body>Sign in to Slack</body></html>"
RESPONSE_URL_SECONDS = 30 * 60
SIGNATURE_MAX_AGE = 5 * 60

BLOCK_TYPES = {
    "section", "actions", "context", "header", "divider", "image", "input", "rich_text", "file",
    "video", "markdown", "context_actions",
}  # fmt: skip


class ApiError(Exception):
    """A Web API error answer: ``{"ok": false, "error": ...}`` (HTTP 200 unless status says)."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        messages: list[str] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = messages or []
        self.retry_after = retry_after

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error": self.error}
        if self.messages:
            if self.error == "invalid_blocks":
                body["errors"] = list(self.messages)
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def signature(secret: str, timestamp: str, body: str) -> str:
    """``v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))`` as Slack signs requests."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class Params:
    """The merged query, form and JSON fields of one Web API call."""

    def __init__(self, values: JSON) -> None:
        self.values = values

    def get_str(self, key: str) -> str | None:
        value = self.values.get(key)
        if value is None or value == "":
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_bool(self, key: str) -> bool:
        return self.values.get(key) in (True, "true", "1", 1, "True")

    def get_json(self, key: str, error: str = "invalid_arguments") -> Any:
        value = self.values.get(key)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(error, messages=[f"invalid JSON in {key}"]) from None

    def public(self) -> JSON:
        return {k: v for k, v in self.values.items() if k != "token"}


# --------------------------------------------------------------------------------------------
# Block Kit


class Button(NamedTuple):
    """A button as the person sees it: ``text, action_id, value, block_id`` and, for a link
    button, the address Slack opens when it is clicked."""

    text: str
    action_id: str
    value: str | None
    block_id: str
    url: str | None = None


def _too_many(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} items [json-pointer:{pointer}]"


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _text_errors(obj: Any, pointer: str, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return [f"must provide an object [json-pointer:{pointer}]"]
    kinds = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if obj.get("type") not in kinds:
        return [f"must be one of {sorted(kinds)} [json-pointer:{pointer}/type]"]
    if not obj["text"]:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(obj["text"]) > limit:
        return [_too_long(limit, f"{pointer}/text")]
    return []


def _element_errors(element: Any, pointer: str) -> list[str]:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        return [f"must provide an object with a type [json-pointer:{pointer}]"]
    errors: list[str] = []
    action_id = element.get("action_id")
    if action_id is not None and (not isinstance(action_id, str) or len(action_id) > MAX_ID):
        errors.append(_too_long(MAX_ID, f"{pointer}/action_id"))
    if element["type"] == "button":
        errors += _text_errors(element.get("text"), f"{pointer}/text", MAX_BUTTON_TEXT, True)
        value = element.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_BUTTON_VALUE):
            errors.append(_too_long(MAX_BUTTON_VALUE, f"{pointer}/value"))
        if len(str(element.get("url", ""))) > MAX_URL:
            errors.append(_too_long(MAX_URL, f"{pointer}/url"))
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")
    return errors


def block_errors(
    blocks: Any, limit: int, known_files: set[str], root: str = "/blocks"
) -> list[str]:
    """Slack's complaints about a list of blocks (empty when Slack would accept it)."""
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{root}]"]
    if len(blocks) > limit:
        return [_too_many(limit, root)]
    errors: list[str] = []
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{root}/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            errors.append(f"unsupported type [json-pointer:{at}/type]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > MAX_ID:
                errors.append(_too_long(MAX_ID, f"{at}/block_id"))
            elif block_id in block_ids:
                errors.append(f"duplicate block_id [json-pointer:{at}/block_id]")
            block_ids.add(str(block_id))
        errors += _block_errors(block, at, known_files)
    return errors


def _block_errors(block: JSON, at: str, known_files: set[str]) -> list[str]:
    kind = block["type"]
    errors: list[str] = []
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"must provide text or fields [json-pointer:{at}]")
        if "text" in block:
            errors += _text_errors(block["text"], f"{at}/text", MAX_SECTION_TEXT)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > MAX_SECTION_FIELDS:
            errors.append(_too_many(MAX_SECTION_FIELDS, f"{at}/fields"))
        else:
            for j, item in enumerate(fields):
                errors += _text_errors(item, f"{at}/fields/{j}", MAX_FIELD_TEXT)
        if "accessory" in block:
            errors += _element_errors(block["accessory"], f"{at}/accessory")
    elif kind in ("actions", "context"):
        limit = MAX_ACTIONS_ELEMENTS if kind == "actions" else MAX_CONTEXT_ELEMENTS
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            return [f"must provide a non-empty array [json-pointer:{at}/elements]"]
        if len(elements) > limit:
            return [_too_many(limit, f"{at}/elements")]
        seen: set[str] = set()
        for j, element in enumerate(elements):
            errors += _element_errors(element, f"{at}/elements/{j}")
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if isinstance(action_id, str):
                if action_id in seen:
                    errors.append(f"duplicate action_id [json-pointer:{at}/elements/{j}]")
                seen.add(action_id)
    elif kind == "header":
        errors += _text_errors(block.get("text"), f"{at}/text", MAX_HEADER_TEXT, True)
    elif kind == "image":
        if len(str(block.get("alt_text", ""))) not in range(1, MAX_ALT_TEXT + 1):
            errors.append(f"must provide alt_text [json-pointer:{at}/alt_text]")
        slack_file = block.get("slack_file")
        if isinstance(slack_file, dict):
            if slack_file.get("id") not in known_files and not slack_file.get("url"):
                errors.append(f"invalid slack_file [json-pointer:{at}/slack_file]")
        elif not block.get("image_url"):
            errors.append(f"must provide image_url or slack_file [json-pointer:{at}]")
    return errors


class _Ids:
    """Short ids Slack makes up for blocks and actions given none (like ``aB3x``)."""

    _ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def __init__(self) -> None:
        self._n = itertools.count(1000)

    def next(self) -> str:
        n, out = next(self._n), ""
        while n:
            n, r = divmod(n, len(self._ALPHABET))
            out += self._ALPHABET[r]
        return out


_ids = _Ids()


def normalize_blocks(blocks: list[JSON]) -> list[JSON]:
    """A copy with the block_id and action_id Slack fills in when they are missing."""
    result = copy.deepcopy(blocks)
    for block in result:
        block.setdefault("block_id", _ids.next())
        elements = list(block.get("elements") or []) if block["type"] == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") != "image":
                element.setdefault("action_id", _ids.next())
    return result


def buttons_of(blocks: list[JSON]) -> list[Button]:
    found: list[Button] = []
    for block in blocks:
        elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                found.append(
                    Button(
                        element["text"]["text"],
                        element["action_id"],
                        element.get("value"),
                        block["block_id"],
                        element.get("url"),
                    )
                )
    return found


def find_button(buttons: list[Button], key: str, where: str) -> Button:
    """The button with this action_id, else the one with this text."""
    for button in buttons:
        if button.action_id == key:
            return button
    for button in buttons:
        if button.text == key:
            return button
    raise LookupError(f"no button {key!r} on {where}; it has {buttons}")


def block_text(blocks: list[JSON]) -> str:
    """The visible text of blocks, one line per text object (for transcripts and asserts)."""
    lines: list[str] = []
    for block in blocks:
        for obj in [block.get("text"), *(block.get("fields") or [])]:
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                lines.append(obj["text"])
        if block.get("type") == "context":
            lines += [
                e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)
            ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Teams, people, channels


@dataclass(slots=True)
class Person:
    team: str
    user_id: str
    name: str
    real_name: str
    tz: str = "Europe/Berlin"
    locale: str = "en-US"
    last_action: int = 0  # the change counter when the person last did something

    def user_json(self) -> JSON:
        return {"id": self.user_id, "username": self.name, "name": self.name, "team_id": self.team}

    def info_json(self) -> JSON:
        return {
            "id": self.user_id,
            "team_id": self.team,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_bot": False,
            "tz": self.tz,
            "locale": self.locale,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "team": self.team,
            },
        }


@dataclass(slots=True)
class FileRecord:
    file_id: str
    team: str
    name: str
    length: int
    content: bytes | None = field(default=None, repr=False)
    title: str | None = None
    mimetype: str = "application/octet-stream"
    channels: list[str] = field(default_factory=list)
    completed: bool = False

    def to_api(self, root: str) -> JSON:
        url = f"{root}/files/{self.file_id}/{self.name}"
        return {
            "id": self.file_id,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": self.mimetype,
            "size": len(self.content or b""),
            "url_private": url,
            "url_private_download": url,
            "permalink": url,
            "channels": list(self.channels),
        }


@dataclass(slots=True)
class SlackMessage:
    """One message in a channel as Slack stores it (blocks with the filled-in ids)."""

    ts: str
    channel: str
    team: str
    user: str
    bot_id: str | None
    text: str
    blocks: list[JSON]
    thread_ts: str | None = None
    ephemeral_for: str | None = None
    files: list[FileRecord] = field(default_factory=list)
    edits: int = 0
    history: list[tuple[str, list[JSON]]] = field(default_factory=list)
    deleted: bool = False
    seq: int = 0  # the change counter when this message was posted or last changed
    via: str = "api"  # api, response_url or immediate (the HTTP answer to a slash command)

    @property
    def from_bot(self) -> bool:
        return self.bot_id is not None

    @property
    def buttons(self) -> list[Button]:
        return buttons_of(self.blocks)

    @property
    def all_text(self) -> str:
        """text plus the visible text of the blocks."""
        shown = block_text(self.blocks)
        return f"{self.text}\n{shown}" if shown else self.text

    def button(self, key: str) -> Button:
        """The button with this action_id, else with this text."""
        return find_button(self.buttons, key, f"message {self.ts}")

    def replace(self, text: str, blocks: list[JSON], seq: int) -> None:
        self.history.append((self.text, self.blocks))
        self.text, self.blocks, self.seq = text, blocks, seq
        self.edits += 1

    def to_api(self) -> JSON:
        body: JSON = {"type": "message", "text": self.text, "user": self.user, "ts": self.ts}
        body["team"] = self.team
        if self.bot_id:
            body.update(bot_id=self.bot_id, app_id=APP_ID)
        if self.blocks:
            body["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.files:
            body["files"] = [{"id": f.file_id, "name": f.name} for f in self.files]
        if self.edits:
            body["edited"] = {"user": self.user, "ts": self.ts}
        return body


@dataclass(slots=True)
class Channel:
    """The DM between the app and one person: every message, ephemeral ones included."""

    channel_id: str
    team: str
    user: str
    messages: list[SlackMessage] = field(default_factory=list)
    index: dict[str, SlackMessage] = field(default_factory=dict)
    opened: bool = False  # by conversations.open or a first message

    def __iter__(self) -> Iterator[SlackMessage]:
        return iter(self.visible())

    def __len__(self) -> int:
        return len(self.visible())

    def add(self, message: SlackMessage) -> SlackMessage:
        self.opened = True
        self.messages.append(message)
        self.index[message.ts] = message
        return message

    def find(self, ts: str) -> SlackMessage | None:
        message = self.index.get(ts)
        return message if message is not None and not message.deleted else None

    def visible(self) -> list[SlackMessage]:
        return [m for m in self.messages if not m.deleted]

    def bot_messages(self, ephemeral: bool = True) -> list[SlackMessage]:
        return [m for m in self.visible() if m.from_bot and (ephemeral or not m.ephemeral_for)]

    def user_messages(self) -> list[SlackMessage]:
        return [m for m in self.visible() if not m.from_bot]

    def last_bot_message(self, ephemeral: bool = True) -> SlackMessage | None:
        found = self.bot_messages(ephemeral)
        return found[-1] if found else None

    def last_changed(self) -> SlackMessage | None:
        """The bot message posted or edited most recently."""
        found = self.bot_messages()
        return max(found, key=lambda m: m.seq) if found else None

    def transcript(self) -> str:
        lines = []
        for m in self.visible():
            who = "bot" if m.from_bot else m.user
            flags = (" (ephemeral)" if m.ephemeral_for else "") + (
                f" (edited {m.edits}x)" if m.edits else ""
            )
            buttons = f" [{' | '.join(b.text for b in m.buttons)}]" if m.buttons else ""
            lines.append(f"{m.ts} {who}{flags}: {m.all_text!r}{buttons}")
        return "\n".join(lines) or "(no messages)"


@dataclass(slots=True)
class HomeView:
    """The App Home a person sees (the last view published for them)."""

    view_id: str
    team: str
    user: str
    view: JSON
    hash: str
    published: int = 1
    seq: int = 0

    @property
    def blocks(self) -> list[JSON]:
        blocks: list[JSON] = self.view.get("blocks", [])
        return blocks

    @property
    def buttons(self) -> list[Button]:
        return buttons_of(self.blocks)

    @property
    def text(self) -> str:
        return block_text(self.blocks)

    def button(self, key: str) -> Button:
        return find_button(self.buttons, key, f"the Home of {self.user}")

    def to_api(self, bot_id: str) -> JSON:
        return {
            "id": self.view_id,
            "team_id": self.team,
            "type": "home",
            "blocks": copy.deepcopy(self.blocks),
            "private_metadata": self.view.get("private_metadata", ""),
            "callback_id": self.view.get("callback_id", ""),
            "external_id": self.view.get("external_id", ""),
            "state": {"values": {}},
            "hash": self.hash,
            "title": self.view.get("title"),
            "app_id": APP_ID,
            "bot_id": bot_id,
            "root_view_id": self.view_id,
            "previous_view_id": None,
        }


APP_ID = "A0TAPMARK1"


@dataclass(slots=True)
class Team:
    team_id: str
    domain: str
    token: str
    bot_user_id: str
    bot_id: str
    people: dict[str, Person] = field(default_factory=dict)
    dms: dict[str, Channel] = field(default_factory=dict)  # by user id
    homes: dict[str, HomeView] = field(default_factory=dict)  # by user id

    def auth_json(self) -> JSON:
        return {
            "url": f"https://{self.domain}.slack.com/",
            "team": self.domain.title(),
            "user": "tapmark",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }


def dm_id(team: str, user: str) -> str:
    """A DM channel id, stable per (team, user)."""
    return "D" + hashlib.sha1(f"{team}:{user}".encode()).hexdigest()[:10].upper()


# --------------------------------------------------------------------------------------------
# Records of traffic


@dataclass(slots=True)
class ApiCall:
    """One Web API call the app made, with the answer it got."""

    team: str | None
    method: str
    params: JSON
    status: int = 200
    error: str | None = None
    response: JSON = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.error is None


@dataclass(slots=True)
class SentRequest:
    """One signed request the fake platform POSTed to the app, and the app's answer."""

    kind: str  # slash_command, block_actions, event_callback, url_verification, raw
    url: str
    body: str
    content_type: str
    team: str | None = None
    user: str | None = None
    retry_num: int = 0
    status: int = 0
    response: str = ""
    response_type: str = ""
    elapsed: float = 0.0
    error: str | None = None  # what Slack would show or log (timeout, bad status)

    @property
    def response_json(self) -> Any:
        try:
            return json.loads(self.response) if self.response else None
        except ValueError:
            return None


class Reply(NamedTuple):
    """What a delivery to the app returned: HTTP status and the response body."""

    status: int
    body: str


@dataclass(slots=True)
class ResponseUrl:
    token: str
    team: str
    user: str
    channel: str
    message_ts: str | None
    created: float = field(default_factory=time.monotonic)
    uses: int = 0
    posts: list[JSON] = field(default_factory=list)


class Signal:
    """An asyncio.Event re-armed on each fire: wakes only the tasks waiting on this signal."""

    __slots__ = ("_event",)

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


# --------------------------------------------------------------------------------------------
# The Web API: the state of a whole fake Slack and the methods the app calls

Handler = Callable[[Team, Params], Awaitable[JSON]]


class SlackServer:
    """Teams, DMs, Homes and files, changed only through the Web API methods below.

    FakeSlack (slack_api.py) adds the HTTP server, the simulated people and the waits."""

    def __init__(self) -> None:
        self.root = ""
        self.teams: dict[str, Team] = {}
        self.files: dict[str, FileRecord] = {}
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests: list[ApiCall] = []
        self.listeners: list[Callable[[ApiCall], None]] = []
        """Called with every answered Web API call: cheaper than `wait_for` for many waiters."""
        self._channels: dict[str, Channel] = {}
        self._faults: dict[str, collections.deque[ApiError]] = collections.defaultdict(
            collections.deque
        )
        self._delays: dict[str, float] = {}
        self._signals: dict[tuple[str, str], Signal] = {}
        self._any = Signal()
        self._seq = 0
        self._last_micro = 0
        self._numbers = itertools.count(1)
        self._handlers: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # ---------------------------------------------------------------------------------------
    # Change tracking

    def _tick(self) -> int:
        self._seq += 1
        return self._seq

    def _ts(self) -> str:
        """A message timestamp: unique and increasing, like ``1700000000.000100``."""
        micro = max(int(time.time() * 1_000_000), self._last_micro + 1)
        self._last_micro = micro
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    def _signal(self, person: tuple[str, str]) -> Signal:
        signal = self._signals.get(person)
        if signal is None:
            signal = self._signals[person] = Signal()
        return signal

    def _changed(self, team: str | None, user: str | None) -> None:
        """Wake whoever waits on this person, and the (few) waiters on anything."""
        if team is not None and user is not None:
            signal = self._signals.get((team, user))
            if signal is not None:
                signal.fire()
        self._any.fire()

    def team(self, team_id: str) -> Team:
        """The team (workspace) with this id; made, with its own bot token, on first use."""
        team = self.teams.get(team_id)
        if team is None:
            n = len(self.teams) + 1
            team = Team(
                team_id,
                domain=f"team{team_id.lower()}",
                token=f"xoxb-{1000 + n}-{2000 + n}-fakeToken{team_id}",
                bot_user_id=f"UB0T{team_id}",
                bot_id=f"B0T{team_id}",
            )
            self.teams[team_id] = team
        return team

    def _dm(self, team: Team, user: str) -> Channel:
        channel = team.dms.get(user)
        if channel is None:
            channel = Channel(dm_id(team.team_id, user), team.team_id, user)
            team.dms[user] = channel
            self._channels[channel.channel_id] = channel
        return channel

    # ---------------------------------------------------------------------------------------
    # HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(None, method, {})
        self.requests.append(call)
        self.calls[method] += 1
        headers: dict[str, str] = {}
        try:
            params, token = await self._read_params(request)
            call.params = params.public()
            if self._delays.get(method):
                await asyncio.sleep(self._delays[method])
            if self._faults[method]:
                raise self._faults[method].popleft()
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiError("unknown_method")
            team = self._auth(request, token)
            call.team = team.team_id
            body: JSON = {"ok": True, **await handler(team, params)}
            status = 200
        except ApiError as error:
            body, status, headers = error.payload(), error.status, error.headers()
            call.error = error.error
        call.status, call.response = status, body
        for listener in self.listeners:
            listener(call)
        self._any.fire()
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    async def _read_params(request: web.Request) -> tuple[Params, str | None]:
        """Query string, form (urlencoded or multipart) or JSON; and a token sent as a field."""
        values: JSON = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError("invalid_json") from None
                if not isinstance(body, dict):
                    raise ApiError("json_not_object")
                token = values.get("token")
                values.update(body)
                values.pop("token", None)
                if token:
                    values["token"] = token
            else:
                form = await request.post()
                for key, value in form.items():
                    if not isinstance(value, web.FileField):
                        values[key] = value if isinstance(value, str) else value.decode()
        token = values.get("token")
        return Params(values), token if isinstance(token, str) else None

    def _auth(self, request: web.Request, field_token: str | None) -> Team:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        token = token or field_token
        if not token:
            raise ApiError("not_authed")
        for team in self.teams.values():
            if team.token == token and token.startswith("xoxb-"):
                return team
        raise ApiError("invalid_auth")

    async def _handle_upload(self, request: web.Request) -> web.Response:
        record = self.files.get(request.match_info["file_id"])
        if record is None or record.completed:
            return web.Response(status=404, text="file_not_found", content_type="text/plain")
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            uploads = [v for v in form.values() if isinstance(v, web.FileField)]
            content = uploads[0].file.read() if uploads else b""
        else:
            content = await request.read()
        record.content = content
        self._any.fire()
        return web.Response(text=f"OK - {len(content)}", content_type="text/plain")

    async def _handle_download(self, request: web.Request) -> web.Response:
        record = self.files.get(request.match_info["file_id"])
        try:
            team = self._auth(request, None)
        except ApiError:
            return web.Response(status=403, text="not_authed")
        if record is None or record.content is None or record.team != team.team_id:
            return web.Response(status=404, text="file_not_found")
        if self._faults[DOWNLOAD]:  # see FakeSlack.fail_next
            fault = self._faults[DOWNLOAD].popleft()
            if fault.status == 200:  # what Slack serves a token without files:read
                return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
            return web.Response(status=fault.status, text=fault.error)
        return web.Response(body=record.content, content_type=record.mimetype)

    # ---------------------------------------------------------------------------------------
    # Shared checks

    def _channel(self, team: Team, params: Params, key: str = "channel") -> Channel:
        """A DM by id, or by the person's user id (Slack then posts in the app's DM)."""
        value = params.get_str(key)
        if not value:
            raise ApiError("channel_not_found")
        if value in team.people:
            return self._dm(team, value)
        channel = self._channels.get(value)
        if channel is None or channel.team != team.team_id:
            raise ApiError("channel_not_found")
        return channel

    def _blocks(
        self, team: Team, params: Params, limit: int = MAX_BLOCKS_MESSAGE
    ) -> list[JSON] | None:
        raw = params.get_json("blocks", "invalid_blocks_format")
        if raw is None:
            return None
        known = {f.file_id for f in self.files.values() if f.completed and f.team == team.team_id}
        errors = block_errors(raw, limit, known)
        if errors:
            raise ApiError("invalid_blocks", messages=errors)
        return normalize_blocks(raw)

    def _content(self, team: Team, params: Params) -> tuple[str, list[JSON] | None]:
        text = params.get_str("text") or ""
        blocks = self._blocks(team, params)
        if not text and not blocks:
            raise ApiError("no_text")
        if len(text) > MAX_MESSAGE_TEXT:
            raise ApiError("msg_too_long")
        return text, blocks

    def _new_message(
        self,
        team: Team,
        channel: Channel,
        text: str,
        blocks: list[JSON],
        *,
        ephemeral_for: str | None = None,
        thread_ts: str | None = None,
    ) -> SlackMessage:
        message = SlackMessage(
            self._ts(), channel.channel_id, team.team_id, team.bot_user_id, team.bot_id, text,
            blocks, thread_ts=thread_ts, ephemeral_for=ephemeral_for, seq=self._tick(),
        )  # fmt: skip
        channel.add(message)
        self._changed(team.team_id, channel.user)
        return message

    def _own_message(self, team: Team, channel: Channel, ts: str | None, verb: str) -> SlackMessage:
        message = channel.find(ts) if ts else None
        if message is None or message.ephemeral_for is not None:
            raise ApiError("message_not_found")
        if message.bot_id != team.bot_id:
            raise ApiError(f"cant_{verb}_message")
        return message

    # ---------------------------------------------------------------------------------------
    # Methods

    async def _auth_test(self, team: Team, params: Params) -> JSON:
        return team.auth_json()

    async def _conversations_open(self, team: Team, params: Params) -> JSON:
        users = [u for u in (params.get_str("users") or "").split(",") if u]
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) > 1:
            raise ApiError("not_supported", messages=["the fake knows only 1:1 DMs"])
        if users[0] == team.bot_user_id:
            raise ApiError("cannot_dm_bot")
        if users[0] not in team.people:
            raise ApiError("user_not_found")
        channel = self._dm(team, users[0])
        flags = {"no_op": True, "already_open": True} if channel.opened else {}
        channel.opened = True
        return {**flags, "channel": {"id": channel.channel_id}}

    async def _chat_post_message(self, team: Team, params: Params) -> JSON:
        channel = self._channel(team, params)
        text, blocks = self._content(team, params)
        message = self._new_message(
            team, channel, text, blocks or [], thread_ts=params.get_str("thread_ts")
        )
        return {"channel": channel.channel_id, "ts": message.ts, "message": message.to_api()}

    async def _chat_update(self, team: Team, params: Params) -> JSON:
        channel = self._channel(team, params)
        message = self._own_message(team, channel, params.get_str("ts"), "update")
        text = params.get_str("text")
        blocks = self._blocks(team, params)
        if text is None and blocks is None:
            raise ApiError("no_text")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise ApiError("msg_too_long")
        # Slack keeps what is not sent: the blocks unless given (an empty list removes them).
        new_text = message.text if text is None else text
        message.replace(new_text, message.blocks if blocks is None else blocks, self._tick())
        self._changed(team.team_id, channel.user)
        return {
            "channel": channel.channel_id,
            "ts": message.ts,
            "text": message.text,
            "message": message.to_api(),
        }

    async def _chat_post_ephemeral(self, team: Team, params: Params) -> JSON:
        channel = self._channel(team, params)
        user = params.get_str("user")
        if not user or user not in team.people:
            raise ApiError("user_not_found")
        if user != channel.user:
            raise ApiError("user_not_in_channel")
        text, blocks = self._content(team, params)
        message = self._new_message(team, channel, text, blocks or [], ephemeral_for=user)
        return {"message_ts": message.ts}

    async def _chat_delete(self, team: Team, params: Params) -> JSON:
        channel = self._channel(team, params)
        message = self._own_message(team, channel, params.get_str("ts"), "delete")
        message.deleted, message.seq = True, self._tick()
        self._changed(team.team_id, channel.user)
        return {"channel": channel.channel_id, "ts": message.ts}

    async def _views_publish(self, team: Team, params: Params) -> JSON:
        user = params.get_str("user_id")
        if not user or user not in team.people:
            raise ApiError("user_not_found")
        view = params.get_json("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError(
                "invalid_arguments", messages=["must be a home view [json-pointer:/view]"]
            )
        known = {f.file_id for f in self.files.values() if f.completed and f.team == team.team_id}
        errors = block_errors(view.get("blocks", []), MAX_BLOCKS_VIEW, known, "/view/blocks")
        if errors:
            # Slack answers bad blocks in a view with invalid_arguments (not invalid_blocks).
            raise ApiError("invalid_arguments", messages=errors)
        home = team.homes.get(user)
        wanted_hash = params.get_str("hash")
        if wanted_hash and home is not None and wanted_hash != home.hash:
            raise ApiError("hash_conflict")
        view = {**view, "blocks": normalize_blocks(view.get("blocks", []))}
        new_hash = f"{int(time.time())}.{next(self._numbers):08d}"
        if home is None:
            view_id = "V" + hashlib.sha1(f"{team.team_id}:{user}".encode()).hexdigest()[:10].upper()
            home = team.homes[user] = HomeView(view_id, team.team_id, user, view, new_hash, 0)
        home.view, home.hash, home.seq = view, new_hash, self._tick()
        home.published += 1
        self._changed(team.team_id, user)
        return {"view": home.to_api(team.bot_id)}

    async def _users_info(self, team: Team, params: Params) -> JSON:
        user = params.get_str("user")
        if user == team.bot_user_id:
            return {"user": {"id": user, "team_id": team.team_id, "name": "tapmark", "is_bot": True,
                             "deleted": False, "profile": {"bot_id": team.bot_id}}}  # fmt: skip
        person = team.people.get(user or "")
        if person is None:
            raise ApiError("user_not_found")
        info = person.info_json()
        if not params.get_bool("include_locale"):
            info.pop("locale")
        return {"user": info}

    async def _files_get_upload_url(self, team: Team, params: Params) -> JSON:
        filename = params.get_str("filename")
        length = params.get_str("length")
        if not filename or not length or not length.isdigit() or int(length) < 1:
            raise ApiError("invalid_arguments", messages=["filename and length are required"])
        file_id = f"F{next(self._numbers):09d}"
        mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        self.files[file_id] = FileRecord(file_id, team.team_id, filename, int(length),
                                         mimetype=mimetype)  # fmt: skip
        return {"upload_url": f"{self.root}/upload/v1/{file_id}", "file_id": file_id}

    async def _files_complete_upload(self, team: Team, params: Params) -> JSON:
        items = params.get_json("files")
        if not isinstance(items, list) or not items:
            raise ApiError("invalid_arguments", messages=["files must be a non-empty array"])
        records: list[FileRecord] = []
        for item in items:
            record = self.files.get(str(item.get("id")) if isinstance(item, dict) else "")
            if record is None or record.team != team.team_id or record.completed:
                raise ApiError("file_not_found")
            if record.content is None:
                raise ApiError("file_upload_incomplete")
            records.append(record)
        channel = None
        if params.get_str("channel_id") or params.get_str("channels"):
            key = "channel_id" if params.get_str("channel_id") else "channels"
            first = (params.get_str(key) or "").split(",")[0]
            channel = self._channel(team, Params({key: first}), key)
        for record, item in zip(records, items, strict=True):
            record.completed = True
            record.title = item.get("title") or record.name
        if channel is not None:
            message = self._new_message(
                team, channel, params.get_str("initial_comment") or "", [],
                thread_ts=params.get_str("thread_ts"),
            )  # fmt: skip
            message.files = records
            for record in records:
                record.channels.append(channel.channel_id)
        return {"files": [r.to_api(self.root) for r in records]}

    async def _files_info(self, team: Team, params: Params) -> JSON:
        record = self.files.get(params.get_str("file") or "")
        if record is None or record.team != team.team_id or not record.completed:
            raise ApiError("file_not_found")
        return {"file": record.to_api(self.root)}
