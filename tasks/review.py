"""`review`: check a model's suggested label: *Accept*, *Reject*, or pick another label.

The fastest way to correct model output: one tap when the model is right.
Payload: ``suggestion``, one of the project's labels, with an optional ``score`` (the model's
confidence, shown), or the object a Label Studio prediction becomes at import (``{"label",
"score", "model_version"}``, see `tasks.labelstudio`); and the item's content as for
single_choice.
Answer: the label the person settles on (the suggestion when accepted), or ``"rejected"``: the
suggestion is wrong and no other label fits. Gold: a label or ``"rejected"``.
Aggregation: a gold-weighted vote over the labels and "rejected"; exports add how many accepted.
"""

from __future__ import annotations

from typing import Any

from domain.spec import ProjectSpec
from tasks.base import SUGGESTION_KEY, AnswerError, Option, TaskView, item_body, item_media
from tasks.choice import SingleChoice

REJECTED = "rejected"
MODEL_KEYS = (SUGGESTION_KEY, "score")


def suggested(data: dict[str, Any]) -> tuple[Any, Any]:
    """The suggested label and the model's score (None when there is none)."""
    suggestion = data.get(SUGGESTION_KEY)
    if isinstance(suggestion, dict):
        return suggestion.get("label"), suggestion.get("score")
    return suggestion, data.get("score")


class Review(SingleChoice):
    name = "review"

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec)
        if REJECTED in spec.label_values():
            problems.append(f"labels: {REJECTED!r} is the answer of Reject; rename that label")
        return problems

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        labels = spec.label_values()
        suggestion, score = suggested(data)
        if not isinstance(suggestion, str) or suggestion not in labels:
            return [f"data.suggestion: {suggestion!r} is not a label (labels: {', '.join(labels)})"]
        if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
            return ["data.score: must be a number"]
        rest = {k: v for k, v in data.items() if k not in MODEL_KEYS}
        return super().check_item(spec, rest)

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        raw, score = suggested(data)
        suggestion = str(raw or "")
        shown = {label.value: label.shown for label in spec.labels}
        line = f"Suggested: {shown.get(suggestion, suggestion)}"
        if isinstance(score, int | float) and not isinstance(score, bool):
            line += f" (model score {score:.2f})"
        body = item_body({k: v for k, v in data.items() if k not in MODEL_KEYS})
        options = [Option("✓ Accept", suggestion), Option("✗ Reject", REJECTED)]
        options += [
            Option(f"→ {label.shown}", label.value)
            for label in spec.labels
            if label.value != suggestion
        ]
        return TaskView(
            prompt=spec.instructions,
            body=f"{body}\n\n{line}",
            options=tuple(options),
            hint="Accept, reject, or pick the right label.",
            media=item_media(data),
        )

    def validate(self, spec: ProjectSpec, value: str) -> str:
        if value != REJECTED and value not in spec.label_values():
            raise AnswerError(f"{value!r} is not one of this project's labels or {REJECTED!r}")
        return value

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        labels = spec.label_values()
        if not isinstance(gold, str) or (gold not in labels and gold != REJECTED):
            raise AnswerError(
                f"{gold!r} is not a label or {REJECTED!r} (labels: {', '.join(labels)})"
            )
        return gold

    def describe(self, spec: ProjectSpec, value: str) -> str:
        if value == REJECTED:
            return "rejected (the suggestion is wrong)"
        return super().describe(spec, value)

    def classes(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        return [*spec.label_values(), REJECTED]
