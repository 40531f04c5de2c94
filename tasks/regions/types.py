"""The task types `bbox`, `polygon` and `keypoints`: answered in the annotation page.

They differ only in their default shapes (see `tasks.regions.settings`); a project may allow
several (``task = "bbox"`` with ``shapes = ["box", "polygon"]``). The chat card shows the item's
first picture, the prompt and a button that opens the page (`mode` ``"page"``); the page's
submit goes through `RegionTask.submitted`. An answer is the canonical string of
`tasks.regions.answer`; gold is right when `tasks.regions.scoring.score_gold` says so (matched
IoU and labels).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from domain.spec import ProjectSpec
from tasks.base import AnswerError, TaskType, TaskView
from tasks.media import StoredMedia, stored_media
from tasks.regions.answer import SHAPE_WORDS, RegionRules, canonical_answer, loads
from tasks.regions.items import frame_of, item_problems, picture_refs, stored_sizes, to_stored
from tasks.regions.scoring import score_gold
from tasks.regions.settings import OPTION_KEYS, check_options, rules_of


class RegionTask(TaskType):
    """The shared behaviour of the three region task types."""

    mode = "page"
    aggregation = "regions"
    option_keys = OPTION_KEYS

    def rules(self, spec: ProjectSpec) -> RegionRules:
        return rules_of(spec)

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        return super().check_spec(spec) + check_options(spec)

    def check_item(self, spec: ProjectSpec, data: dict[str, Any]) -> list[str]:
        return item_problems(self.rules(spec), data)

    def stored(
        self, spec: ProjectSpec, data: dict[str, Any], gold: str | None
    ) -> tuple[dict[str, Any], str | None]:
        return to_stored(self.rules(spec), data, gold)

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        rules = self.rules(spec)
        text = data.get("text")
        body = text if isinstance(text, str) and text.strip() else ""
        what = " and ".join(SHAPE_WORDS[s][1] for s in rules.shapes)
        return TaskView(
            prompt=spec.instructions,
            body=body,
            options=(),
            mode="page",
            hint=f"Open the page to mark the {what}, then submit there.",
            media=first_picture(data),
        )

    def validate(self, spec: ProjectSpec, value: str) -> str:
        raise AnswerError("regions are drawn in the annotation page")

    def submitted(self, spec: ProjectSpec, data: dict[str, Any], answer: Any) -> str:
        """The stored answer for what the page submitted (``{"regions": [...]}``), checked
        against the project's rules and the stored pictures; AnswerError saying which rule it
        breaks ("at most 5 boxes", "region 2: ... too small")."""
        sizes = stored_sizes(data)
        if sizes is None:
            raise AnswerError("the item's pictures are not stored")
        return canonical_answer(answer, self.rules(spec), sizes)

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        refs = picture_refs(data)
        return canonical_answer(gold, self.rules(spec), frame_of(data), len(refs) if refs else None)

    def is_correct(self, spec: ProjectSpec, data: dict[str, Any], gold: str, value: str) -> bool:
        return score_gold(loads(gold), loads(value)).right

    def describe(self, spec: ProjectSpec, value: str) -> str:
        try:
            regions = loads(value)
        except AnswerError:
            return value
        if not regions:
            return "no regions"
        parts = []
        for shape in ("box", "polygon", "point"):
            labels = Counter(r.label for r in regions if r.type == shape)
            n = sum(labels.values())
            if n:
                named = ", ".join(
                    f"{label} ×{k}" if k > 1 else label for label, k in sorted(labels.items())
                )
                parts.append(f"{n} {SHAPE_WORDS[shape][int(n != 1)]} ({named})")
        return "; ".join(parts)

    def decode(self, value: str) -> Any:
        try:
            return json.loads(value)
        except ValueError:
            return value


def first_picture(data: dict[str, Any]) -> StoredMedia | None:
    """The item's first stored picture, for the chat card."""
    many = data.get("media_list")
    if isinstance(many, list) and many and isinstance(many[0], dict):
        return stored_media({"media": many[0]})
    return stored_media(data)


class BoundingBoxes(RegionTask):
    name = "bbox"


class Polygons(RegionTask):
    name = "polygon"


class Keypoints(RegionTask):
    name = "keypoints"


REGION_TASK_TYPES: tuple[RegionTask, ...] = (BoundingBoxes(), Polygons(), Keypoints())
