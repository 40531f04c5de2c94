"""Keeping the tokens and the signing secret out of logs.

slack_sdk logs whole requests and responses at DEBUG (headers with the bearer token included),
and slack_bolt logs request bodies at DEBUG: their loggers are raised to WARNING. As a second
line, `Redact` replaces the secrets in any record a root handler emits, tracebacks included.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

QUIET = ("slack_sdk", "slack_bolt", "aiohttp.access")
MIN_SECRET = 4  # shorter "secrets" (test values) are not redacted: they would garble every line


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= MIN_SECRET]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def quiet_libraries() -> None:
    for name in QUIET:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def protect_logs(*secrets: str) -> None:
    """Quiet the libraries that log requests and redact `secrets` on every root handler."""
    quiet_libraries()
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
