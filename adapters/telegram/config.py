"""What the Telegram adapter needs to run: its settings from the environment
(``TAPMARK_TELEGRAM_*``), or a configuration given by a test."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import ConfigError


class TelegramSettings(BaseSettings):
    """Telegram's settings; `token` unset means Telegram is not configured."""

    model_config = SettingsConfigDict(env_prefix="TAPMARK_TELEGRAM_", extra="ignore")

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    rate: float = Field(30.0, ge=0)
    bot_name: str | None = None
    """The bot's Telegram username (from BotFather, with or without the @), so that
    `tapmark invite` can print the ``https://t.me/NAME?start=CODE`` link."""

    @field_validator("bot_name")
    @classmethod
    def _bot_name(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name) or not name.lower().endswith(
            "bot"
        ):
            raise ValueError(
                "expected the bot's username, such as labels_bot (5 to 32 "
                "letters, digits or _, ending in bot)"
            )
        return name


@dataclass(frozen=True)
class TelegramConfig:
    """`api_url` is the Bot API server root (``https://api.telegram.org`` or a local one).

    With `webhook_url` set the adapter listens on `listen` (host, port) for Telegram's POSTs and
    rejects any without `webhook_secret`; otherwise it long-polls.
    """

    token: str = field(repr=False)
    api_url: str = "https://api.telegram.org"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen: tuple[str, int] = ("127.0.0.1", 8080)
    max_retries: int = 3  # 429 retries, by AIORateLimiter, after retry_after
    overall_max_rate: float = 30  # calls a second for the whole bot (Telegram's limit); 0: none
    send_attempts: int = 3  # attempts per call on network errors, 5xx and safe timeouts
    backoff: float = 0.5  # seconds before the second attempt; doubles after that
    poll_timeout: int = 10  # long-polling getUpdates timeout, seconds
    outbox_interval: float = 1.0  # seconds between rounds of the outbox

    def __post_init__(self) -> None:
        if self.webhook_url and not self.webhook_secret:
            # Without the secret anyone who finds the URL could post updates as any person.
            raise ConfigError(
                "bad setting TAPMARK_TELEGRAM_WEBHOOK_SECRET: required when "
                "TAPMARK_TELEGRAM_WEBHOOK_URL is set"
            )

    @property
    def root(self) -> str:
        return self.api_url.rstrip("/")

    @property
    def webhook_path(self) -> str:
        """The path the local server answers on: the path of the public webhook URL."""
        return urlsplit(self.webhook_url or "").path.strip("/")

    @classmethod
    def from_settings(
        cls, settings: TelegramSettings, listen: tuple[str, int] = ("127.0.0.1", 8080)
    ) -> TelegramConfig:
        if settings.token is None:
            raise ConfigError("bad setting TAPMARK_TELEGRAM_TOKEN: not set")
        secret = settings.webhook_secret
        return cls(
            token=settings.token.get_secret_value(),
            api_url=settings.api_url,
            webhook_url=settings.webhook_url or None,
            webhook_secret=secret.get_secret_value() if secret is not None else None,
            listen=listen,
            overall_max_rate=settings.rate,
        )
