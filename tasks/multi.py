"""`multi_choice`: any number of labels apply to an item.

Payload: as single_choice. The person switches labels on and off (a check mark on those that
are on) and presses *Done*; choosing none is an answer too ("none of these").
Answer: a JSON list of the chosen label values in the project's label order, ``["cat", "dog"]``.
Gold: the same list, or in a CSV cell the values joined by ``|`` (``cat|dog``).
Aggregation: each label on its own (chosen or not), weighted by the annotators' gold accuracy.
"""

from __future__ import annotations

import json
from typing import Any

from domain.spec import ProjectSpec
from tasks.base import AnswerError, Option, TaskView, item_body, item_media, json_list
from tasks.choice import SingleChoice


class MultiChoice(SingleChoice):
    name = "multi_choice"
    mode = "toggle"
    aggregation = "multilabel"

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        options = tuple(Option(label=label.shown, value=label.value) for label in spec.labels)
        return TaskView(
            prompt=spec.instructions,
            body=item_body(data),
            options=options,
            mode="toggle",
            selected=selected,
            hint="Tick every label that applies, then press Done.",
            media=item_media(data),
        )

    def toggled(self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int]) -> str:
        labels = spec.label_values()
        if any(i >= len(labels) for i in selected):
            raise AnswerError("that choice is not one of this project's labels")
        return json.dumps([labels[i] for i in sorted(selected)], ensure_ascii=False)

    def validate(self, spec: ProjectSpec, value: str) -> str:
        chosen = json_list(value)
        labels = spec.label_values()
        unknown = [c for c in chosen if c not in labels]
        if unknown:
            raise AnswerError(f"{unknown[0]!r} is not one of this project's labels")
        return json.dumps([v for v in labels if v in chosen], ensure_ascii=False)

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        if isinstance(gold, str):
            text = gold.strip()
            gold = (
                json_list(text)
                if text.startswith("[")
                else [part.strip() for part in text.split("|") if part.strip()]
            )
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            raise AnswerError("must be a list of labels (in CSV: labels joined by |)")
        labels = spec.label_values()
        unknown = [g for g in gold if g not in labels]
        if unknown:
            raise AnswerError(f"{unknown[0]!r} is not a label (labels: {', '.join(labels)})")
        return json.dumps([v for v in labels if v in gold], ensure_ascii=False)

    def describe(self, spec: ProjectSpec, value: str) -> str:
        shown = {label.value: label.shown for label in spec.labels}
        try:
            chosen = json_list(value)
        except AnswerError:
            return value
        return ", ".join(shown.get(str(c), str(c)) for c in chosen) or "none"

    def decode(self, value: str) -> Any:
        try:
            return json_list(value)
        except AnswerError:
            return value

    def elements(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        return spec.label_values()

    def chosen(self, value: str) -> frozenset[str]:
        try:
            return frozenset(str(v) for v in json_list(value))
        except AnswerError:
            return frozenset()

    def combine(self, spec: ProjectSpec, data: dict[str, Any], chosen: frozenset[str]) -> str:
        return json.dumps([v for v in spec.label_values() if v in chosen], ensure_ascii=False)
