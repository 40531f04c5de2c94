"""Problems of a project file, all at once, each with its line, the field in plain words and, for
a misspelt key, the key that was probably meant.

`tomllib` gives values without positions, so `key_lines` reads the text once more for the line
of each key and table. The checks run in rounds: a field that is wrong is reported, then set
aside (its default used) so that the checks behind it (those of a whole table, those of the task
type) run too, in the same call.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from domain.spec import ProjectSpec

Path = tuple[str | int, ...]

FIELD_WORDS = {
    "name": "the project's short name",
    "title": "the title people see",
    "task": "the task type",
    "labels": "the answer choices",
    "labels.value": "the label as stored",
    "labels.title": "the label as shown",
    "labels.description": "what the label means",
    "labels.examples": "examples of the label",
    "options": "the task type's settings",
    "instructions": "the question on every task",
    "guideline": "the guideline file",
    "lease_minutes": "minutes a task is held for one person",
    "timezone": "the project's time zone",
    "session_gap_minutes": "minutes on one task that count as a break",
    "quality": "the quality settings",
    "quality.min_overlap": "answers from distinct annotators each item gets",
    "quality.max_overlap": "the most answers an item may get",
    "quality.confidence": "the aggregated confidence an item should reach",
    "quality.gold_rate": "the share of tasks that are gold questions",
    "quality.qualification": "gold items a newcomer answers before real work",
    "quality.min_gold_accuracy": "the gold accuracy an annotator must keep",
    "quality.gold_min": "gold answers before an annotator is judged",
    "quality.gold_feedback": "when to show the right answer after a gold question",
    "quality.min_seconds": "answers faster than this count as too fast",
    "quality.undo_seconds": "how long after an answer it can be undone",
    "quota": "the annotators' targets",
    "quota.daily": "answers a day per annotator",
    "quota.weekly": "answers a week per annotator",
    "quota.min_gold_accuracy": "the gold accuracy shown as the target",
    "quota.show_gold": "whether annotators see their gold accuracy",
    "schedule": "the scheduled messages",
    "schedule.digest": "whether managers get the daily digest",
    "schedule.digest_at": "when the daily digest goes out",
    "schedule.reminders": "whether annotators behind their quota are reminded",
    "schedule.reminders_at": "when the reminders go out",
    "schedule.deadline_warnings": "whether managers are warned of deadlines",
    "schedule.deadline_warning_hours": "hours before a deadline to warn",
    "pay": "how annotators are paid",
    "pay.per_task": "pay per answer",
    "pay.per_hour": "pay per active hour",
    "pay.currency": "the currency of the pay",
}
REQUIRED_STANDIN = {"name": "project", "title": "project", "task": "single_choice"}
"""Values a missing or wrong required field takes while the rest of the file is checked."""
ROUNDS = 6


# --- where keys are -------------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'[^\']*\''
_KEY = rf"(?:{_BARE}|{_QUOTED})(?:\s*\.\s*(?:{_BARE}|{_QUOTED}))*"
_TABLE = re.compile(rf"\s*\[\s*({_KEY})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(rf"\s*\[\[\s*({_KEY})\s*\]\]\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"\s*({_KEY})\s*=(.*)$")


def _keys(dotted: str) -> tuple[str, ...]:
    parts = re.findall(rf"{_BARE}|{_QUOTED}", dotted)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _open_after(value: str) -> tuple[int, str | None]:
    """How many brackets and braces the rest of an assignment leaves open, and the multi-line
    string delimiter it leaves open (strings and comments skipped)."""
    depth, i = 0, 0
    while i < len(value):
        for delim in ('"""', "'''"):
            if value.startswith(delim, i):
                end = value.find(delim, i + 3)
                if end < 0:
                    return depth, delim
                i = end + 3
                break
        else:
            ch = value[i]
            if ch in "\"'":
                end = i + 1
                while end < len(value) and value[end] != ch:
                    end += 2 if ch == '"' and value[end] == "\\" else 1
                i = end + 1
                continue
            if ch == "#":
                break
            depth += (ch in "[{") - (ch in "]}")
            i += 1
    return depth, None


def key_lines(text: str) -> dict[Path, int]:
    """The line (from 1) of each table and key of a TOML text, by path: ``("quality",)``,
    ``("quality", "min_overlap")``, ``("labels", 1, "title")`` for the second ``[[labels]]``."""
    lines: dict[Path, int] = {}
    table: Path = ()
    counts: dict[Path, int] = {}
    depth, delim = 0, None
    for number, line in enumerate(text.splitlines(), start=1):
        if delim is not None:
            if delim in line:
                rest = line[line.index(delim) + 3 :]
                delim = None
                more, delim = _open_after(rest)
                depth += more
            continue
        if depth > 0:
            more, delim = _open_after(line)
            depth = max(0, depth + more)
            continue
        if match := _ARRAY_TABLE.match(line):
            path = _keys(match.group(1))
            index = counts.get(path, 0)
            counts[path] = index + 1
            table = (*path, index)
            lines.setdefault(path, number)
            lines[table] = number
        elif match := _TABLE.match(line):
            table = _keys(match.group(1))
            lines.setdefault(table, number)
        elif match := _ASSIGN.match(line):
            key = (*table, *_keys(match.group(1)))
            lines.setdefault(key, number)
            depth, delim = _open_after(match.group(2))
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, else of the nearest table or key that holds it."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


# --- what is wrong, in plain words -----------------------------------------------------------


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def model_at(path: Path) -> type[BaseModel] | None:
    """The settings model of the table at `path` (None: not a table of known keys)."""
    model: type[BaseModel] | None = ProjectSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return None
        model = _model_in(field.annotation)
    return model


def field_name(path: Path) -> str:
    """``quality.min_overlap``; list entries counted from 1: ``labels[2].title``."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def _words(path: Path) -> str:
    key = ".".join(p for p in path if isinstance(p, str))
    words = FIELD_WORDS.get(key)
    return f"{field_name(path)} ({words})" if words else field_name(path)


def _suggest(path: Path, key: str) -> str:
    model = model_at(path)
    if model is None:
        return ""
    known = list(model.model_fields)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        words = FIELD_WORDS.get(".".join(p for p in (*path, close[0]) if isinstance(p, str)))
        return f"; did you mean {close[0]}" + (f" ({words})?" if words else "?")
    return f" (known here: {', '.join(known)})"


def _shown(value: Any) -> str:
    return f", not {value!r}" if isinstance(value, str | int | float | bool) else ""


def plain_problem(err: ErrorDetails) -> str:
    """One pydantic error as a person would say it."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}{_shown(given)}"
    if kind == "missing":
        return "missing, and it is required"
    if kind == "string_pattern_mismatch" and err["loc"] == ("name",):
        return (
            "lower-case letters, digits, - and _ only, starting with a letter or digit, "
            f"at most 64{_shown(given)}"
        )
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must have at least {n} characters"
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"may have at most {ctx.get('max_length')} entries"
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return f"must be a whole number{_shown(given)}"
    if kind in {"float_parsing", "float_type"}:
        return f"must be a number{_shown(given)}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"must be true or false{_shown(given)}"
    if kind == "string_type":
        return f"must be text in quotes{_shown(given)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}{_shown(given)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        if err["loc"][:1] == ("labels",):
            return "must be a label: its text, or a table with value (and title, description)"
        return f"must be a table{_shown(given)}"
    if kind in {"tuple_type", "list_type"}:
        return f"must be a list{_shown(given)}"
    return str(err["msg"]).removeprefix("Value error, ")


# --- checking in rounds -------------------------------------------------------------------------


def _set_aside(raw: dict[str, Any], path: Path) -> bool:
    """Take the value at `path` out of `raw` so that the rest can be checked (defaults apply; a
    required field or a label gets a stand-in); whether anything changed."""
    holder: Any = raw
    for part in path[:-1]:
        try:
            holder = holder[part]
        except (KeyError, IndexError, TypeError):
            return False
    if not path:
        return False
    last = path[-1]
    if isinstance(holder, list):
        standin = {"value": f"label {int(last) + 1}"}
        if isinstance(last, int) and last < len(holder) and holder[last] != standin:
            holder[last] = standin
            return True
        return False
    if not isinstance(holder, dict):
        return False
    if len(path) == 1 and last in REQUIRED_STANDIN:
        standin_value = REQUIRED_STANDIN[str(last)]
    elif len(path) == 3 and path[0] == "labels" and last == "value":
        standin_value = f"label {int(path[1]) + 1}"
    else:
        return holder.pop(last, None) is not None
    if holder.get(last) == standin_value:
        return False
    holder[last] = standin_value
    return True


def _misspelt(errors: list[ErrorDetails]) -> set[Path]:
    """Missing keys explained by an unknown key beside them that is close to their name."""
    extras: dict[Path, list[str]] = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            extras.setdefault(tuple(err["loc"][:-1]), []).append(str(err["loc"][-1]))
    explained = set()
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "missing" and difflib.get_close_matches(
            str(loc[-1]), extras.get(loc[:-1], []), n=1, cutoff=0.6
        ):
            explained.add(loc)
    return explained


def validate(raw: dict[str, Any]) -> tuple[ProjectSpec | None, list[tuple[Path, str]], set[str]]:
    """Check `raw` (which this changes) in rounds: the spec with every bad field set aside
    (None when that is not enough), every problem with its path, and the top-level keys that
    were set aside, whose further checks would only repeat the problem."""
    problems: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    touched: set[str] = set()
    for _ in range(ROUNDS):
        try:
            return ProjectSpec.model_validate(raw), problems, touched
        except ValidationError as exc:
            errors = exc.errors()
        explained = _misspelt(errors)
        changed = False
        for err in sorted(errors, key=lambda e: len(e["loc"]), reverse=True):
            path = tuple(err["loc"])
            if not path and "labels" in str(err["msg"]):
                path = ("labels",)  # the check of the whole file that is about labels
            if path not in seen and path not in explained:
                seen.add(path)
                if err["type"] == "extra_forbidden":
                    problems.append(
                        (path, "not a setting here" + _suggest(path[:-1], str(path[-1])))
                    )
                else:
                    problems.append((path, plain_problem(err)))
            if path and tuple(err["loc"]) == path and _set_aside(raw, path):
                changed = True
                touched.add(str(path[0]))
        if not changed:
            break
    return None, problems, touched


def task_problem_path(problem: str, raw: dict[str, Any]) -> tuple[Path, str]:
    """A task type's problem (``options: rows: must be ...``) as a path and the rest."""
    head, _, rest = problem.partition(": ")
    path: Path = (head,)
    options = raw.get("options")
    sub, _, more = rest.partition(": ")
    if head == "options" and isinstance(options, dict) and sub in options:
        return (head, sub), more
    return path, rest


def sorted_lines(
    name: str, lines: dict[Path, int], problems: Iterable[tuple[Path, str]]
) -> list[str]:
    """``NAME: line N: FIELD (words): problem`` for each problem, in the order of the file."""
    shown = []
    for path, problem in problems:
        line = line_of(lines, path)
        where = f"line {line}: " if line is not None else ""
        shown.append((line or 0, f"{name}: {where}{_words(path)}: {problem}"))
    return [text for _, text in sorted(shown, key=lambda pair: pair[0])]
