"""What an item's answers add up to: open, done with a result, or disputed.

For now an item is done once it has its target number of answers, with the majority label and the
share of votes behind it as its confidence. Ties go to the label listed first in the project.
"""

from __future__ import annotations

from collections import Counter

from storage.contract import Tx
from storage.models import Item, Project, Result

METHOD = "majority"


def majority(values: list[str], label_order: list[str]) -> Result | None:
    if not values:
        return None
    counts = Counter(values)
    rank = {label: i for i, label in enumerate(label_order)}
    best = max(counts, key=lambda v: (counts[v], -rank.get(v, len(rank))))
    return Result(item_id=0, label=best, confidence=counts[best] / len(values), method=METHOD)


async def settle_item(tx: Tx, project: Project, item: Item, n_answers: int, now: float) -> None:
    """Re-evaluate a non-gold item that now has `n_answers` answers."""
    if n_answers < item.n_target:
        return
    answers = await tx.item_answers(item.id)
    result = majority([a.value for a in answers], project.spec.label_values())
    if result is not None:
        result = result.model_copy(update={"item_id": item.id})
    await tx.set_item_outcome(item.id, "done", result, now)
