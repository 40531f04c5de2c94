"""Keeping the bot token out of logs.

The Bot API puts the token in every URL, and httpx logs each request URL at INFO: that logger is
raised to WARNING. As a second line, `Redact` replaces secrets in any record a handler emits
(messages, arguments and tracebacks alike).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable


class Redact(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

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


def protect_logs(*secrets: str) -> None:
    """Quiet the libraries that log URLs and redact `secrets` on every root handler."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    redact = Redact(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
