"""Scoring an answer against a gold answer: matched IoU and label agreement.

The gold regions and the answer's are matched one to one (`matching.match`). The score is a
soft Jaccard over regions::

    score = sum of the similarity of matched pairs with the right label
            / (gold regions + answer regions - matched pairs)

so a perfect answer scores 1, a missed or an extra region adds 1 to the denominator, a pair
with the wrong label adds nothing to the numerator, and a loose box adds its IoU. Both empty
is 1. The answer counts as right for the gold accuracy (qualification, suspension) when the
score reaches `RegionSettings.right_score` (0.5: on a picture with one box, a box with IoU at
least 0.5 and the right label, COCO's usual bar).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tasks.regions.answer import Region
from tasks.regions.matching import DEFAULT, RegionSettings, match


@dataclass(frozen=True, slots=True)
class GoldScore:
    score: float
    right: bool
    matched: int
    """Gold regions found (similar enough), whatever their label."""
    missed: int
    extra: int
    wrong_label: int
    mean_similarity: float
    """Mean similarity of the matched pairs (0 when none)."""


def score_gold(
    gold: Sequence[Region],
    answer: Sequence[Region],
    settings: RegionSettings = DEFAULT,
) -> GoldScore:
    """How well `answer` reproduces `gold` (see the module's docstring)."""
    pairs = match(gold, answer, settings)
    union = len(gold) + len(answer) - len(pairs)
    if union == 0:
        return GoldScore(1.0, True, 0, 0, 0, 0, 0.0)
    score = sum(p.similarity for p in pairs if p.same_label) / union
    return GoldScore(
        score=score,
        right=score >= settings.right_score - 1e-12,
        matched=len(pairs),
        missed=len(gold) - len(pairs),
        extra=len(answer) - len(pairs),
        wrong_label=sum(not p.same_label for p in pairs),
        mean_similarity=sum(p.similarity for p in pairs) / len(pairs) if pairs else 0.0,
    )
