"""`single_choice` (one of several labels) and `binary` (one of exactly two) task types."""

from __future__ import annotations

from typing import Any

from storage.models import ProjectSpec
from tasks.base import AnswerError, Option, TaskView, item_body

MAX_LABELS = 24


class SingleChoice:
    name = "single_choice"

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = []
        if len(spec.labels) < 2:
            problems.append("labels: a single_choice task needs at least 2 labels")
        if len(spec.labels) > MAX_LABELS:
            problems.append(f"labels: at most {MAX_LABELS} labels fit on a phone screen")
        return problems

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        if not any(str(v).strip() for v in data.values()):
            return ["data: the item has no content to show"]
        return []

    def render(self, spec: ProjectSpec, data: dict[str, Any]) -> TaskView:
        options = tuple(Option(label=label.shown, value=label.value) for label in spec.labels)
        return TaskView(prompt=spec.instructions, body=item_body(data), options=options)

    def validate(self, spec: ProjectSpec, value: str) -> str:
        if value not in spec.label_values():
            raise AnswerError(f"{value!r} is not one of this project's labels")
        return value


class Binary(SingleChoice):
    name = "binary"

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        if len(spec.labels) != 2:
            return [f"labels: a binary task needs exactly 2 labels, not {len(spec.labels)}"]
        return []
