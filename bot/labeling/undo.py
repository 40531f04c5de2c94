"""Undo: an annotator takes back their last answer, for `quality.undo_seconds` after it.

The answer is withdrawn in the event's one transaction (see `Tx.withdraw_answer`) and its task
comes back on the card. Refused, with a message saying why, when there is nothing to undo, when
the time is up, when the answer settled its item (or a later one did), and on a gold or
qualification question once its feedback was shown. The Undo button names the answer it takes
back, so a second tap on it, or an old one, withdraws nothing more.
"""

from __future__ import annotations

from bot.chat.actions import Screen, Toast
from bot.chat.events import Tap
from bot.context import Ctx, show
from bot.labeling.work import next_screen, render_task
from domain.entities import Answer, Member, Project
from domain.enums import Qualification, RoleStatus
from storage.contract import Conflict, NotFound

NOTHING = "There is no answer to undo."
SETTLED = (
    "That answer already completed its item (it has enough answers), so it can no longer be undone."
)
FEEDBACK = "That was a control question and its answer was shown to you, so it cannot be undone."
ALREADY = "Already undone."
STALE = "That Undo button is out of date: only your last answer can be undone."


async def on_undo(ctx: Ctx) -> None:
    """`/undo`: the member's last answer in their current project."""
    project = await ctx.project()
    if ctx.member is None or project is None:
        ctx.say("You are not in a project yet, so there is nothing to undo.")
        return
    text, screen = await undo_last(ctx, ctx.member, project)
    ctx.say(text)
    if screen is not None:
        ctx.send(screen)


async def on_undo_tap(ctx: Ctx, tap: Tap, member: Member, answer_id: int | None) -> None:
    """The Undo button of the card after an answer (`answer_id`: the answer it names): the
    task comes back in place of the card; a refusal leaves the card as it is."""
    project = await ctx.project()
    if project is None or answer_id is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    text, screen = await undo_last(ctx, member, project, answer_id)
    ctx.actions.append(Toast(tap, text))
    if screen is not None:
        show(ctx, tap, screen)
    elif text == ALREADY:
        show(ctx, tap, await next_screen(ctx, member, project))


async def undo_last(
    ctx: Ctx, member: Member, project: Project, answer_id: int | None = None
) -> tuple[str, Screen | None]:
    """Withdraw the member's last answer (`answer_id`: the one an Undo button names). Returns
    the message to show and the card with the task again, or only a refusal and None."""
    tx, policy = ctx.tx, project.spec.quality
    if policy.undo_seconds <= 0:
        return "Undo is turned off in this project.", None
    last = await tx.last_answer(project.id, member.id)
    if answer_id is not None and (last is None or last.id != answer_id):
        if last is None or last.id < answer_id:
            return ALREADY, None
        return STALE, None
    if last is None:
        return NOTHING, None
    if ctx.now - last.at > policy.undo_seconds:
        return (
            f"Too late to undo: an answer can be taken back for "
            f"{policy.undo_seconds:g} seconds after it."
        ), None
    role = await tx.annotator_role(project.id, member.id)
    if role is None or role.status != RoleStatus.ACTIVE or last.excluded is not None:
        return "Your work in this project is paused, so there is nothing to undo.", None
    if last.correct is not None and await _feedback_shown(ctx, project, member, last):
        return FEEDBACK, None
    lease_s = project.spec.lease_minutes * 60.0
    try:
        assignment = await tx.withdraw_answer(last.id, ctx.now, lease_s)
    except Conflict:
        return SETTLED, None
    except NotFound:
        return ALREADY, None
    await tx.audit(
        project.id,
        member.id,
        "undo",
        {"item": last.item_id, "answer": last.id, "value": last.value},
        ctx.now,
    )
    return "Undone: answer this one again.", await render_task(ctx, project, assignment)


async def _feedback_shown(ctx: Ctx, project: Project, member: Member, answer: Answer) -> bool:
    """Whether the gold `answer` was followed by its feedback: always in the qualification
    test (the answer is one of its first `qualification` gold answers), else per the policy."""
    policy = project.spec.quality
    if policy.gold_feedback == "always" or (
        policy.gold_feedback == "mistake" and not answer.correct
    ):
        return True
    role = await ctx.tx.annotator_role(project.id, member.id)
    if role is None or role.qualification == Qualification.NONE or policy.qualification == 0:
        return False
    counts = await ctx.tx.gold_counts(project.id, [member.id], since=role.qual_since)
    return counts[member.id].total <= policy.qualification
