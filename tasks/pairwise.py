"""`pairwise`: which of two is better (A or B, or "same"), for preference data.

Options: `allow_same` (offer *Same*; default true).
Payload: ``a`` and ``b``, the two candidates as text; optional ``a_id`` and ``b_id`` naming them
for the ranking (default: the text itself); optional ``text`` (the question or the context) and
one media file (a picture of both, say).
Answer: ``"A"``, ``"B"`` or ``"same"``. Gold: the same.
Aggregation: per pair, the gold-weighted majority; over all pairs of a project, a Bradley-Terry
ranking of the candidates (`bot.quality.rich.bradley_terry`, in the ranking export).
"""

from __future__ import annotations

from typing import Any

from domain.spec import ProjectSpec
from tasks.base import AnswerError, Option, TaskType, TaskView, check_bool_option, item_media

A, B, SAME = "A", "B", "same"
MAX_SIDE = 1500


def allow_same(spec: ProjectSpec) -> bool:
    return bool(spec.options.get("allow_same", True))


def sides(data: dict[str, Any]) -> tuple[str, str]:
    """The ids of the two candidates, for the ranking."""
    a = data.get("a_id") if isinstance(data.get("a_id"), str) else data.get("a")
    b = data.get("b_id") if isinstance(data.get("b_id"), str) else data.get("b")
    return str(a), str(b)


class Pairwise(TaskType):
    name = "pairwise"
    option_keys = frozenset({"allow_same"})

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec) + check_bool_option(spec, "allow_same")
        if spec.labels:
            problems.append("labels: a pairwise task takes none (the answers are A, B, same)")
        return problems

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        problems = []
        for key in ("a", "b"):
            value = data.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"data.{key}: missing (the two candidates are a and b)")
            elif len(value) > MAX_SIDE:
                problems.append(f"data.{key}: longer than {MAX_SIDE} characters")
        for key in ("a_id", "b_id"):
            if key in data and (not isinstance(data[key], str) or not data[key].strip()):
                problems.append(f"data.{key}: must be text")
        if not problems and sides(data)[0] == sides(data)[1]:
            problems.append("data: a and b are the same candidate")
        return problems

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        parts = []
        context = data.get("text")
        if isinstance(context, str) and context.strip():
            parts.append(context)
        parts += [f"A: {data.get('a', '')}", f"B: {data.get('b', '')}"]
        options = [Option("A", A), Option("B", B)]
        if allow_same(spec):
            options.append(Option("Same", SAME))
        return TaskView(
            prompt=spec.instructions,
            body="\n\n".join(parts),
            options=tuple(options),
            media=item_media(data),
        )

    def validate(self, spec: ProjectSpec, value: str) -> str:
        if value not in self.classes(spec, {}):
            raise AnswerError(f"{value!r} is not A, B" + (" or same" if allow_same(spec) else ""))
        return value

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        if isinstance(gold, str) and gold.strip().lower() in ("a", "b", "same"):
            gold = gold.strip().upper() if gold.strip().lower() != SAME else SAME
        return super().parse_gold(spec, data, gold)

    def describe(self, spec: ProjectSpec, value: str) -> str:
        return {A: "A", B: "B", SAME: "the same"}.get(value, value)

    def classes(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        return [A, B, SAME] if allow_same(spec) else [A, B]
