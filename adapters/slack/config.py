"""What the Slack adapter needs to run: its settings from the environment
(``TAPMARK_SLACK_*``), or a configuration given by a test."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import ConfigError


class SlackSettings(BaseSettings):
    """Slack's settings; Slack is configured when the bot token and signing secret are set."""

    model_config = SettingsConfigDict(env_prefix="TAPMARK_SLACK_", extra="ignore")

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_url: str = "https://slack.com/api/"

    @property
    def configured(self) -> bool:
        return self.bot_token is not None and self.signing_secret is not None


@dataclass(frozen=True)
class SlackConfig:
    """`api_url` is the Web API root (``https://slack.com/api/`` or a local stand-in).

    `bot_token` lists one token per workspace, comma-separated, for an app installed in several.
    With `app_token` (``xapp-…``) the adapter connects over Socket Mode and opens no port;
    otherwise it serves Slack's signed HTTP requests on `listen` (host, port) at `path`.
    """

    bot_token: str = field(repr=False)  # one xoxb- token, or several comma-separated
    signing_secret: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = "https://slack.com/api/"
    listen: tuple[str, int] = ("127.0.0.1", 8080)
    path: str = "/slack/events"
    rate_limit_retries: int = 3  # 429 answers waited out (Retry-After) and tried again
    connection_retries: int = 2  # attempts again after a refused or dropped connection
    timeout: int = 30  # seconds for one Web API call
    outbox_interval: float = 1.0  # seconds between rounds of the outbox

    def __post_init__(self) -> None:
        if not self.bot_tokens:
            raise ConfigError("bad setting TAPMARK_SLACK_BOT_TOKEN: empty")
        if not self.signing_secret:
            raise ConfigError("bad setting TAPMARK_SLACK_SIGNING_SECRET: empty")

    @property
    def bot_tokens(self) -> tuple[str, ...]:
        """One token per workspace the app is installed in (most installations: one)."""
        return tuple(t.strip() for t in self.bot_token.split(",") if t.strip())

    @property
    def base_url(self) -> str:
        """The API root with the trailing slash slack_sdk expects (it appends the method)."""
        return self.api_url.rstrip("/") + "/"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (*self.bot_tokens, self.signing_secret, self.app_token) if s)

    @classmethod
    def from_settings(
        cls, settings: SlackSettings, listen: tuple[str, int] = ("127.0.0.1", 8080)
    ) -> SlackConfig:
        if settings.bot_token is None:
            raise ConfigError("bad setting TAPMARK_SLACK_BOT_TOKEN: not set")
        if settings.signing_secret is None:
            raise ConfigError("bad setting TAPMARK_SLACK_SIGNING_SECRET: not set")
        app_token = settings.app_token
        return cls(
            bot_token=settings.bot_token.get_secret_value(),
            signing_secret=settings.signing_secret.get_secret_value(),
            app_token=app_token.get_secret_value() if app_token is not None else None,
            api_url=settings.api_url,
            listen=listen,
        )
