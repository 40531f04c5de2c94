"""Quality in the live loop: gold feedback, the qualification test, suspension of annotators
whose gold accuracy falls under the bar, and behaviour signals for QA.

Qualification: with `qualification = N`, a newcomer's first tasks are N gold items with feedback;
a share of right answers of at least `min_gold_accuracy` opens real work, a lower one stops them
until a manager allows a retry (`tapmark member retry`).

Continuous checking: once an annotator has `gold_min` gold answers, their accuracy is estimated
with a prior (3 right of 3 is not 100%); when it is under `min_gold_accuracy` with a probability
of at least 75% (so one unlucky answer does not cost a good annotator their place; 2 of 5 or
4 of 8 right is under a bar of 0.7, 3 of 5 is not yet) they are suspended, told so,
the managers are notified, their answers leave the aggregation (kept and marked in exports), and
the items they touched are judged again, reopening where they now lack answers.

Behaviour signals (answers faster than `min_seconds`, long runs of one label, many skips) raise
flags for QA with the evidence; they never suspend anyone by themselves.
"""

from __future__ import annotations

from bot.chat.actions import Button, Screen
from bot.chat.buttons import NEXT, button_token
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.context import Ctx
from bot.judging.outcome import PRIOR_ACCURACY, dispute_stranded, judge_item
from bot.quality import gold_accuracy
from bot.routing import issue_button
from domain.entities import Answer, Item, Member, Project
from domain.enums import FlagKind, ItemStatus, LeaseStatus, Qualification, Role, RoleStatus
from domain.tokens import IdleMenu
from tasks import task_type

RECENT = 20
FAST_SHARE = 0.5
SAME_LABEL_RUN = 15
SKIPS_MIN = 10
SKIP_SHARE = 0.5


async def after_gold(
    ctx: Ctx, member: Member, project: Project, item: Item, correct: bool
) -> Screen | str | None:
    """Qualification progress, the suspension check and feedback after a gold answer.

    Returns a screen to show instead of the next task (feedback to read, or a verdict), a note
    to show above the next task on the same card (after a right answer in the qualification:
    nothing to read twice, so no extra tap), or None."""
    tx, policy = ctx.tx, project.spec.quality
    role = await tx.annotator_role(project.id, member.id)
    if role is None:
        return None
    if role.qualification == Qualification.PENDING:
        counts = (await tx.gold_counts(project.id, [member.id], since=role.qual_since))[member.id]
        feedback = gold_feedback(project, item, correct)
        if counts.total < policy.qualification:
            left = policy.qualification - counts.total
            text = f"{feedback}\n\n_Qualification: {left} to go._"
            return text if correct else await _with_next(ctx, member, text)
        share = counts.correct / counts.total
        passed = share >= policy.min_gold_accuracy
        verdict = Qualification.PASSED if passed else Qualification.FAILED
        await tx.set_qualification(project.id, member.id, verdict, role.qual_since)
        await tx.audit(
            project.id,
            member.id,
            "qualification",
            {"correct": counts.correct, "total": counts.total, "passed": passed},
            ctx.now,
        )
        score = f"{counts.correct} of {counts.total} right"
        if not passed:
            await dispute_stranded(tx, project, ctx.now)
        if passed:
            text = f"{feedback}\n\n*You passed the qualification* ({score}). Real tasks start now."
            return text if correct else await _with_next(ctx, member, text)
        return Screen(
            text=f"{feedback}\n\n*Qualification not passed* ({score}; the bar is "
            f"{policy.min_gold_accuracy:.0%}). Read the guide (/guide); your manager can "
            "allow another try."
        )
    if await _check_suspension(ctx, member, project):
        return Screen(text=SUSPENDED)
    show = policy.gold_feedback == "always" or (policy.gold_feedback == "mistake" and not correct)
    if show:
        return await _with_next(ctx, member, gold_feedback(project, item, correct))
    return None


SUSPENDED = (
    "Your recent answers to our control questions fell under the project's bar, so your work "
    "here is paused. Your manager has been told and will be in touch. Thank you for your time."
)


def gold_feedback(project: Project, item: Item, correct: bool) -> str:
    """Whether a gold answer was right, with the right answer and the item's explanation."""
    right = escape(task_type(project.spec.task).describe(project.spec, item.gold or ""))
    head = f"✓ Right: *{right}*." if correct else f"✗ Not quite: this one is *{right}*."
    if item.explanation:
        head += f"\n\n{escape(item.explanation)}"
    return head


async def _with_next(ctx: Ctx, member: Member, text: str) -> Screen:
    token = await issue_button(ctx.tx, member.id, IdleMenu(), ctx.now)
    return Screen(text=text, keyboard=((Button("Next task", button_token(token, NEXT)),),))


async def _check_suspension(ctx: Ctx, member: Member, project: Project) -> bool:
    tx, policy = ctx.tx, project.spec.quality
    counts = (await tx.gold_counts(project.id, [member.id]))[member.id]
    if counts.total < policy.gold_min:
        return False
    # The upper end of the central 50% interval is the 75th percentile of the posterior.
    estimate = gold_accuracy(counts.correct, counts.total, prior_mean=PRIOR_ACCURACY, level=0.5)
    if estimate.upper >= policy.min_gold_accuracy:
        return False
    await suspend(
        ctx,
        member,
        project,
        f"gold {counts.correct} of {counts.total} right; estimated accuracy "
        f"{estimate.mean:.2f}, under {policy.min_gold_accuracy:.2f} with 75% "
        "probability",
    )
    return True


async def suspend(ctx: Ctx, member: Member, project: Project, evidence: str) -> None:
    """Suspend an annotator: their answers leave the aggregation and their items are judged
    again; the managers hear of it through the outbox."""
    tx = ctx.tx
    await tx.set_role_status(project.id, member.id, Role.ANNOTATOR, RoleStatus.SUSPENDED)
    lease = await tx.open_assignment(project.id, member.id)
    if lease is not None:
        await tx.release(lease, LeaseStatus.SKIPPED)
    touched = await tx.exclude_answers(project.id, member.id, "suspended")
    tx.freed.add(project.id)  # a slot their wake promised them is free for others now
    for item_id in touched:
        item = await tx.item(item_id)
        if item.status != ItemStatus.OPEN or item.n_answers >= item.n_target:
            await judge_item(tx, project, item, ctx.now)
    await dispute_stranded(tx, project, ctx.now)
    await tx.add_flag(project.id, None, member.id, FlagKind.SUSPENDED, evidence, ctx.now)
    await tx.audit(
        project.id,
        member.id,
        "suspend",
        {"evidence": evidence, "items_reopened": len(touched)},
        ctx.now,
    )
    note = Screen(
        text=f"Annotator `{member.pseudonym}` was suspended in *{escape(project.title)}*: "
        f"{escape(evidence)}. {len(touched)} of their answers left the aggregation."
    )
    for manager in await tx.members_with_role(project.id, Role.MANAGER):
        await notify(tx, manager, note, ctx.now)


async def behaviour_signals(ctx: Ctx, member: Member, project: Project, answer: Answer) -> None:
    """Flag patterns worth a human look. Checked on every fifth answer (by answer id), so the
    common case costs no extra query; a pattern is caught within a few answers."""
    policy = project.spec.quality
    if answer.id % 5:
        return
    recent = await ctx.tx.recent_answers(project.id, member.id, RECENT)
    quick = [a for a in recent if a.time_ms < policy.min_seconds * 1000]
    if len(recent) >= 10 and len(quick) >= FAST_SHARE * len(recent):
        await _flag_once(
            ctx,
            member,
            project,
            FlagKind.TOO_FAST,
            f"{len(quick)} of the last {len(recent)} answers took under {policy.min_seconds:g} s",
        )
    run = recent[:SAME_LABEL_RUN]
    if len(run) == SAME_LABEL_RUN and len({a.value for a in run}) == 1:
        await _flag_once(
            ctx,
            member,
            project,
            FlagKind.SAME_LABEL,
            f"the last {SAME_LABEL_RUN} answers were all {run[0].value!r}",
        )


async def skip_signal(ctx: Ctx, member: Member, project: Project) -> None:
    stats = await ctx.tx.member_stats(project.id, member.id, ctx.now)
    seen = stats.skipped + stats.answers
    if stats.skipped >= SKIPS_MIN and stats.skipped >= SKIP_SHARE * seen:
        await _flag_once(
            ctx, member, project, FlagKind.MANY_SKIPS, f"skipped {stats.skipped} of {seen} tasks"
        )


async def _flag_once(ctx: Ctx, member: Member, project: Project, kind: FlagKind, why: str) -> None:
    if not await ctx.tx.has_open_flag(project.id, member.id, kind):
        await ctx.tx.add_flag(project.id, None, member.id, kind, why, ctx.now)
