"""The project file (TOML): read it, check it, and load the guideline it points to."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from storage.models import ProjectSpec
from tasks import TASK_TYPES


class ProjectFileError(ValueError):
    """A project file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class ProjectFile:
    spec: ProjectSpec
    guideline: str | None


def parse_project(name: str, text: str, base: Path | None = None) -> ProjectFile:
    """Check a project file's text. `base` is the folder the guideline path is relative to;
    without one (a file sent in chat) the guideline is not read: it comes as its own file."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectFileError(f"{name}: invalid TOML: {exc}") from None
    try:
        spec = ProjectSpec.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors()[:10]:
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"{name}: {field}: {err['msg']}")
        raise ProjectFileError("\n".join(lines)) from None
    kind = TASK_TYPES.get(spec.task)
    if kind is None:
        known = ", ".join(sorted(TASK_TYPES))
        raise ProjectFileError(f"{name}: task: unknown task type {spec.task!r} (known: {known})")
    problems = kind.check_spec(spec)
    if problems:
        raise ProjectFileError("\n".join(f"{name}: {p}" for p in problems))
    guideline = None
    if spec.guideline and base is not None:
        path = (base / spec.guideline).resolve()
        try:
            guideline = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProjectFileError(
                f"{name}: guideline: cannot read {spec.guideline!r} ({exc.strerror})"
            ) from None
    return ProjectFile(spec=spec, guideline=guideline)


def load_project_file(path: Path) -> ProjectFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_project(str(path), text, path.parent)
