"""Keeping the tokens and the signing secret out of logs.

slack_sdk logs whole requests and responses at DEBUG (headers with the bearer token included),
and slack_bolt logs request bodies at DEBUG: their loggers are raised to WARNING, and the shared
`bot.logsafe.Redact` filter replaces the secrets in anything that is still emitted.
"""

from __future__ import annotations

from bot.logsafe import MIN_SECRET, quiet
from bot.logsafe import protect_logs as _protect

QUIET = ("slack_sdk", "slack_bolt", "aiohttp.access")

__all__ = ["MIN_SECRET", "QUIET", "protect_logs", "quiet_libraries"]


def quiet_libraries() -> None:
    quiet(QUIET)


def protect_logs(*secrets: str) -> None:
    _protect(secrets, QUIET)
