"""What an item's answers add up to: open (wants another answer), done, or disputed.

Dynamic overlap: once an item has all the answers it asked for, its posterior over the labels is
computed from the answers, each weighted by its annotator's gold accuracy (estimated with a prior,
see `bot.quality.gold`). The item is done when the top label's posterior reaches the project's
`confidence` with at least `min_overlap` answers; otherwise it asks for one more answer, up to
`max_overlap`; then it is disputed and flagged for QA. Answers left out of the aggregation (of a
suspended annotator, say) do not count.
"""

from __future__ import annotations

from collections.abc import Hashable

from bot.quality import OverlapPolicy, WorkerModel, decide, posterior_mean
from storage.contract import Tx
from storage.models import Item, Project, Result

METHOD = "gold_weighted_posterior"
PRIOR_ACCURACY = 0.75


async def settle_item(tx: Tx, project: Project, item: Item, n_answers: int, now: float) -> None:
    """Re-evaluate a non-gold item that now has `n_answers` answers (once it has its target)."""
    if n_answers < item.n_target:
        return
    await judge_item(tx, project, item, now)


async def judge_item(tx: Tx, project: Project, item: Item, now: float) -> str:
    """Decide the item from its counted answers; returns its new status."""
    spec = project.spec
    policy = spec.quality
    answers = [a for a in await tx.item_answers(item.id) if a.excluded is None]
    labels = spec.label_values()
    if len(answers) < policy.min_overlap:
        await tx.set_item_target(item.id, policy.min_overlap)
        await tx.set_item_outcome(item.id, "open", None, now)
        return "open"
    workers = [a.member_id for a in answers]
    counts = await tx.gold_counts(project.id, sorted(set(workers)))
    accuracy: dict[Hashable, float] = {
        m: posterior_mean(c.correct, c.total, prior_mean=PRIOR_ACCURACY)
        for m, c in counts.items()
    }
    model = WorkerModel.from_accuracy(accuracy, len(labels), default_accuracy=PRIOR_ACCURACY)
    decision = decide(
        workers,
        [labels.index(a.value) for a in answers],
        model,
        OverlapPolicy(policy.min_overlap, policy.max_overlap, policy.confidence),
    )
    result = Result(
        item_id=item.id, label=labels[decision.label], confidence=decision.confidence,
        method=METHOD,
    )
    if decision.status == "more":
        await tx.set_item_target(item.id, len(answers) + 1)
        await tx.set_item_outcome(item.id, "open", None, now)
    elif decision.status == "done":
        await tx.set_item_outcome(item.id, "done", result, now)
    else:
        await tx.set_item_outcome(item.id, "disputed", result, now)
        if item.status != "disputed":
            await tx.add_flag(
                project.id, item.id, None, "disputed",
                f"{len(answers)} answers; the best label, {result.label}, has a posterior of "
                f"{result.confidence:.2f} (the project asks for {policy.confidence:.2f})",
                now,
            )
    return decision.status
