"""Screens as Telegram messages: HTML text in parts of at most 4096 characters, inline keyboards.

The keyboard goes on the last part, so the buttons sit under the end of the text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from adapters.markdown import render_parts
from bot.chat.actions import Screen
from bot.chat.markup import plain, split_text, to_html

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_TOAST = 200
MAX_CALLBACK_DATA = 64
EMPTY = "…"  # Telegram refuses an empty message; a screen may be buttons only


@dataclass(frozen=True)
class Part:
    """One message: `html` for parse_mode=HTML, `text` the same without markup (a fallback)."""

    html: str
    text: str
    markup: InlineKeyboardMarkup | None = None


def keyboard(screen: Screen) -> InlineKeyboardMarkup | None:
    """The inline keyboard: a callback button per button, a Mini App button (``web_app``) for
    one that opens the annotation page and has its address."""
    if not screen.keyboard:
        return None
    rows = []
    for row in screen.keyboard:
        buttons = []
        for button in row:
            if button.url:
                buttons.append(InlineKeyboardButton(button.label, web_app=WebAppInfo(button.url)))
                continue
            if not 1 <= len(button.token.encode()) <= MAX_CALLBACK_DATA:
                raise ValueError(f"button {button.label!r}: token is not 1-64 bytes")
            buttons.append(InlineKeyboardButton(button.label, callback_data=button.token))
        rows.append(buttons)
    return InlineKeyboardMarkup(rows)


_TAG = re.compile(r"<[^>]*>")


def visible(markup: str) -> str:
    """What Telegram shows of HTML text, and counts against its 4096 characters."""
    return html.unescape(_TAG.sub("", markup))


def render(screen: Screen) -> list[Part]:
    """The screen as one or more messages (most screens: one). A Markdown document (a guide)
    is rendered to HTML first and split between its blocks at 4096 visible characters."""
    if screen.markdown:
        pieces = render_parts(screen.text, "telegram", MAX_TEXT, lambda h: len(visible(h)))
        parts = [Part(h, visible(h)) for h in pieces] or [Part(EMPTY, EMPTY)]
        parts[-1] = Part(parts[-1].html, parts[-1].text, keyboard(screen))
        return parts
    # Splitting the Markdown source keeps each part's visible text, which is never longer than
    # its source, under the limit; a part may lose a *bold* pair cut in two, never its text.
    sources = split_text(screen.text, MAX_TEXT) or [EMPTY]
    parts = [Part(to_html(s), plain(s)) for s in sources]
    last = parts[-1]
    parts[-1] = Part(last.html, last.text, keyboard(screen))
    return parts


def toast(text: str) -> str:
    """A toast is plain text (not the Markdown subset) of at most 200 characters."""
    shown = text.strip()
    return shown if len(shown) <= MAX_TOAST else shown[: MAX_TOAST - 1] + "…"


def caption_parts(screen: Screen) -> tuple[str, str]:
    """A media screen's text as a caption, HTML and plain: cut at a paragraph or line break,
    with "…", when it is over Telegram's 1024 characters."""
    text = screen.text
    if len(plain(text)) > MAX_CAPTION:
        text = (split_text(text, MAX_CAPTION - 1) or [""])[0] + "…"
    return to_html(text), plain(text)


def caption(text: str) -> str | None:
    """HTML for a file's caption when the text fits in one; None when it must go separately."""
    return to_html(text) if len(plain(text)) <= MAX_CAPTION else None
