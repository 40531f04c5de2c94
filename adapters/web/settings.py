"""The page's settings, from the environment.

- ``TAPMARK_WEB_URL``: the public base address the chat cards link to (HTTPS in production),
  e.g. ``https://label.example.org/page/``; its path is where the server mounts the page;
- ``TAPMARK_WEB_LISTEN``: the address the server listens on, ``host:port`` (127.0.0.1:8088);
- ``TAPMARK_WEB_SECRET``: the key of link and media tokens (at least 16 characters);
- ``TAPMARK_WEB_LINK_MINUTES`` (15): how long a link token opens the page;
- ``TAPMARK_WEB_MEDIA_MINUTES`` (30): how long a picture's address works;
- ``TAPMARK_WEB_INIT_DATA_MINUTES`` (10): how old a Telegram initData may be;
- ``TAPMARK_WEB_TELEGRAM_JS``: where the page loads telegram-web-app.js from when it is opened
  inside Telegram (Telegram's own address by default; never loaded outside Telegram);
- ``TAPMARK_TELEGRAM_TOKEN``: the bot token initData is checked with (none: Telegram sign-in off).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True, slots=True)
class WebSettings:
    public_url: str
    host: str
    port: int
    secret: str
    bot_token: str | None = None
    link_ttl: float = 15 * 60.0
    media_ttl: float = 30 * 60.0
    init_data_max_age: float = 10 * 60.0
    telegram_js: str = TELEGRAM_JS

    @property
    def base_path(self) -> str:
        """The URL path the page is mounted at, ending with ``/``."""
        path = urlsplit(self.public_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def telegram_origin(self) -> str:
        parts = urlsplit(self.telegram_js)
        return f"{parts.scheme}://{parts.netloc}"


def _minutes(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default * 60.0
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of minutes, not {raw!r}") from None
    if not 0 < value <= 24 * 60:
        raise SettingsError(f"{name} must be between 0 and 1440 minutes, not {raw!r}")
    return value * 60.0


def _listen(env: Mapping[str, str]) -> tuple[str, int]:
    listen = env.get("TAPMARK_WEB_LISTEN", "127.0.0.1:8088")
    host, colon, port_text = listen.rpartition(":")
    if not colon or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"TAPMARK_WEB_LISTEN must be host:port, not {listen!r}")
    return host.strip("[]"), int(port_text)


def local_settings(env: Mapping[str, str] | None = None) -> WebSettings:
    """The page served on this machine only (the terminal demo): at TAPMARK_WEB_LISTEN, its
    public address that one, a fresh secret for its links; SettingsError for a bad address."""
    host, port = _listen(os.environ if env is None else env)
    return WebSettings(
        public_url=f"http://{host}:{port}/",
        host=host,
        port=port,
        secret=secrets.token_urlsafe(24),
    )


def web_settings(env: Mapping[str, str] | None = None) -> WebSettings:
    """The settings from `env` (the process environment by default), or SettingsError."""
    env = os.environ if env is None else env
    url = env.get("TAPMARK_WEB_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            "TAPMARK_WEB_URL must be the page's public address, "
            "e.g. https://label.example.org/page/"
        )
    host, port = _listen(env)
    secret = env.get("TAPMARK_WEB_SECRET", "")
    if len(secret) < 16:
        raise SettingsError("TAPMARK_WEB_SECRET must be set to at least 16 random characters")
    telegram_js = env.get("TAPMARK_WEB_TELEGRAM_JS") or TELEGRAM_JS
    js = urlsplit(telegram_js)
    if js.scheme not in ("http", "https") or not js.netloc:
        raise SettingsError("TAPMARK_WEB_TELEGRAM_JS must be an http(s) address")
    return WebSettings(
        public_url=url,
        host=host,
        port=port,
        secret=secret,
        bot_token=env.get("TAPMARK_TELEGRAM_TOKEN") or None,
        link_ttl=_minutes(env, "TAPMARK_WEB_LINK_MINUTES", 15),
        media_ttl=_minutes(env, "TAPMARK_WEB_MEDIA_MINUTES", 30),
        init_data_max_age=_minutes(env, "TAPMARK_WEB_INIT_DATA_MINUTES", 10),
        telegram_js=telegram_js,
    )
