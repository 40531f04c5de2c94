"""A button's callback data: the screen's stored token and the button's own short code.

A screen's buttons share one stored token; each button adds a short code after a colon
(``<token>:<code>``), so a screen costs one row however many buttons it has, and the whole
callback data stays far under Telegram's 64 bytes. The codes below are the ones several
screens share; a screen's own codes are declared beside it.
"""

from __future__ import annotations

GUIDE, NEXT, SKIP, REPORT, BACK, PROGRESS, LABELS = "g", "n", "s", "r", "k", "p", "h"
UNDO = "u"
PAGE = "w"


def button_token(token: str, code: str) -> str:
    return f"{token}:{code}"


def split_token(data: str) -> tuple[str, str]:
    """(token, code) of a button's callback data."""
    token, _, code = data.partition(":")
    return token, code
