"""Retrying Bot API calls after network errors, 5xx answers and timeouts, with backoff.

429 Too Many Requests is not handled here: AIORateLimiter (max_retries > 0) waits out retry_after
and tries again. A BadRequest or Forbidden is final and raised at once.

A timed-out call may still have reached Telegram and taken effect. An idempotent call (an edit,
answering a button press, setMyCommands) is simply made again. A call that is not (sending a
message) is made again only when it surely never arrived: the connection was never made, or
Telegram itself answered with an error; otherwise a person might see the same message twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut

from bot import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def never_arrived(exc: NetworkError) -> bool:
    """True when the request did not reach the server, or the server refused it (5xx)."""
    cause = exc.__cause__
    if cause is None:
        return not isinstance(exc, TimedOut)  # an error answer from the server itself
    return isinstance(cause, _NEVER_SENT)


class Retry:
    def __init__(self, attempts: int = 3, backoff: float = 0.5) -> None:
        self.attempts = max(1, attempts)
        self.backoff = backoff

    async def __call__(self, what: str, call: Callable[[], Awaitable[T]], *, idempotent: bool) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            except BadRequest:
                metrics.API_ERRORS.labels("telegram").inc()
                raise
            except NetworkError as exc:
                metrics.API_ERRORS.labels("telegram").inc()
                if attempt == self.attempts:
                    raise
                if not idempotent and not never_arrived(exc):
                    log.warning("%s: %s; it may have arrived, so it is not repeated", what, exc)
                    raise
                delay = self.backoff * 2 ** (attempt - 1)
                log.info("%s failed (%s); attempt %d in %.1fs", what, exc, attempt + 1, delay)
                metrics.API_RETRIES.labels("telegram").inc()
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")
