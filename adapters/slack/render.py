"""Screens as Block Kit messages; the App Home view.

A screen becomes one message (a long one, several): mrkdwn section blocks with the text, then one
actions block per keyboard row. Each button carries the core's token as its `value`, and an
`action_id` unique within the message (``tm:<index>``), which is how the click comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from adapters.markdown import render_parts
from adapters.slack.mrkdwn import entities, slash_commands, to_mrkdwn
from bot.chat.actions import Button, Screen
from bot.chat.markup import plain, split_text

Block = dict[str, Any]

MAX_SECTION = 3000  # characters of one section's text
MAX_SECTIONS = 10  # sections of one message (Slack allows 50 blocks; this keeps a message short)
MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_ROW = 25  # elements of one actions block
MAX_LABEL = 75
MAX_VALUE = 2000
MAX_FALLBACK = 3000  # the notification text beside the blocks
MAX_CONTEXT = 150  # a toast shown above the screen
TAP_PREFIX = "tm:"
HOME_NEXT = "tm:home:next"
TAP_ACTION = re.compile(r"^tm:\d+$")
PAGE_PREFIX = "tmpage:"
PAGE_ACTION = re.compile(r"^tmpage:\d+$")
"""A link button to the annotation page: Slack opens its address and reports the click, which
only needs acknowledging."""
EMPTY = "…"


@dataclass(frozen=True)
class Message:
    """One Slack message: the `text` is the notification and accessibility fallback."""

    text: str
    blocks: list[Block] = field(default_factory=list)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fallback(source: str) -> str:
    """Plain text for notifications: markup removed, entities escaped (cut before escaping, so
    no entity is cut in two)."""
    return entities(clip(plain(source).strip() or EMPTY, MAX_FALLBACK))


def _parts(source: str) -> list[tuple[str, str]]:
    """The text in parts, each as (source, mrkdwn) with the mrkdwn at most 3000 characters,
    split at paragraph breaks."""
    text = slash_commands(source)
    limit = MAX_SECTION
    while True:
        parts = [(p, to_mrkdwn(p)) for p in split_text(text, limit)] or [(EMPTY, EMPTY)]
        if all(len(m) <= MAX_SECTION for _, m in parts) or limit < 100:
            return parts
        limit = limit * 3 // 4  # entities made a part longer than its source: cut finer


def _markdown_parts(source: str) -> list[tuple[str, str]]:
    """A Markdown document (a guide) in sections of at most 3000 characters of mrkdwn, cut
    between its blocks; each as (mrkdwn, mrkdwn): the notification text is mrkdwn too."""
    pieces = [slash_commands(p) for p in render_parts(source, "slack", MAX_SECTION)]
    return [(p, p) for p in pieces] or [(EMPTY, EMPTY)]


def _markdown_fallback(text: str) -> str:
    """Rendered mrkdwn as the notification text, cut at a line break (never inside an entity
    or a link) when it is over the limit."""
    if len(text) <= MAX_FALLBACK:
        return text.strip() or EMPTY
    cut = text.rfind("\n", 0, MAX_FALLBACK - 1)
    return text[: cut if cut > 0 else text.rfind(" ", 0, MAX_FALLBACK - 1)].rstrip() + "…"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}


def sections(source: str) -> list[Block]:
    return [section(m) for _, m in _parts(source)]


def button(b: Button, action_id: str) -> Block:
    """A button that sends its token back; one that opens the annotation page is a link."""
    text = {"type": "plain_text", "text": clip(b.label, MAX_LABEL) or EMPTY, "emoji": True}
    if b.url:
        page_id = PAGE_PREFIX + action_id.removeprefix(TAP_PREFIX)
        return {"type": "button", "text": text, "url": b.url, "action_id": page_id}
    if not 1 <= len(b.token) <= MAX_VALUE:
        raise ValueError(f"button {b.label!r}: token is not 1-{MAX_VALUE} characters")
    return {"type": "button", "text": text, "value": b.token, "action_id": action_id}


def keyboard(screen: Screen) -> list[Block]:
    """One actions block per keyboard row (a row over 25 buttons continues in the next)."""
    blocks: list[Block] = []
    index = 0
    for row in screen.keyboard:
        for start in range(0, len(row), MAX_ROW):
            elements = []
            for b in row[start : start + MAX_ROW]:
                elements.append(button(b, f"{TAP_PREFIX}{index}"))
                index += 1
            if elements:
                blocks.append({"type": "actions", "elements": elements})
    return blocks


def media(screen: Screen) -> list[Block]:
    """A picture given by URL as an image block; other media are not shown on Slack yet."""
    m = screen.media
    if m is None or m.kind != "image" or not m.ref.startswith(("https://", "http://")):
        return []
    return [{"type": "image", "image_url": m.ref, "alt_text": "the item's picture"}]


def context(note: str) -> Block:
    """A toast, shown as a small line above the screen it led to."""
    return {
        "type": "context",
        "elements": [
            {"type": "plain_text", "text": clip(note.strip(), MAX_CONTEXT) or EMPTY, "emoji": True}
        ],
    }


def render(
    screen: Screen, note: str | None = None, shown: list[Block] | None = None
) -> list[Message]:
    """The screen as messages (most screens: one); the keyboard sits on the last one, and the
    toast `note`, if any, on top of the first. `shown` are the blocks that show the screen's
    stored media (see `adapters.slack.media`); without them only a picture's URL is shown."""
    parts = _markdown_parts(screen.text) if screen.markdown else _parts(screen.text)
    keys = keyboard(screen)
    pictures = media(screen) if shown is None else shown
    if len(keys) + len(pictures) + 1 + MAX_SECTIONS > MAX_BLOCKS:
        raise ValueError(f"a keyboard of {len(keys)} rows does not fit in one Slack message")
    groups = [parts[i : i + MAX_SECTIONS] for i in range(0, len(parts), MAX_SECTIONS)]
    messages = []
    for n, group in enumerate(groups):
        blocks = [section(m) for _, m in group]
        if n == 0:
            blocks = ([context(note)] if note else []) + pictures + blocks
        if n == len(groups) - 1:
            blocks += keys
        text = "\n\n".join(src for src, _ in group)
        messages.append(
            Message(_markdown_fallback(text) if screen.markdown else fallback(text), blocks)
        )
    return messages


def home_view(progress: str) -> dict[str, Any]:
    """The App Home tab: a Start labeling button and the person's progress (core text)."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "tapmark"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "Label small tasks with one tap. Your tasks arrive in our direct "
                "messages; `/tapmark help` lists the commands.",
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Start labeling"},
                    "style": "primary",
                    "value": "next",
                    "action_id": HOME_NEXT,
                }
            ],
        },
        {"type": "divider"},
        *sections(progress)[: MAX_HOME_BLOCKS - 4],
    ]
    return {"type": "home", "blocks": blocks}
