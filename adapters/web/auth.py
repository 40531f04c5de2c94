"""Who is asking: Telegram Mini App initData, signed link tokens, signed media URLs.

- `check_init_data`: the Mini App's ``Telegram.WebApp.initData`` checked as Telegram documents
  it: secret = HMAC-SHA256(key="WebAppData", msg=bot token); the hash is the hex
  HMAC-SHA256(key=secret, msg=data-check-string), the string being every received field except
  ``hash`` as ``key=value`` lines sorted by key; compared in constant time; ``auth_date`` no
  older than `max_age` seconds.
- `LinkSigner`: a short-lived token bound to a person and a lease (Slack and the console open
  the page by a URL carrying one), and the media tokens of the pictures of a lease.

Tokens are ``<base64url payload>.<base64url HMAC-SHA256>`` keyed by ``TAPMARK_WEB_SECRET``; the
payload is compact JSON. Every failure is an `AuthError` whose message says what is wrong and
never echoes a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from adapters.web.port import Person

CLOCK_SKEW = 30.0
"""Seconds an auth_date or a token's issue time may lie in the future (clocks differ)."""


class AuthError(Exception):
    """Refused: `status` is 401 (not signed in / signature wrong / stale) or 403 (signed in as
    someone else)."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def telegram_secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """The initData string Telegram would send with these fields (for tests and demos)."""
    digest = hmac.new(
        telegram_secret(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(init_data: str, bot_token: str, now: float, max_age: float) -> Person:
    """The person (``"telegram:<user id>"``) a valid initData names, or AuthError."""
    if not init_data:
        raise AuthError("open this page from the task card in Telegram (no initData)")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise AuthError("initData is malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise AuthError("initData is malformed (a field is repeated)")
    received = fields.get("hash", "")
    expected = hmac.new(
        telegram_secret(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(received.encode(), expected.encode()):
        raise AuthError("initData is not signed by this bot")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise AuthError("initData has no auth_date") from None
    if now - auth_date > max_age:
        raise AuthError(
            "this page was opened too long ago: close it and open it again from the task card"
        )
    if auth_date - now > CLOCK_SKEW:
        raise AuthError("initData's auth_date is in the future")
    try:
        user = json.loads(fields["user"])
        user_id = user["id"]
    except (KeyError, TypeError, ValueError):
        raise AuthError("initData names no user") from None
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise AuthError("initData names no user")
    return f"telegram:{user_id}"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class LinkGrant:
    """What a valid link token grants."""

    person: Person
    lease: str


@dataclass(frozen=True, slots=True)
class MediaGrant:
    person: Person
    lease: str
    image: int


class LinkSigner:
    """Signs and checks the page's tokens with one secret. The purpose is part of the signed
    payload, so a media token never passes as a link token or the other way round."""

    def __init__(self, secret: str) -> None:
        if len(secret) < 16:
            raise ValueError("TAPMARK_WEB_SECRET must be at least 16 characters")
        self._key = hashlib.sha256(b"tapmark-web\0" + secret.encode()).digest()

    def _sign(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        mac = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def _open(self, token: str, purpose: str, now: float) -> dict[str, Any]:
        body, dot, mac = token.partition(".")
        if not dot or not body or not mac:
            raise AuthError("the link is malformed: open it again from the task card")
        expected = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        try:
            given = _unb64(mac)
        except ValueError:
            raise AuthError("the link is malformed: open it again from the task card") from None
        if not hmac.compare_digest(given, expected):
            raise AuthError("the link is not valid (its signature does not match)")
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            raise AuthError("the link is malformed: open it again from the task card") from None
        if not isinstance(payload, dict) or payload.get("p") != purpose:
            raise AuthError("the link is not valid here")
        expires = payload.get("e")
        if not isinstance(expires, int | float) or now > expires:
            raise AuthError("the link has expired: open the task again from the chat")
        return payload

    def link(self, person: Person, lease: str, now: float, ttl: float) -> str:
        """A token that opens `lease` in the page as `person` until ``now + ttl``."""
        return self._sign({"p": "link", "u": person, "l": lease, "e": int(now + ttl)})

    def check_link(self, token: str, now: float) -> LinkGrant:
        payload = self._open(token, "link", now)
        person, lease = payload.get("u"), payload.get("l")
        if not isinstance(person, str) or not isinstance(lease, str):
            raise AuthError("the link is malformed: open it again from the task card")
        return LinkGrant(person, lease)

    def media(self, person: Person, lease: str, image: int, now: float, ttl: float) -> str:
        """A token for picture `image` of `lease`, for `person` only, until ``now + ttl``."""
        return self._sign({"p": "media", "u": person, "l": lease, "i": image, "e": int(now + ttl)})

    def check_media(self, token: str, now: float) -> MediaGrant:
        payload = self._open(token, "media", now)
        person, lease, image = payload.get("u"), payload.get("l"), payload.get("i")
        if (
            not isinstance(person, str)
            or not isinstance(lease, str)
            or isinstance(image, bool)
            or not isinstance(image, int)
        ):
            raise AuthError("the picture's address is malformed")
        return MediaGrant(person, lease, image)
