"""Markdown documents (guidelines) as Telegram HTML, Slack mrkdwn or plain text, in parts.

The core hands a guideline over as CommonMark (a `Screen` with ``markdown=True``); each adapter
renders it here with markdown-it-py and splits it at its own limit. Parts are cut between
top-level blocks (a paragraph, a heading, a list, a code block); a block longer than the limit
is cut between its lines (a list between items) and each piece rendered on its own, so no part
ever ends inside a tag, an entity or a formatting pair. Raw HTML in the source is shown as
text. Intraword underscores (``snake_case_word``) are text on every platform.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.chat.markup import split_text

Target = Literal["telegram", "slack", "plain"]

_MD = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")
ZWSP = "\u200b"
_SLACK_ALWAYS = set("*~`")
_BULLET = "•"


def _html(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _slack_text(text: str) -> str:
    """Text for mrkdwn: entities for ``&<>``; a ``*``, ``~`` or backtick, and an underscore at
    a word's edge, fenced with zero-width spaces so Slack does not pair them into formatting."""
    out: list[str] = []
    for i, char in enumerate(text):
        if char in _SLACK_ALWAYS or (
            char == "_"
            and not (0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum())
        ):
            out.append(ZWSP + char + ZWSP)
        else:
            out.append(_html(char))
    return "".join(out)


class _Renderer:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.bold = 0

    # inline

    def text(self, text: str) -> str:
        if self.target == "telegram":
            return _html(text)
        if self.target == "slack":
            return _slack_text(text)
        return text

    def inline(self, node: SyntaxTreeNode) -> str:
        return "".join(self.span(child) for child in node.children)

    def span(self, node: SyntaxTreeNode) -> str:
        kind, t = node.type, self.target
        if kind == "text":
            return self.text(node.content)
        if kind == "softbreak" or kind == "hardbreak":
            return "\n"
        if kind == "code_inline":
            if t == "telegram":
                return f"<code>{_html(node.content)}</code>"
            if t == "slack":
                return f"`{_html(node.content.replace('`', 'ˋ'))}`"
            return node.content
        if kind in ("strong", "em", "s"):
            return self.pair(kind, node)
        if kind == "link":
            return self.link(self.inline(node), str(node.attrs.get("href", "")))
        if kind == "image":
            alt = self.text(node.content or "picture")
            return self.link(alt, str(node.attrs.get("src", "")))
        return self.text(node.content)

    def pair(self, kind: str, node: SyntaxTreeNode) -> str:
        if kind == "strong":
            self.bold += 1
        inner = self.inline(node)
        if kind == "strong":
            self.bold -= 1
        if self.target == "plain" or not inner.strip():
            return inner
        if self.target == "telegram":
            tag = {"strong": "b", "em": "i", "s": "s"}[kind]
            return f"<{tag}>{inner}</{tag}>"
        mark = {"strong": "*", "em": "_", "s": "~"}[kind]
        if kind == "strong" and self.bold:
            return inner
        lead, core, trail = _trim(inner)
        return f"{lead}{mark}{core}{mark}{trail}"

    def link(self, inner: str, href: str) -> str:
        if not href.startswith(("http://", "https://", "mailto:", "tg://")):
            return inner
        if self.target == "telegram":
            return f'<a href="{_html(href, quote=True)}">{inner}</a>'
        if self.target == "slack":
            safe = _html(href).replace("|", "%7C")
            return f"<{safe}|{inner}>"
        shown = href.removeprefix("mailto:")
        return inner if inner == shown else f"{inner} ({shown})"

    # blocks

    def block(self, node: SyntaxTreeNode, depth: int = 0) -> str:
        kind, t = node.type, self.target
        if kind == "paragraph":
            return self.inline(node.children[0]) if node.children else ""
        if kind == "heading":
            self.bold += 1
            inner = self.inline(node.children[0]) if node.children else ""
            self.bold -= 1
            if t == "telegram":
                return f"<b>{inner}</b>"
            if t == "slack":
                lead, core, trail = _trim(inner)
                return f"{lead}*{core}*{trail}" if core else inner
            return inner
        if kind in ("bullet_list", "ordered_list"):
            return self.list_(node, depth)
        if kind in ("fence", "code_block"):
            code = node.content.rstrip("\n")
            if t == "telegram":
                return f"<pre>{_html(code)}</pre>"
            if t == "slack":
                return f"```\n{_html(code.replace('```', 'ˋˋˋ'))}\n```"
            return code
        if kind == "blockquote":
            inner = "\n\n".join(self.block(child, depth) for child in node.children)
            if t == "telegram":
                return f"<blockquote>{inner}</blockquote>"
            return "\n".join("> " + line if line else ">" for line in inner.split("\n"))
        if kind == "hr":
            return "———"
        return self.text(node.content.rstrip("\n"))

    def list_(self, node: SyntaxTreeNode, depth: int) -> str:
        start = int(str(node.attrs.get("start", 1))) if node.type == "ordered_list" else 1
        lines: list[str] = []
        for n, item in enumerate(node.children):
            marker = f"{start + n}." if node.type == "ordered_list" else _BULLET
            body = "\n".join(self.block(child, depth + 1) for child in item.children)
            pad = " " * (len(marker) + 1)
            first, *rest = body.split("\n") if body else [""]
            lines.append(f"{marker} {first}")
            lines.extend(pad + line if line else line for line in rest)
        return "\n".join(lines)


def _trim(text: str) -> tuple[str, str, str]:
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core[0])
    return text[:start], core, text[start + len(core) :]


def render_blocks(source: str, target: Target) -> list[tuple[str, str]]:
    """Each top-level block as (its Markdown source, its rendering)."""
    lines = source.splitlines()
    renderer = _Renderer(target)
    blocks = []
    for node in SyntaxTreeNode(_MD.parse(source)).children:
        begin, end = node.map if node.map else (0, len(lines))
        blocks.append(("\n".join(lines[begin:end]), renderer.block(node)))
    return blocks


def render(source: str, target: Target) -> str:
    """The whole document in one piece."""
    return "\n\n".join(shown for _, shown in render_blocks(source, target))


def render_parts(
    source: str,
    target: Target,
    limit: int,
    length: Callable[[str], int] = len,
) -> list[str]:
    """The document as parts of at most `limit` (by `length`), each well-formed on its own."""
    parts: list[str] = []
    current = ""
    for block_source, shown in render_blocks(source, target):
        pieces = [shown] if length(shown) <= limit else _cut(block_source, target, limit, length)
        for piece in pieces:
            joined = f"{current}\n\n{piece}" if current else piece
            if length(joined) <= limit:
                current = joined
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _cut(source: str, target: Target, limit: int, length: Callable[[str], int]) -> list[str]:
    """A block too long for one part, cut between lines (else words) and rendered piece by
    piece; a code block keeps its fence on every piece."""
    fence = re.match(r"^(\s*)(`{3,}|~{3,})[^\n]*\n", source)
    budget = limit
    while True:
        if fence:
            body = source[fence.end() :].rstrip()
            closing = fence.group(2)
            if body.endswith(closing):
                body = body[: -len(closing)].rstrip("\n")
            sources = [f"{closing}\n{chunk}\n{closing}" for chunk in split_text(body, budget - 12)]
        else:
            sources = _split_lines(source, budget)
        pieces = [render(piece, target) for piece in sources]
        if all(length(piece) <= limit for piece in pieces) or budget < 64:
            return [piece if length(piece) <= limit else piece[:limit] for piece in pieces]
        budget = budget * 3 // 4


def _split_lines(source: str, limit: int) -> list[str]:
    """Cut at line breaks first (list items stay whole when they can), then as `split_text`."""
    pieces: list[str] = []
    current = ""
    for line in source.split("\n"):
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            pieces.append(current)
        if len(line) <= limit:
            current = line
        else:
            pieces.extend(split_text(line, limit)[:-1])
            current = (split_text(line, limit) or [""])[-1]
    if current:
        pieces.append(current)
    return pieces
