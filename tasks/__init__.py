"""Task types: how an item is shown and which answers it takes."""

from __future__ import annotations

from tasks.base import AnswerError, Option, TaskType, TaskView
from tasks.choice import Binary, SingleChoice
from tasks.free_text import FreeText
from tasks.image_grid import ImageGrid
from tasks.multi import MultiChoice
from tasks.pairwise import Pairwise
from tasks.rating import Rating
from tasks.review import Review

TASK_TYPES: dict[str, TaskType] = {
    t.name: t
    for t in (SingleChoice(), Binary(), MultiChoice(), Rating(), Pairwise(), FreeText(),
              ImageGrid(), Review())
}


def task_type(name: str) -> TaskType:
    try:
        return TASK_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TASK_TYPES))
        raise KeyError(f"unknown task type {name!r} (known: {known})") from None


__all__ = ["TASK_TYPES", "AnswerError", "Option", "TaskType", "TaskView", "task_type"]
