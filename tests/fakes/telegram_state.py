"""State, limits and text rules of the fake Telegram Bot API server (see telegram_api.py).

Plain data and pure functions: what each bot and chat holds, what a person sees, and the checks
the real Bot API applies to what a bot sends (lengths, keyboards, parse modes), with the error
descriptions the real server gives. The HTTP side lives in ``telegram_api.py``.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_TOAST = 200
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_BUTTONS_PER_ROW = 8
MAX_UPLOAD = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code", "description", ...}``."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def too_many_requests(retry_after: float) -> ApiError:
    shown = int(retry_after) if float(retry_after).is_integer() else retry_after
    return ApiError(429, f"Too Many Requests: retry after {shown}", {"retry_after": shown})


def now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------------------------
# What a person sees


@dataclass(frozen=True, slots=True)
class Button:
    """One inline keyboard button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None
    """The Mini App address a ``web_app`` button opens."""


@dataclass(slots=True)
class FileRecord:
    """A file the fake holds: uploaded by a bot, sent by a person, or reused by file_id."""

    file_id: str
    file_unique_id: str
    kind: str  # "document" or "photo"
    content: bytes = field(repr=False)
    owner: str  # the bot token the file_id belongs to
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None
    source_url: str | None = None
    duration: int = 0

    @property
    def file_size(self) -> int:
        return len(self.content)

    def audio_json(self) -> JSON:
        return {**self.document_json(), "duration": self.duration}

    def video_json(self) -> JSON:
        return {
            **self.document_json(),
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
        }

    def document_json(self) -> JSON:
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def photo_size_json(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "width": self.width,
            "height": self.height,
        }


@dataclass(slots=True)
class ChatMessage:
    """One message in a private chat, from the bot or from the person, as it stands now."""

    message_id: int
    from_bot: bool
    sender: JSON
    chat: JSON
    date: int
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None  # inline keyboard only, as Telegram returns it
    other_markup: JSON | None = None  # reply keyboard / remove / force reply, never returned
    document: FileRecord | None = None
    photo: list[FileRecord] = field(default_factory=list)
    audio: FileRecord | None = None
    video: FileRecord | None = None
    reply_to: ChatMessage | None = None
    parse_mode: str | None = None
    edit_date: int | None = None
    history: list[tuple[str | None, JSON | None]] = field(default_factory=list)
    deleted: bool = False

    @property
    def edited(self) -> bool:
        return self.edit_date is not None

    @property
    def media_kind(self) -> str | None:
        """photo, audio, video or document (None for a text message)."""
        for kind in ("photo", "audio", "video", "document"):
            if getattr(self, kind):
                return kind
        return None

    @property
    def media_file(self) -> FileRecord | None:
        """The file the message shows (the largest size of a photo)."""
        if self.photo:
            return self.photo[-1]
        return self.audio or self.video or self.document

    @property
    def edit_count(self) -> int:
        return len(self.history)

    @property
    def content(self) -> str:
        """The text, or the caption of a media message ("" if neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def button_rows(self) -> list[list[Button]]:
        if not self.reply_markup:
            return []
        return [
            [
                Button(
                    b["text"],
                    b.get("callback_data"),
                    b.get("url"),
                    (b.get("web_app") or {}).get("url"),
                )
                for b in row
            ]
            for row in self.reply_markup["inline_keyboard"]
        ]

    @property
    def buttons(self) -> list[Button]:
        return [b for row in self.button_rows for b in row]

    @property
    def labels(self) -> list[str]:
        return [b.text for b in self.buttons]

    def button(self, label: str) -> Button:
        for b in self.buttons:
            if b.text == label:
                return b
        raise KeyError(f"no button {label!r} on message {self.message_id}; have {self.labels}")

    def to_api(self, *, nested: bool = False) -> JSON:
        msg: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            msg["edit_date"] = self.edit_date
        if self.reply_to is not None and not nested:
            msg["reply_to_message"] = self.reply_to.to_api(nested=True)
        if self.text is not None:
            msg["text"] = self.text
            if self.entities:
                msg["entities"] = self.entities
        if self.document is not None:
            msg["document"] = self.document.document_json()
        if self.photo:
            msg["photo"] = [p.photo_size_json() for p in self.photo]
        if self.audio is not None:
            msg["audio"] = self.audio.audio_json()
        if self.video is not None:
            msg["video"] = self.video.video_json()
        if self.caption is not None:
            msg["caption"] = self.caption
            if self.caption_entities:
                msg["caption_entities"] = self.caption_entities
        if self.reply_markup is not None:
            msg["reply_markup"] = self.reply_markup
        return msg

    def describe(self) -> str:
        who = "bot" if self.from_bot else "user"
        flags = (" (edited)" if self.edited else "") + (" (deleted)" if self.deleted else "")
        media = f" [{self.media_kind}]" if self.media_kind else ""
        keys = f" {self.labels}" if self.reply_markup else ""
        return f"#{self.message_id} {who}{flags}{media}: {self.content!r}{keys}"


@dataclass(slots=True)
class CallbackAnswer:
    """What answerCallbackQuery showed the person: a toast, an alert, or nothing."""

    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int


@dataclass(slots=True)
class CallbackQueryRecord:
    query_id: str
    user_id: int
    message_id: int
    data: str
    created: float  # time.monotonic()
    answer: CallbackAnswer | None = None


@dataclass(slots=True)
class Chat:
    """A private chat between one bot and one person."""

    user_id: int
    messages: list[ChatMessage] = field(default_factory=list)
    next_message_id: int = 1
    started: bool = False  # the person has opened the chat (pressed Start or wrote)
    blocked: bool = False

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    def find(self, message_id: int) -> ChatMessage | None:
        for m in self.messages:
            if m.message_id == message_id and not m.deleted:
                return m
        return None

    @property
    def visible(self) -> list[ChatMessage]:
        return [m for m in self.messages if not m.deleted]

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.visible if m.from_bot]

    def user_messages(self) -> list[ChatMessage]:
        return [m for m in self.visible if not m.from_bot]

    def last_bot_message(self) -> ChatMessage | None:
        bots = self.bot_messages()
        return bots[-1] if bots else None

    def last_message(self) -> ChatMessage | None:
        vis = self.visible
        return vis[-1] if vis else None

    def message(self, message_id: int) -> ChatMessage:
        m = self.find(message_id)
        if m is None:
            raise KeyError(f"no message {message_id} in chat {self.user_id}")
        return m

    def transcript(self) -> str:
        lines = [m.describe() for m in self.messages]
        return "\n".join(lines) if lines else "(empty chat)"


@dataclass(slots=True)
class UserInfo:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def user_json(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        return user

    def chat_json(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(slots=True)
class Delivery:
    """One webhook POST the fake made, and what came back (status 0: no HTTP answer)."""

    update_id: int
    url: str
    status: int
    error: str | None = None


@dataclass(slots=True)
class ApiCall:
    """One Bot API request the fake received, decoded, with the HTTP status it answered."""

    token: str
    method: str
    params: JSON
    status: int = 0
    description: str | None = None


@dataclass(slots=True)
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None


class BotState:
    """Everything the fake server knows about one bot token."""

    def __init__(self, token: str, username: str, first_name: str) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.first_name = first_name
        self.chats: dict[int, Chat] = {}
        self.pending: list[JSON] = []  # unconfirmed (polling) or undelivered (webhook) updates
        self.updates: list[JSON] = []  # every update ever queued, in order
        self.next_update_id = 10_000
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.webhook_error: tuple[int, str] | None = None
        self.deliveries: list[Delivery] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.queries: dict[str, CallbackQueryRecord] = {}
        self.calls: collections.Counter[str] = collections.Counter()
        self.poll_generation = 0
        self.worker: asyncio.Task[None] | None = None

    def user_json(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def chat(self, user_id: int) -> Chat:
        if user_id not in self.chats:
            self.chats[user_id] = Chat(user_id)
        return self.chats[user_id]

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def ready(self) -> list[JSON]:
        if self.allowed_updates:
            allowed = set(self.allowed_updates)
            self.pending = [u for u in self.pending if _update_kind(u) in allowed]
        return list(self.pending)


def _update_kind(update: JSON) -> str:
    return next(k for k in update if k != "update_id")


# --------------------------------------------------------------------------------------------
# Parameters: form fields arrive as strings (ints JSON-dumped, objects as JSON strings)


@dataclass(slots=True)
class Upload:
    filename: str | None
    content_type: str | None
    content: bytes = field(repr=False)


class Params:
    """Typed access to request parameters, whatever the body encoding was."""

    def __init__(self, values: JSON, files: dict[str, Upload]) -> None:
        self.values = values
        self.files = files

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be a Number') from None

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def get_json(self, name: str, error: str | None = None) -> Any:
        value = self.values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(error or f"can't parse {name} JSON object") from None

    def get_file(self, name: str) -> Upload | str | None:
        """An uploaded part, or a string (file_id, URL); ``attach://x`` resolves to part x."""
        if name in self.files:
            return self.files[name]
        ref = self.get_str(name)
        if ref and ref.startswith("attach://"):
            return self.files.get(ref[len("attach://") :])
        return ref

    def public(self) -> JSON:
        """The parameters as a JSON-friendly dict for the call log (uploads summarised)."""
        out = dict(self.values)
        for key, up in self.files.items():
            out[key] = f"<upload {up.filename!r} {len(up.content)} bytes>"
        return out


# --------------------------------------------------------------------------------------------
# Keyboards

_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def parse_reply_markup(raw: Any) -> tuple[JSON | None, JSON | None]:
    """Validate reply_markup; give (inline keyboard as Telegram returns it, any other markup)."""
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        if any(k in raw for k in ("keyboard", "remove_keyboard", "force_reply")):
            return None, raw
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = raw["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("can't parse inline keyboard: InlineKeyboardMarkup must be an Array")
    total = sum(len(r) for r in rows)
    if total > MAX_BUTTONS or any(len(r) > MAX_BUTTONS_PER_ROW for r in rows):
        raise bad_request("reply markup is too long")
    clean_rows: list[list[JSON]] = []
    for row in rows:
        clean_row: list[JSON] = []
        for button in row:
            clean_row.append(_check_button(button))
        if clean_row:
            clean_rows.append(clean_row)
    if not clean_rows:
        return None, None
    return {"inline_keyboard": clean_rows}, None


def _check_button(button: Any) -> JSON:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    clean = {k: v for k, v in button.items() if v is not None}
    if not clean["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [k for k in _BUTTON_ACTIONS if k in clean]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if "callback_data" in clean:
        data = clean["callback_data"]
        if not isinstance(data, str):
            data = clean["callback_data"] = json.dumps(data)
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in clean and not re.match(r"(https?|tg)://\S+$", str(clean["url"])):
        raise bad_request("BUTTON_URL_INVALID")
    if "web_app" in clean:
        app = clean["web_app"]
        if not isinstance(app, dict) or not re.match(r"https://\S+$", str(app.get("url", ""))):
            raise bad_request("BUTTON_URL_INVALID")  # a Mini App is served over HTTPS only
    return clean


# --------------------------------------------------------------------------------------------
# Text: parse modes, entities (offsets in UTF-16 code units), trimming


def u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


class _Out:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0  # UTF-16 units written so far
        self.entities: list[JSON] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos += u16len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[JSON]]:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ents


_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_START = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_HTML_ATTR = re.compile(r"""\s*([A-Za-z_:-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_HTML_REF = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(text: str) -> tuple[str, list[JSON]]:
    out = _Out()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            ref = _HTML_REF.match(text, i)
            if ref:
                name, dec, hexa = ref.groups()
                out.add(_NAMED[name] if name else chr(int(dec or hexa, 10 if dec else 16)))
                i = ref.end()
                continue
            out.add(ch)
            i += 1
        elif ch != "<":
            out.add(ch)
            i += 1
        elif text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise _cant_parse(f"Unclosed end tag at byte offset {_byte_offset(text, i)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _cant_parse(f"Unexpected end tag at byte offset {_byte_offset(text, i)}")
            open_name, start, open_attrs = stack.pop()
            if name != open_name:
                raise _cant_parse(
                    f"Unmatched end tag at byte offset {_byte_offset(text, i)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            _html_entity(out, open_name, start, open_attrs, stack)
            i = end + 1
        else:
            m = _HTML_START.match(text, i)
            name = m.group(1).lower() if m else ""
            if name not in _HTML_TAGS:
                raise _cant_parse(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                )
            j = m.end() if m else i + 1
            attrs: dict[str, str] = {}
            while True:
                am = _HTML_ATTR.match(text, j)
                if not am or not am.group(1):
                    break
                attrs[am.group(1).lower()] = (am.group(2) or "").strip("\"'")
                j = am.end()
            j = len(text[j:]) - len(text[j:].lstrip()) + j
            if j >= n or text[j] != ">":
                raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(text, i)}")
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _cant_parse('Tag "span" must have class "tg-spoiler"')
            stack.append((name, out.pos, attrs))
            i = j + 1
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _html_entity(
    out: _Out, name: str, start: int, attrs: dict[str, str], stack: list[tuple[str, int, Any]]
) -> None:
    kind = _HTML_TAGS[name]
    if kind == "text_link":
        if attrs.get("href"):
            out.entity("text_link", start, url=attrs["href"])
    elif kind == "custom_emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs.get("emoji-id", ""))
    elif kind == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[len("language-") :]
        else:
            out.entity("code", start)
    elif kind == "pre" and attrs.get("language"):
        out.entity("pre", start, language=attrs["language"])
    elif kind == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
    else:
        out.entity(kind, start)


_MD2_SPECIAL = set("_*[]()~`>#+-=|{}.!")
_MD2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough":
    "Strikethrough", "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}  # fmt: skip


def parse_markdown_v2(text: str) -> tuple[str, list[JSON]]:
    out = _Out()
    stack: list[tuple[str, int, int, str]] = []  # kind, start (utf16), byte offset, language
    quote_start: int | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            out.add(text[i + 1])
            i += 2
            continue
        top = stack[-1][0] if stack else None
        if top in ("code", "pre"):
            if top == "code" and ch == "`":
                _close_md(out, stack)
                i += 1
            elif top == "pre" and text.startswith("```", i):
                _close_md(out, stack)
                i += 3
            else:
                out.add(ch)
                i += 1
            continue
        if ch == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.add(ch)
            out.entity("blockquote", quote_start)
            quote_start = None
            i += 1
            continue
        if ch not in _MD2_SPECIAL:
            out.add(ch)
            i += 1
            continue
        at = _byte_offset(text, i)
        ends = {
            "bold": ch == "*",
            "italic": ch == "_" and not text.startswith("__", i),
            "underline": text.startswith("__", i),
            "strikethrough": ch == "~",
            "spoiler": text.startswith("||", i),
            "text_link": ch == "]",
            "custom_emoji": ch == "]",
        }
        if top is not None and ends.get(top, False):
            width = 2 if top in ("underline", "spoiler") else 1
            if top in ("text_link", "custom_emoji"):
                i = _close_link(text, i, out, stack)
            else:
                _close_md(out, stack)
                i += width
            continue
        if ch == "_" and text.startswith("__", i):
            stack.append(("underline", out.pos, at, ""))
            i += 2
        elif ch in "_*~":
            kind = {"_": "italic", "*": "bold", "~": "strikethrough"}[ch]
            stack.append((kind, out.pos, at, ""))
            i += 1
        elif text.startswith("||", i):
            stack.append(("spoiler", out.pos, at, ""))
            i += 2
        elif ch == "[":
            stack.append(("text_link", out.pos, at, ""))
            i += 1
        elif text.startswith("![", i):
            stack.append(("custom_emoji", out.pos, at, ""))
            i += 2
        elif text.startswith("```", i):
            newline = text.find("\n", i + 3)
            closing = text.find("```", i + 3)
            language = ""
            j = i + 3
            if newline >= 0 and (closing < 0 or newline < closing):
                language = text[i + 3 : newline].strip()
                j = newline + 1
            stack.append(("pre", out.pos, at, language))
            i = j
        elif ch == "`":
            stack.append(("code", out.pos, at, ""))
            i += 1
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos
            i += 1
        else:
            raise _cant_parse(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
    if stack:
        kind, _, at, language = stack[-1]
        name = "PreCode" if kind == "pre" and language else _MD2_NAMES[kind]
        raise _cant_parse(f"Can't find end of {name} entity at byte offset {at}")
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    return out.result()


def _close_md(out: _Out, stack: list[tuple[str, int, int, str]]) -> None:
    kind, start, _, language = stack.pop()
    if kind == "pre" and language:
        out.entity("pre", start, language=language)
    else:
        out.entity(kind, start)


def _close_link(text: str, i: int, out: _Out, stack: list[tuple[str, int, int, str]]) -> int:
    kind, start, at, _ = stack.pop()
    i += 1
    if not text.startswith("(", i):
        if kind == "custom_emoji":
            raise _cant_parse(f"Custom emoji entity at byte offset {at} must have an identifier")
        return i  # no URL: the brackets go, the text stays plain
    url: list[str] = []
    j = i + 1
    while j < len(text) and text[j] != ")":
        if text[j] == "\\" and j + 1 < len(text):
            j += 1
        url.append(text[j])
        j += 1
    if j >= len(text):
        raise _cant_parse(f"Can't find end of a URL at byte offset {_byte_offset(text, i)}")
    target = "".join(url)
    if kind == "custom_emoji":
        out.entity("custom_emoji", start, custom_emoji_id=target.rsplit("id=", 1)[-1])
    else:
        out.entity("text_link", start, url=target)
    return j + 1


def parse_markdown(text: str) -> tuple[str, list[JSON]]:
    """Legacy "Markdown": *bold*, _italic_, `code`, ```pre```, [text](url); no nesting."""
    out = _Out()
    i, n = 0, len(text)
    kinds = {"*": "bold", "_": "italic", "`": "code"}
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
            continue
        if ch not in "_*`[":
            out.add(ch)
            i += 1
            continue
        missing = _cant_parse(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
        )
        start = out.pos
        if text.startswith("```", i):
            end = text.find("```", i + 3)
            if end < 0:
                raise missing
            body, language = text[i + 3 : end], ""
            first, sep, rest = body.partition("\n")
            if sep and first and " " not in first:
                body, language = rest, first
            out.add(body)
            if language:
                out.entity("pre", start, language=language)
            else:
                out.entity("pre", start)
            i = end + 3
        elif ch == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise missing
            out.add(text[i + 1 : end])
            i = end + 1
            if text.startswith("(", i):
                close = text.find(")", i)
                if close < 0:
                    raise missing
                out.entity("text_link", start, url=text[i + 1 : close])
                i = close + 1
        else:
            end = text.find(ch, i + 1)
            if end < 0:
                raise missing
            out.add(text[i + 1 : end])
            out.entity(kinds[ch], start)
            i = end + 1
    return out.result()


def format_text(
    text: str, parse_mode: str | None, entities: list[JSON] | None
) -> tuple[str, list[JSON]]:
    """Apply parse_mode (or explicit entities) and trim as Telegram does: (plain, entities)."""
    mode = (parse_mode or "").strip().lower()
    if entities:
        plain, ents = text, [dict(e) for e in entities]
    elif mode == "html":
        plain, ents = parse_html(text)
    elif mode == "markdownv2":
        plain, ents = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, ents = parse_markdown(text)
    elif mode:
        raise bad_request(f"unsupported parse_mode {parse_mode!r}")
    else:
        plain, ents = text, []
    return _trim(plain, ents)


def _trim(plain: str, ents: list[JSON]) -> tuple[str, list[JSON]]:
    stripped = plain.lstrip()
    cut = u16len(plain) - u16len(stripped)
    stripped = stripped.rstrip()
    size = u16len(stripped)
    kept: list[JSON] = []
    for e in ents:
        start = max(0, e["offset"] - cut)
        end = min(size, e["offset"] + e["length"] - cut)
        if end > start:
            kept.append({**e, "offset": start, "length": end - start})
    return stripped, kept


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")


def command_entities(text: str) -> list[JSON]:
    """bot_command entities, as Telegram marks them in a person's message."""
    return [
        {"type": "bot_command", "offset": u16len(text[: m.start()]), "length": u16len(m.group())}
        for m in _COMMAND.finditer(text)
    ]
