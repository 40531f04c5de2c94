"""slack_sdk's retry handlers for rate limits and dropped connections, counted: each retry they
decide on adds one to `tapmark_platform_api_retries_total{platform="slack"}`, as the Telegram
adapter's own retries do. The waiting and the decision stay the library's."""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)

from bot import metrics


class _Counted:
    async def prepare_for_next_attempt_async(self, **kwargs: Any) -> None:
        metrics.API_RETRIES.labels("slack").inc()
        await super().prepare_for_next_attempt_async(**kwargs)  # type: ignore[misc]


class CountedRateLimitRetries(_Counted, AsyncRateLimitErrorRetryHandler):
    """Waits as long as Slack's Retry-After says, then tries again."""


class CountedConnectionRetries(_Counted, AsyncConnectionErrorRetryHandler):
    """Tries again after a dropped or refused connection."""
