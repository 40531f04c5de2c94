"""Redelivered requests add nothing: a Bolt middleware that acknowledges them unprocessed.

Slack sends an event again (``X-Slack-Retry-Num``: 1, 2, 3; Socket Mode mirrors it from the
envelope, where 0 is the first attempt) when it did not get a 2xx in 3 seconds. This adapter
acknowledges first and works after, so a retry almost always means the first attempt did reach us
and its work is under way or done: it is answered 200 with ``X-Slack-No-Retry: 1`` and dropped.
The exception is a retry whose reason says the first attempt never arrived (the connection
failed, TLS failed): that one is processed, as it is the only copy we get.

Button clicks and slash commands are not redelivered by Slack; a click that comes twice anyway
(a double click) reaches the core, whose taps are idempotent ("Already saved ✓").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

NEVER_ARRIVED = {"connection_failed", "ssl_error", "too_many_redirects"}


def _header(headers: dict[str, Sequence[str]], name: str) -> str:
    values = headers.get(name) or ()
    return str(values[0]) if values else ""


def is_redelivery(headers: dict[str, Sequence[str]]) -> bool:
    number = _header(headers, "x-slack-retry-num")
    if not number.isdigit() or int(number) == 0:
        return False
    return _header(headers, "x-slack-retry-reason") not in NEVER_ARRIVED


class SkipRedeliveries(AsyncMiddleware):
    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        if is_redelivery(req.headers):
            log.info(
                "slack: redelivery %s (%s) acknowledged, not processed",
                _header(req.headers, "x-slack-retry-num"),
                _header(req.headers, "x-slack-retry-reason") or "no reason given",
            )
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return await next()
