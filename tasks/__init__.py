"""Task types: how an item is shown and which answers it takes."""

from __future__ import annotations

from domain.spec import ProjectSpec
from tasks.base import AnswerError, Option, TaskType, TaskView
from tasks.choice import Binary, SingleChoice
from tasks.free_text import FreeText
from tasks.image_grid import ImageGrid
from tasks.multi import MultiChoice
from tasks.pairwise import Pairwise
from tasks.rating import Rating
from tasks.regions.types import REGION_TASK_TYPES
from tasks.review import Review

TASK_TYPES: dict[str, TaskType] = {
    t.name: t
    for t in (
        SingleChoice(),
        Binary(),
        MultiChoice(),
        Rating(),
        Pairwise(),
        FreeText(),
        ImageGrid(),
        Review(),
        *REGION_TASK_TYPES,
    )
}


def task_type(name: str) -> TaskType:
    try:
        return TASK_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(TASK_TYPES))
        raise KeyError(f"unknown task type {name!r} (known: {known})") from None


def tap_choices(spec: ProjectSpec, view: TaskView) -> list[tuple[str, str]]:
    """The answers someone other than the annotator picks with a tap (QA setting a result, an
    annotator relabelling an item sent back), as (button text, stored answer): the options of a
    task answered by tapping. Empty for task types answered by toggles or typing."""
    if view.mode != "tap":
        return []
    kind = task_type(spec.task)
    return [(option.label, kind.validate(spec, option.value)) for option in view.options]


__all__ = [
    "TASK_TYPES",
    "AnswerError",
    "Option",
    "TaskType",
    "TaskView",
    "tap_choices",
    "task_type",
]
