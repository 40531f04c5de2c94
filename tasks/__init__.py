"""Task types: how an item is shown and which answers it takes."""

from __future__ import annotations

from tasks.base import AnswerError, Option, TaskType, TaskView
from tasks.choice import Binary, SingleChoice

TASK_TYPES: dict[str, TaskType] = {t.name: t for t in (SingleChoice(), Binary())}


def task_type(name: str) -> TaskType:
    try:
        return TASK_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TASK_TYPES))
        raise KeyError(f"unknown task type {name!r} (known: {known})") from None


__all__ = ["TASK_TYPES", "AnswerError", "Option", "TaskType", "TaskView", "task_type"]
