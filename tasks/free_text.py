"""`free_text`: a transcription or a short answer, typed as a reply.

Options: `max_length` (characters, 1 to 4000, default 200), `min_length` (default 1).
Payload: the item's content as for single_choice (often a sound or a picture to transcribe).
The task card asks for the answer; the next message the person types is it.
Answer: the text, trimmed. Gold: the expected text; an answer counts as right when it matches
after normalisation (`normalise`).
Aggregation: answers are grouped by their normalised form and the groups voted on, weighted by
the annotators' gold accuracy; items whose answers do not come to agree are disputed and flagged.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from domain.spec import ProjectSpec
from tasks.base import (
    AnswerError,
    TaskType,
    TaskView,
    check_int_option,
    int_option,
    item_body,
    item_media,
)

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form two answers are compared in: Unicode-normalised (NFKC), case-folded, without
    punctuation, whitespace collapsed. "Hello, World!" and "hello world" are the same."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(c)[0] in "PZC" else c for c in folded)
    return _SPACE.sub(" ", kept).strip()


def limits(spec: ProjectSpec) -> tuple[int, int]:
    high = int_option(spec, "max_length", 200, 1, 4000)
    return min(int_option(spec, "min_length", 1, 1, 4000), high), high


class FreeText(TaskType):
    name = "free_text"
    mode = "text"
    aggregation = "text"
    option_keys = frozenset({"max_length", "min_length"})

    def check_spec(self, spec: ProjectSpec) -> list[str]:
        problems = super().check_spec(spec)
        problems += check_int_option(spec, "max_length", 1, 4000)
        problems += check_int_option(spec, "min_length", 1, 4000)
        low, high = int_option(spec, "min_length", 1, 1, 4000), limits(spec)[1]
        if not problems and low > high:
            problems.append("options: min_length is over max_length")
        if spec.labels:
            problems.append("labels: a free_text task takes none")
        return problems

    def render(
        self, spec: ProjectSpec, data: dict[str, Any], selected: frozenset[int] = frozenset()
    ) -> TaskView:
        low, high = limits(spec)
        size = f"at most {high} characters" if low <= 1 else f"{low} to {high} characters"
        return TaskView(
            prompt=spec.instructions,
            body=item_body(data),
            options=(),
            mode="text",
            hint=f"Type your answer as a message ({size}).",
            media=item_media(data),
        )

    def typed(self, spec: ProjectSpec, data: dict[str, Any], text: str) -> str:
        answer = text.strip()
        low, high = limits(spec)
        if not normalise(answer):
            raise AnswerError("That answer is empty. Type the answer as a message.")
        if len(answer) > high:
            raise AnswerError(
                f"That is {len(answer)} characters; the answer may have at most "
                f"{high}. Please send a shorter one."
            )
        if len(answer) < low:
            raise AnswerError(
                f"That is {len(answer)} characters; the answer needs at least "
                f"{low}. Please send a longer one."
            )
        return answer

    def parse_gold(self, spec: ProjectSpec, data: dict[str, Any], gold: Any) -> str:
        if isinstance(gold, int | float) and not isinstance(gold, bool):
            gold = str(gold)
        if not isinstance(gold, str) or not normalise(gold):
            raise AnswerError("must be the expected text")
        return gold.strip()

    def is_correct(self, spec: ProjectSpec, data: dict[str, Any], gold: str, value: str) -> bool:
        return normalise(value) == normalise(gold)
