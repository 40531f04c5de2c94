"""Keeping the bot token out of logs.

The Bot API puts the token in every URL, and httpx logs each request URL at INFO: those loggers
are raised to WARNING, and the shared `bot.logsafe.Redact` filter replaces the token in anything
that is still emitted.
"""

from __future__ import annotations

from bot.logsafe import protect_logs as _protect

QUIET = ("httpx", "httpcore")


def protect_logs(*secrets: str) -> None:
    _protect(secrets, QUIET)
