"""What a batch row may hold: how deep its values nest, which characters its text has, how long
its text is, and how many rows a batch has. Pure checks, each problem as (field, message).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 32
"""Objects and lists inside a row, at most this deep (the row itself is level 1)."""
NAMED_DEPTH = 4
"""Problems deeper than this are named by the field at this depth (``data.more``), not by a
path as long as the nesting."""

_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters other than tab, line feed and carriage return; lone surrogates (UTF-16
halves, which JSON's ``\\uD800`` escapes can produce and no database or chat app accepts)."""


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """How big a batch may be: rows in one batch, characters in one text value."""

    max_items: int = 100_000
    max_text: int = 4000


def char_problem(text: str) -> str | None:
    """What is wrong with the characters of `text`, if anything."""
    found = _BAD_CHAR.search(text)
    if found is None:
        return None
    char = found.group()
    code = ord(char)
    column = found.start() + 1
    if code == 0:
        return f"holds a NUL character (at character {column})"
    if 0xD800 <= code <= 0xDFFF:
        return (
            f"holds a lone surrogate U+{code:04X} (at character {column}), which is not "
            "valid Unicode"
        )
    return f"holds the control character U+{code:04X} (at character {column})"


def value_problems(value: Any, field: str, max_text: int) -> list[tuple[str, str]]:
    """Everything wrong with a parsed JSON value (a row, or one field of it): nesting deeper
    than `MAX_DEPTH`, bad characters in keys or strings, strings over `max_text` characters,
    numbers that are not finite. Walks the value without recursion."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[str, Any, int]] = [(field, value, 1)]
    while stack:
        path, current, depth = stack.pop()
        if isinstance(current, str):
            problem = char_problem(current)
            if problem is not None:
                problems.append((path, problem))
            elif len(current) > max_text:
                problems.append(
                    (
                        path,
                        f"{len(current)} characters, over the {max_text} a "
                        "task may show (TAPMARK_TEXT_MAX_CHARS)",
                    )
                )
        elif isinstance(current, float):
            if not math.isfinite(current):
                problems.append((path, f"{current} is not a number a database keeps"))
        elif isinstance(current, dict | list):
            if depth > MAX_DEPTH:
                problems.append((path, f"nested deeper than {MAX_DEPTH} levels"))
                continue
            if isinstance(current, dict):
                children = []
                for key, child in current.items():
                    problem = char_problem(key)
                    if problem is not None:
                        problems.append((path, f"a key {problem}"))
                        continue
                    named = (f"{path}.{key}" if path else key) if depth < NAMED_DEPTH else path
                    children.append((named, child, depth + 1))
            else:
                children = [
                    (f"{path}[{i}]" if depth < NAMED_DEPTH else path, child, depth + 1)
                    for i, child in enumerate(current)
                ]
            stack.extend(reversed(children))
    return problems
