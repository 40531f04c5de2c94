"""Telegram as the root sees it: configured by TAPMARK_TELEGRAM_TOKEN; launching builds the
adapter, keeps the token out of the logs and starts it, its start-up errors read as one line."""

from __future__ import annotations

import logging

from adapters.platform import Adapter, PlatformEntry, StartupFailure, Wiring, cannot_listen
from adapters.telegram.config import TelegramConfig, TelegramSettings
from bot.config import read_settings
from bot.logsafe import redact

log = logging.getLogger(__name__)


def _configured() -> bool:
    return read_settings(TelegramSettings).token is not None


def _listener() -> str | None:
    return "the Telegram webhook" if read_settings(TelegramSettings).webhook_url else None


async def launch(wiring: Wiring) -> Adapter:
    # Imported here: python-telegram-bot takes a while to load, and only `tapmark run` needs it.
    from telegram.error import InvalidToken, TelegramError

    from adapters.telegram.app import TelegramAdapter
    from adapters.telegram.logsafe import protect_logs

    settings = read_settings(TelegramSettings)
    config = TelegramConfig.from_settings(settings, wiring.listen)
    protect_logs(config.token, config.webhook_secret or "")
    adapter = TelegramAdapter(wiring.core, config, wiring.uploads, wiring.page)
    try:
        await adapter.start()
    except InvalidToken:
        raise StartupFailure("Telegram rejected TAPMARK_TELEGRAM_TOKEN.") from None
    except TelegramError as exc:
        reason = redact(exc.message, (config.token,))
        raise StartupFailure(
            f"cannot reach the Telegram Bot API at {config.root}: {reason}"
        ) from None
    except OSError as exc:  # the webhook's port is taken, or the host is not ours
        raise cannot_listen(config.listen, exc) from None
    named = settings.bot_name
    if adapter.username and (named or "").lower() != adapter.username.lower():
        log.warning(
            "TAPMARK_TELEGRAM_BOT_NAME is %s, but this bot is @%s: set "
            "TAPMARK_TELEGRAM_BOT_NAME=%s so that `tapmark invite` prints its link",
            named or "not set",
            adapter.username,
            adapter.username,
        )
    return adapter


TELEGRAM = PlatformEntry(
    name="telegram",
    title="Telegram",
    needs="TAPMARK_TELEGRAM_TOKEN (Telegram)",
    configured=_configured,
    listener=_listener,
    launch=launch,
)
