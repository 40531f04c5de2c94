"""The task-type interface: render an item for a person, check an answer. Pure, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from storage.models import ProjectSpec


class AnswerError(ValueError):
    """An answer that the task type does not accept."""


@dataclass(frozen=True, slots=True)
class Option:
    """One answer a person can give with a tap: what the button says and the value stored."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class TaskView:
    """An item as a person sees it: the prompt, the item's content, and the answer options.

    `prompt` and `body` are plain text; the core escapes them for the chat's markup.
    """

    prompt: str
    body: str
    options: tuple[Option, ...]


class TaskType(Protocol):
    name: str

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        """Problems with a project's task settings (empty when it is fine)."""
        ...

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        """Problems with one item's data (empty when it is fine)."""
        ...

    def render(self, spec: ProjectSpec, data: dict[str, Any]) -> TaskView: ...

    def validate(self, spec: ProjectSpec, value: str) -> str:
        """The stored form of an answer, or AnswerError."""
        ...


def item_body(data: dict[str, Any]) -> str:
    """The text people read for an item: its `text` field, else every field on its own line."""
    text = data.get("text")
    if isinstance(text, str) and text.strip():
        return text
    return "\n".join(f"{key}: {value}" for key, value in data.items())
