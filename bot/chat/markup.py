"""The small Markdown subset screens are written in: ``*bold*``, ``_italic_`` and backslash escapes.

People's content (item text, names) is escaped with `escape`; adapters turn the subset into their
platform's formatting, or into plain text with `plain`.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\*_`])")
_TOKEN = re.compile(r"\\(.)|\*([^*]*)\*|_([^_]*)_|`([^`]*)`", re.S)


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~&])")


def md_escape(text: str) -> str:
    """People's text made literal inside a CommonMark document (a guideline screen)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def plain(text: str) -> str:
    """The text without markup, as a terminal or a notification shows it."""

    def bare(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return m.group(1)
        if m.group(4) is not None:
            return m.group(4)
        return _unescape(m.group(2) if m.group(2) is not None else m.group(3))

    return _TOKEN.sub(bare, text)


def to_html(text: str) -> str:
    """The subset as Telegram-style HTML (``<b>``, ``<i>``, ``<code>``), with &, < and >
    escaped."""

    def html_escape(s: str) -> str:
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(html_escape(text[pos : m.start()]))
        if m.group(1) is not None:
            out.append(html_escape(m.group(1)))
        elif m.group(2) is not None:
            out.append(f"<b>{html_escape(_unescape(m.group(2)))}</b>")
        elif m.group(3) is not None:
            out.append(f"<i>{html_escape(_unescape(m.group(3)))}</i>")
        else:
            out.append(f"<code>{html_escape(m.group(4) or '')}</code>")
        pos = m.end()
    out.append(html_escape(text[pos:]))
    return "".join(out)


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at paragraph or line breaks (else at a space, else anywhere) into
    parts of at most `limit` characters. Linear in the text's length: each part is looked for
    within the next `limit` characters only, and the text is never copied whole again."""
    parts: list[str] = []
    end = len(text.rstrip())
    pos = len(text) - len(text.lstrip()) if end else 0
    while end - pos > limit:
        window = pos + limit
        cut = text.rfind("\n\n", pos, window)
        if cut <= pos:
            cut = text.rfind("\n", pos, window)
        if cut <= pos:
            cut = text.rfind(" ", pos, window)
        if cut <= pos:
            cut = window
        parts.append(text[pos:cut].rstrip())
        pos = cut
        while pos < end and text[pos].isspace():
            pos += 1
    if pos < end:
        parts.append(text[pos:end])
    return parts


def plural(n: int, word: str) -> str:
    """``1 answer``, ``2 answers``: a count with its noun."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
