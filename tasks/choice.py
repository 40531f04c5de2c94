"""`single_choice` (one of several labels) and `binary` (one of exactly two) task types.

Payload: any fields (``text`` is shown; otherwise every field), optionally one media file.
Answer: the label's value.
"""

from __future__ import annotations

from typing import Any

from domain.spec import ProjectSpec
from tasks.base import AnswerError, Option, TaskType, TaskView, item_body, item_media

MAX_LABELS = 24


class SingleChoice(TaskType):
    name = "single_choice"

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec)
        if len(spec.labels) < 2:
            problems.append(f"labels: a {self.name} task needs at least 2 labels")
        if len(spec.labels) > MAX_LABELS:
            problems.append(f"labels: at most {MAX_LABELS} labels fit on a phone screen")
        return problems

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        options = tuple(Option(label=label.shown, value=label.value) for label in spec.labels)
        return TaskView(
            prompt=spec.instructions, body=item_body(data), options=options, media=item_media(data)
        )

    def validate(self, spec: ProjectSpec, value: str) -> str:
        if value not in spec.label_values():
            raise AnswerError(f"{value!r} is not one of this project's labels")
        return value

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        labels = spec.label_values()
        if not isinstance(gold, str) or gold not in labels:
            raise AnswerError(f"{gold!r} is not a label (labels: {', '.join(labels)})")
        return gold

    def describe(self, spec: ProjectSpec, value: str) -> str:
        shown = {label.value: label.shown for label in spec.labels}
        return shown.get(value, value)


class Binary(SingleChoice):
    name = "binary"

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = TaskType.check_spec(self, spec)
        if len(spec.labels) != 2:
            problems.append(f"labels: a binary task needs exactly 2 labels, not {len(spec.labels)}")
        return problems
