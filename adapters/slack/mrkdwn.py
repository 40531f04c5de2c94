"""The core's Markdown subset as Slack mrkdwn, and the core's command names as `/tapmark` ones.

Slack marks *bold*, _italic_ and `code` the same way the subset does, but it has no backslash
escapes, and it reads ``&``, ``<`` and ``>`` as the start of entities, links and mentions. So:
``&<>`` become entities everywhere, and a character the core escaped (people's content: ``*``,
``_``, a backtick) is fenced with zero-width spaces, which keeps Slack from pairing it with
another into formatting while the text reads the same.
"""

from __future__ import annotations

import re

from bot.core import COMMANDS

ZWSP = "\u200b"
_TOKEN = re.compile(r"\\(.)|\*([^*]*)\*|_([^_]*)_|`([^`]*)`", re.S)
_ESCAPED = re.compile(r"\\(.)", re.S)
_FORMATTING = set("*_`~")
# The core names its commands as Telegram does (``/next``); on Slack they are subcommands.
_COMMAND = re.compile(r"(?<![\w/.:-])/(" + "|".join(map(re.escape, COMMANDS)) + r")\b")


def entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _literal(char: str) -> str:
    shown = entities(char)
    return ZWSP + shown + ZWSP if char in _FORMATTING else shown


def _inner(text: str) -> str:
    """The inside of a bold or italic span: escapes resolved, still safe for mrkdwn."""
    out: list[str] = []
    pos = 0
    for m in _ESCAPED.finditer(text):
        out.append(entities(text[pos : m.start()]))
        out.append(_literal(m.group(1)))
        pos = m.end()
    out.append(entities(text[pos:]))
    return "".join(out)


def to_mrkdwn(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(entities(text[pos : m.start()]))
        if m.group(1) is not None:
            out.append(_literal(m.group(1)))
        elif m.group(2) is not None:
            inner = _inner(m.group(2))
            out.append(f"*{inner}*" if inner.strip() else inner)
        elif m.group(3) is not None:
            inner = _inner(m.group(3))
            out.append(f"_{inner}_" if inner.strip() else inner)
        else:
            code = entities(m.group(4) or "")
            out.append(f"`{code}`" if code.strip() else code)
        pos = m.end()
    out.append(entities(text[pos:]))
    return "".join(out)


def slash_commands(text: str, command: str = "/tapmark") -> str:
    """``/next`` as ``/tapmark next``: what a person types in Slack to do what the text says."""
    return _COMMAND.sub(lambda m: f"{command} {m.group(1)}", text)
