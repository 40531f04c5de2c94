"""Settings from the environment (prefix ``TAPMARK_``). Secrets come only from here and are
held as SecretStr, so they never print in a log line or a traceback. Each platform's own
settings (``TAPMARK_TELEGRAM_*``, ``TAPMARK_SLACK_*``) are its adapter's, read with the same
`load_settings`."""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks.values import BatchLimits

DEFAULT_DATABASE_URL = "sqlite:///./tapmark.db"


class ConfigError(ValueError):
    """A bad setting, as one line that names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TAPMARK_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    listen: str = "127.0.0.1:8080"
    admins: str = ""
    log_level: str = "INFO"

    media_dir: str | None = None
    """Where media files are stored by content; default: ``media`` beside the SQLite file,
    else ``./media`` (see `bot.media.store.media_dir`)."""
    media_max_side: int = Field(1280, ge=160, le=5000)
    """The longest side of a picture after import, in pixels."""
    media_allow_hosts: str = ""
    """Host names (comma separated) whose media URLs are downloaded even though they resolve
    to an address inside the machine's own networks, and over plain http too: a file server
    of your own. Every other URL must be https to a public address."""
    media_fetch_seconds: float = Field(30.0, gt=0, le=600)
    """How long one media download may take in all, redirects included."""
    batch_max_items: int = Field(100_000, ge=1)
    """Rows in one batch, at most."""
    text_max_chars: int = Field(4000, ge=100)
    """Characters in one text value of a batch row, at most (so a card stays a message or
    two)."""
    scheduler: bool = True
    """Whether `tapmark run` runs the scheduled jobs (digests, reminders, deadline warnings,
    lease reclaim); ``TAPMARK_SCHEDULER=off`` leaves them to another process."""

    health_listen: str = "127.0.0.1:9090"
    """Where `tapmark run` serves /healthz and /metrics; ``off`` turns that server off."""

    @field_validator("health_listen")
    @classmethod
    def _health(cls, value: str) -> str:
        return value if value == "off" else cls._host_port(value)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, such as 127.0.0.1:8080")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        parse_admins(value)
        return value

    def allowed_media_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.media_allow_hosts.split(",") if h.strip())

    def batch_limits(self) -> BatchLimits:
        return BatchLimits(max_items=self.batch_max_items, max_text=self.text_max_chars)

    def admin_ids(self) -> frozenset[tuple[str, str]]:
        return parse_admins(self.admins)

    def listen_host_port(self, which: str = "listen") -> tuple[str, int]:
        host, _, port = getattr(self, which).rpartition(":")
        return host, int(port)


def parse_admins(text: str) -> frozenset[tuple[str, str]]:
    """``platform:user`` pairs, comma separated (``telegram:12345,slack:T0:U1``); the user part
    may itself hold a colon, as Slack's team:user does."""
    admins = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        platform, sep, user = part.partition(":")
        if not sep or not platform or not user:
            raise ValueError(f"{part!r} is not platform:user_id")
        admins.add((platform, user))
    return frozenset(admins)


S = TypeVar("S", bound=BaseSettings)


def load_settings() -> Settings:
    """Read the core's settings, turning the first problem into one clear line."""
    return read_settings(Settings)


def read_settings(kind: type[S]) -> S:
    """Read settings of `kind` (the core's, or a platform's own) from the environment, turning
    the first problem into one clear line that names the variable."""
    try:
        return kind()
    except ValidationError as exc:
        err = exc.errors()[0]
        prefix = str(kind.model_config.get("env_prefix") or "")
        name = prefix + "_".join(str(p) for p in err["loc"]).upper()
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"bad setting {name}: {message}") from None
