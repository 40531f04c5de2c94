"""The task-type interface: render an item for a person, check an answer. Pure, no I/O.

A task type takes answers in one of three ways (`TaskView.mode`):

- ``tap``: one button is the whole answer (single_choice, binary, rating, pairwise, review);
- ``toggle``: buttons switch options on and off (a check mark on those that are on) and *Done*
  gives the answer (multi_choice, image_grid);
- ``text``: the answer is typed as a message (free_text);
- ``page``: the answer is made in the annotation page (boxes, polygons, keypoints): the chat
  card shows a button that opens it.

Answers are stored as strings: a label, a number, or canonical JSON for sets and regions (see
each type). `aggregation` names how the core turns an item's answers into a result (see
`bot.judging.verdicts`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

from domain.spec import ProjectSpec
from tasks.media import MEDIA_KEYS, StoredMedia, stored_media

Mode = Literal["tap", "toggle", "text", "page"]
Aggregation = Literal["categorical", "multilabel", "rating", "text", "regions"]


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

    `prompt`, `body` and `hint` are plain text; the core escapes them for the chat's markup.
    In toggle mode `selected` holds the indices of the options now on. `columns` asks for that
    many buttons a row (0: the core decides). `media` is the stored file to show with the text.
    """

    prompt: str
    body: str
    options: tuple[Option, ...]
    mode: Mode = "tap"
    selected: frozenset[int] = frozenset()
    columns: int = 0
    hint: str = ""
    media: StoredMedia | None = None


class TaskType(ABC):
    """The base of every task type; subclasses render and override what else differs."""

    name: str = ""
    mode: Mode = "tap"
    aggregation: Aggregation = "categorical"
    option_keys: frozenset[str] = frozenset()
    """The keys the type accepts in the project's ``[options]`` table."""

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        """Problems with a project's task settings (empty when it is fine)."""
        unknown = sorted(set(spec.options) - self.option_keys)
        if not unknown:
            return []
        known = ", ".join(sorted(self.option_keys)) or "none"
        return [f"options: {', '.join(unknown)}: not an option of {self.name} (known: {known})"]

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        """Problems with one item's data (empty when it is fine)."""
        if not any(str(v).strip() for k, v in data.items() if k != "media"):
            return ["data: the item has no content to show"]
        return []

    def stored(
        self, spec: ProjectSpec, data: dict[str, Any], gold: str | None
    ) -> tuple[dict[str, Any], str | None]:
        """The item's data and gold once its media file is stored (``data.media`` set), or
        AnswerError naming the field that no longer fits. As given, unless the task type
        measures its answers on the stored file (regions)."""
        return data, gold

    @abstractmethod
    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        """The item as the person sees it; in toggle mode with `selected` switched on."""

    def validate(self, spec: ProjectSpec, value: str) -> str:
        """The stored form of a tapped option's value, or AnswerError."""
        raise AnswerError("this task is not answered with a tap")

    def toggled(self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int]) -> str:
        """The stored answer for the options switched on when *Done* is pressed."""
        raise AnswerError("this task has no options to switch on and off")

    def typed(self, spec: ProjectSpec, data: dict[str, Any], text: str) -> str:
        """The stored answer for a typed message, or AnswerError with what to fix."""
        raise AnswerError("this task is answered with the buttons")

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        """A batch row's gold answer in stored form, or AnswerError naming what is wrong."""
        if not isinstance(gold, str):
            raise AnswerError(f"{gold!r} is not a valid answer")
        return self.validate(spec, gold)

    def is_correct(self, spec: ProjectSpec, data: dict[str, Any], gold: str, value: str) -> bool:
        """Whether an answer to a gold item counts as right."""
        return value == gold

    def describe(self, spec: ProjectSpec, value: str) -> str:
        """A stored answer as a person reads it (plain text)."""
        return value

    def decode(self, value: str) -> Any:
        """A stored answer as data for exports (a label stays a string)."""
        return value

    # aggregation helpers (see bot.judging.verdicts)

    def classes(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        """Categorical types: every value an answer can take, in a fixed order."""
        return spec.label_values()

    def elements(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        """Multilabel types: what is switched on or off (labels, cells), in a fixed order."""
        return []

    def chosen(self, value: str) -> frozenset[str]:
        """Multilabel types: the elements a stored answer switched on."""
        return frozenset()

    def combine(self, spec: ProjectSpec, data: dict[str, Any], chosen: frozenset[str]) -> str:
        """Multilabel types: the stored form of the elements the aggregation kept."""
        return json.dumps(sorted(chosen))


SUGGESTION_KEY = "suggestion"
"""The data field holding a model's suggested label (from an imported Label Studio prediction,
see `tasks.labelstudio`): kept for the exports, never shown to annotators."""


def item_body(data: dict[str, Any]) -> str:
    """The text people read for an item: its `text` field, else every field on its own line
    (media references left out: the media is shown with the text; and a model's suggestion)."""
    text = data.get("text")
    if isinstance(text, str) and text.strip():
        return text
    return "\n".join(
        f"{key}: {value}"
        for key, value in data.items()
        if key not in MEDIA_KEYS and key != SUGGESTION_KEY
    )


def item_media(data: dict[str, Any]) -> StoredMedia | None:
    return stored_media(data)


def mask_of(selected: frozenset[int]) -> int:
    return sum(1 << i for i in selected)


def selection(mask: int, size: int) -> frozenset[int] | None:
    """The option indices a bit mask names, or None if it names one beyond `size`."""
    if mask < 0 or mask >> size:
        return None
    return frozenset(i for i in range(size) if mask >> i & 1)


def json_list(value: str) -> list[Any]:
    try:
        decoded = json.loads(value)
    except ValueError:
        raise AnswerError("not a JSON list") from None
    if not isinstance(decoded, list):
        raise AnswerError("not a JSON list")
    return decoded


def int_option(spec: ProjectSpec, key: str, default: int, low: int, high: int) -> int:
    """An integer from the project's options (already checked by `check_int_option`)."""
    value = spec.options.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def check_int_option(spec: ProjectSpec, key: str, low: int, high: int) -> list[str]:
    if key not in spec.options:
        return []
    value = spec.options[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [f"options: {key}: must be a whole number from {low} to {high}, not {value!r}"]
    return []


def check_text_option(spec: ProjectSpec, key: str, limit: int = 100) -> list[str]:
    value = spec.options.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        return [f"options: {key}: must be text of at most {limit} characters"]
    return []


def check_bool_option(spec: ProjectSpec, key: str) -> list[str]:
    if key in spec.options and not isinstance(spec.options[key], bool):
        return [f"options: {key}: must be true or false"]
    return []
