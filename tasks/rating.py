"""`rating`: a score on a 1..N scale.

Options: `scale` (N, 2 to 10, default 5), `low` and `high` (what the ends mean, shown under the
item), `tolerance` (how far from the median an answer may be and still agree; default 1).
Payload: as single_choice. Answer: the number as text, ``"4"``. Gold: a number on the scale; a
gold answer within `tolerance` of it counts as right.
Aggregation: the median, with the spread (interquartile range, median absolute deviation)
reported; an item is done when enough answers lie within `tolerance` of the median.
"""

from __future__ import annotations

from typing import Any

from domain.spec import ProjectSpec
from tasks.base import (
    AnswerError,
    Option,
    TaskType,
    TaskView,
    check_int_option,
    check_text_option,
    int_option,
    item_body,
    item_media,
)

MAX_ROW = 8


def scale_of(spec: ProjectSpec) -> int:
    return int_option(spec, "scale", 5, 2, 10)


def tolerance_of(spec: ProjectSpec) -> int:
    return int_option(spec, "tolerance", 1, 0, 9)


class Rating(TaskType):
    name = "rating"
    aggregation = "rating"
    option_keys = frozenset({"scale", "low", "high", "tolerance"})

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec)
        problems += check_int_option(spec, "scale", 2, 10)
        problems += check_int_option(spec, "tolerance", 0, 9)
        problems += check_text_option(spec, "low") + check_text_option(spec, "high")
        if spec.labels:
            problems.append("labels: a rating task takes none (set options.scale, low, high)")
        return problems

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        n = scale_of(spec)
        options = tuple(Option(label=str(k), value=str(k)) for k in range(1, n + 1))
        low, high = spec.options.get("low", ""), spec.options.get("high", "")
        hint = f"1 = {low} … {n} = {high}" if low or high else f"From 1 to {n}."
        columns = n if n <= MAX_ROW else (n + 1) // 2
        return TaskView(
            prompt=spec.instructions,
            body=item_body(data),
            options=options,
            columns=columns,
            hint=hint,
            media=item_media(data),
        )

    def validate(self, spec: ProjectSpec, value: str) -> str:
        text = value.strip()
        if not text.isdigit() or not 1 <= int(text) <= scale_of(spec):
            raise AnswerError(f"{value!r} is not on the scale 1 to {scale_of(spec)}")
        return str(int(text))

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        if isinstance(gold, int) and not isinstance(gold, bool):
            gold = str(gold)
        if not isinstance(gold, str):
            raise AnswerError(f"{gold!r} is not a number from 1 to {scale_of(spec)}")
        return self.validate(spec, gold)

    def is_correct(self, spec: ProjectSpec, data: dict[str, Any], gold: str, value: str) -> bool:
        try:
            return abs(int(value) - int(gold)) <= tolerance_of(spec)
        except ValueError:
            return False

    def describe(self, spec: ProjectSpec, value: str) -> str:
        return f"{value} of {scale_of(spec)}"

    def decode(self, value: str) -> Any:
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
