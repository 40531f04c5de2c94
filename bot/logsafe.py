"""Keeping secrets out of logs: a filter that redacts them from every record a handler emits
(messages, arguments and tracebacks alike). Adapters add it, and quiet the libraries that log
whole requests, before they start."""

from __future__ import annotations

import logging
from collections.abc import Iterable

MIN_SECRET = 4  # shorter "secrets" (test values) are not redacted: they would garble every line


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (of at least `MIN_SECRET` characters) replaced."""
    for secret in secrets:
        if len(secret) >= MIN_SECRET:
            text = text.replace(secret, "<redacted>")
    return text


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= MIN_SECRET]

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

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


def quiet(loggers: Iterable[str]) -> None:
    """Raise these loggers to WARNING (they log request URLs or bodies at lower levels)."""
    for name in loggers:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def protect_logs(secrets: Iterable[str], loggers: Iterable[str]) -> None:
    """Quiet `loggers` and redact `secrets` on every root handler."""
    quiet(loggers)
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
