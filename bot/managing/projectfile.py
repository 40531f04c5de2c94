"""The project file (TOML): read it, check it, and load the guideline it points to."""

from __future__ import annotations

import copy
import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.managing.projectfile_check import (
    key_lines,
    line_of,
    sorted_lines,
    task_problem_path,
    validate,
)
from domain.spec import ProjectSpec
from tasks import TASK_TYPES


class ProjectFileError(ValueError):
    """A project file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class ProjectFile:
    spec: ProjectSpec
    guideline: str | None


def parse_project(name: str, text: str, base: Path | None = None) -> ProjectFile:
    """Check a project file's text; every problem at once, each as ``NAME: line N: FIELD (what
    it is): what is wrong``. `base` is the folder the guideline path is relative to; without one
    (a file sent in chat) the guideline is not read: it comes as its own file."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        if at is None:
            raise ProjectFileError(f"{name}: invalid TOML: {message}") from None
        raise ProjectFileError(
            f"{name}: line {at.group(1)}: invalid TOML: {message[: at.start()]} (column "
            f"{at.group(2)})"
        ) from None
    lines = key_lines(text)
    spec, problems, touched = validate(copy.deepcopy(raw))
    if spec is not None and "task" not in touched:
        kind = TASK_TYPES.get(spec.task)
        if kind is None:
            close = difflib.get_close_matches(spec.task, list(TASK_TYPES), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                (
                    ("task",),
                    f"unknown task type {spec.task!r} ({hint}known: "
                    f"{', '.join(sorted(TASK_TYPES))})",
                )
            )
        else:
            for problem in kind.check_spec(spec):
                where, rest = task_problem_path(problem, raw)
                if str(where[0]) not in touched:
                    problems.append((where, rest))
    if problems or spec is None:
        raise ProjectFileError("\n".join(sorted_lines(name, lines, problems)))
    guideline = None
    if spec.guideline and base is not None:
        path = (base / spec.guideline).resolve()
        try:
            guideline = path.read_text(encoding="utf-8")
        except OSError as exc:
            line = line_of(lines, ("guideline",))
            raise ProjectFileError(
                f"{name}: line {line}: guideline: cannot read {spec.guideline!r} ({exc.strerror})"
            ) from None
    return ProjectFile(spec=spec, guideline=guideline)


def load_project_file(path: Path) -> ProjectFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_project(str(path), text, path.parent)
