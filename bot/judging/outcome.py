"""What an item's answers add up to: open (wants another answer), done, or disputed.

Dynamic overlap: once an item has all the answers it asked for, its posterior over the labels is
computed from the answers, each weighted by its annotator's gold accuracy (estimated with a prior,
see `bot.quality.gold`). The item is done when the top label's posterior reaches the project's
`confidence` with at least `min_overlap` answers; otherwise it asks for one more answer, up to
`max_overlap`; then it is disputed and flagged for QA.

Nothing waits for people who are gone: an item is *stranded* when it wants an answer nobody
can give (every active annotator not failed in the qualification has answered, skipped or
reported it) although enough people joined to reach its target without those who passed on it.
So it is short because people left, failed the qualification or were suspended, not because the
crowd is still gathering (then it waits for people to join). A stranded
item is disputed at once with that reason, short of its target. That is the mark that lets it
open again, its dispute flag resolved, as soon as someone who could answer it joins, gets
another try at the qualification or is reinstated (`reopen_for`).

In a project that routes by skill, the posterior of a categorical item comes from the project's
skill model instead (each annotator's confusion matrix, `bot.judging.skills`).

Answers left out of the aggregation (of a suspended annotator, say) do not count. Task types
whose answers are more than one label (sets of labels or cells, ratings, typed text) have their
own notion of confidence: see `bot.judging.verdicts`.
"""

from __future__ import annotations

from bot.judging.skills import load_skills
from bot.judging.verdicts import PRIOR_ACCURACY as PRIOR_ACCURACY
from bot.judging.verdicts import judge_answers
from bot.quality import posterior_mean
from domain.entities import Item, Project, Result
from domain.enums import FlagKind, ItemStatus
from storage.contract import Tx

METHOD = "gold_weighted_posterior"


async def settle_item(
    tx: Tx, project: Project, item: Item, n_answers: int, now: float
) -> ItemStatus:
    """Re-evaluate a non-gold item that now has `n_answers` answers: judged once it has its
    target, or before when it is stranded; returns its status. `item` is as read before the
    answer, whose slot its load already counts: a load above `n_answers` is someone else's
    open lease, which rules out stranded without asking the database (the busy case)."""
    if n_answers < item.n_target and (
        item.n_load > n_answers or not await tx.stranded_items(project.id, item.id)
    ):
        return item.status
    return await judge_item(tx, project, item, now)


async def judge_item(tx: Tx, project: Project, item: Item, now: float) -> ItemStatus:
    """Decide the item from its counted answers; returns its new status. How the answers add
    up depends on the task type (see `bot.judging.verdicts`)."""
    spec = project.spec
    policy = spec.quality
    answers = [a for a in await tx.item_answers(item.id) if a.excluded is None]
    verdict = None
    if answers:
        workers = [a.member_id for a in answers]
        skills = await load_skills(tx, project, workers)
        accuracy: dict[int, float] = {}
        if skills is None:
            counts = await tx.gold_counts(project.id, sorted(set(workers)))
            accuracy = {
                m: posterior_mean(c.correct, c.total, prior_mean=PRIOR_ACCURACY)
                for m, c in counts.items()
            }
        values = [a.value for a in answers]
        verdict = judge_answers(spec, item.data, workers, values, accuracy, skills)
    result = (
        None
        if verdict is None
        else Result(
            item_id=item.id,
            label=verdict.label,
            confidence=verdict.confidence,
            method=verdict.method,
        )
    )
    if verdict is not None and len(answers) >= policy.min_overlap and verdict.status != "more":
        status = ItemStatus(verdict.status)
        reason = verdict.reason
    else:
        await tx.set_item_target(item.id, max(policy.min_overlap, len(answers) + 1))
        await tx.set_item_outcome(item.id, ItemStatus.OPEN, None, now)
        if not await tx.stranded_items(project.id, item.id):
            return ItemStatus.OPEN
        status = ItemStatus.DISPUTED
        lean = (
            ""
            if verdict is None
            else (f"; the crowd leans to {verdict.label} at {verdict.confidence:.2f}")
        )
        reason = (
            f"wants answer {len(answers) + 1} (at least {policy.min_overlap}, up to "
            f"{policy.max_overlap}), and everyone left who may answer it has{lean}"
        )
    await tx.set_item_outcome(item.id, status, result, now)
    if status == ItemStatus.DISPUTED and item.status != ItemStatus.DISPUTED:
        await tx.add_flag(project.id, item.id, None, FlagKind.DISPUTED, reason, now)
    return status


async def dispute_stranded(tx: Tx, project: Project, now: float, item_id: int | None = None) -> int:
    """Judge again the project's stranded items (only `item_id`, when given), which disputes
    them, after someone left the pool of people who could answer them (a skip, a failed
    qualification, a suspension or a removal); how many were disputed."""
    disputed = 0
    for stranded in await tx.stranded_items(project.id, item_id):
        status = await judge_item(tx, project, await tx.item(stranded), now)
        disputed += status == ItemStatus.DISPUTED
    return disputed


async def reopen_for(tx: Tx, project: Project, member_id: int) -> int:
    """Open again the items disputed only because nobody was left to answer them, now that
    `member_id` may answer them; how many."""
    reopened = await tx.reopen_stranded(
        project.id, member_id, "reopened: someone who may answer it joined"
    )
    return len(reopened)
