"""The labeling loop: hand out the next task, take an answer, skip, report an item."""

from __future__ import annotations

from bot.actions import Screen, Toast
from bot.context import Ctx, show
from bot.events import Tap
from bot.guide import guide_screens, label_help_screen
from bot.guide_changes import pending_guideline
from bot.judge import SUSPENDED, after_gold, behaviour_signals, skip_signal
from bot.markup import escape
from bot.outcome import settle_item
from bot.review import hold_if_reported
from bot.screens import (
    BACK,
    GUIDE,
    LABELS,
    REPORT,
    REPORT_REASONS,
    SKIP,
    idle_screen,
    report_screen,
    split_token,
    task_screen,
)
from bot.task_keys import parse_toggle
from bot.timekeeping import day_start
from storage.contract import Conflict
from storage.models import Assignment, LeaseView, Member, Project
from tasks import AnswerError, task_type

NO_LONGER_YOURS = "This task is no longer yours."


async def next_screen(
    ctx: Ctx, member: Member, project: Project, lease_free: bool = False
) -> Screen:
    """The member's current task, or a newly leased one, or a message saying there is none.

    `lease_free` says the member just ended their lease (a member holds at most one per
    project, which the schema enforces), so there is no open one to look for.
    """
    tx = ctx.tx
    if ctx.sweep:
        await tx.reclaim_expired(project.id, ctx.now)
    assignment = None if lease_free else await tx.open_assignment(project.id, member.id)
    if assignment is None:
        assignment = await _lease(ctx, member, project)
    if assignment is None and not ctx.sweep and await tx.reclaim_expired(project.id, ctx.now):
        assignment = await _lease(ctx, member, project)
    if assignment is None:
        role = await tx.annotator_role(project.id, member.id)
        title = escape(project.title)
        if role is None:
            return Screen(text=f"You are not an annotator in *{title}*.")
        if role.status == "suspended":
            return Screen(text=SUSPENDED)
        if role.status == "removed":
            return Screen(text=f"You are no longer an annotator in *{title}*.")
        if role.status != "active":
            return Screen(text=f"Your work in *{title}* is on hold ({role.status}).")
        changes = await pending_guideline(ctx, member, project)
        if changes is not None:
            return changes
        if role.qualification == "failed":
            return Screen(text=f"You have not passed the qualification for *{title}* yet. "
                          "Your manager can allow another try.")
        if role.qualification == "pending":
            lease_s = project.spec.lease_minutes * 60.0
            assignment = await tx.assign(project.id, member.id, True, ctx.now, lease_s)
            if assignment is not None:
                return await render_task(ctx, project, assignment)
            return Screen(text=f"The qualification test for *{title}* is not ready yet "
                          "(it needs more control questions). Please try again later.")
        if await tx.set_waiting(project.id, member.id, ctx.now):
            assignment = await _lease(ctx, member, project)
            if assignment is not None:
                return await render_task(ctx, project, assignment)
        return await idle_screen(
            tx, member.id, "No tasks for you right now. I will message you when there are.",
            ctx.now,
        )
    return await render_task(ctx, project, assignment)


LABELS_SENT = "Sent: what each label means, in a message after this task."


async def render_task(
    ctx: Ctx, project: Project, assignment: Assignment, token: str | None = None,
    selected: frozenset[int] = frozenset(),
) -> Screen:
    item, stats = await ctx.tx.screen_item(
        assignment.item_id, project.id, assignment.member_id,
        day_start(ctx.now, project.spec.timezone),
    )
    return await task_screen(ctx.tx, project, assignment, item, stats, ctx.now, token=token,
                             selected=selected, media=ctx.media)


async def _lease(ctx: Ctx, member: Member, project: Project) -> Assignment | None:
    policy = project.spec.quality
    lease_s = project.spec.lease_minutes * 60.0
    if policy.gold_rate > 0 and ctx.rng.random() < policy.gold_rate:
        gold = await ctx.tx.assign(project.id, member.id, True, ctx.now, lease_s)
        if gold is not None:
            return gold
    return await ctx.tx.assign(project.id, member.id, False, ctx.now, lease_s)


async def on_task_tap(ctx: Ctx, tap: Tap, member: Member, assignment_id: int, code: str) -> None:
    tx = ctx.tx
    view = await tx.lease_view(assignment_id)
    if view is None or view.assignment.member_id != member.id:
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    assignment, project = view.assignment, view.project
    if code == GUIDE:
        for screen in await guide_screens(ctx, project):
            ctx.send(screen)
        ctx.actions.append(Toast(tap, "Guide sent below."))
        return
    if code == LABELS:
        ctx.send(label_help_screen(project))
        ctx.actions.append(Toast(tap, LABELS_SENT))
        return
    if assignment.status == "answered":
        ctx.actions.append(Toast(tap, "Already saved ✓"))
        show(ctx, tap, await next_screen(ctx, member, project))
        return
    if assignment.status != "leased":
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    if code == SKIP:
        await tx.release(assignment, "skipped")
        await skip_signal(ctx, member, project)
        ctx.actions.append(Toast(tap, "Skipped."))
        show(ctx, tap, await next_screen(ctx, member, project, lease_free=True))
    elif code == REPORT:
        show(ctx, tap, await report_screen(tx, member.id, assignment.id, ctx.now))
    elif code.isdigit():
        await _answer(ctx, tap, member, view, int(code))
    else:
        await _toggle(ctx, tap, member, view, code)


async def _answer(ctx: Ctx, tap: Tap, member: Member, lease: LeaseView, index: int) -> None:
    item, project = lease.item, lease.project
    kind = task_type(project.spec.task)
    view = kind.render(project.spec, item.data)
    if view.mode != "tap" or index >= len(view.options):
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    try:
        value = kind.validate(project.spec, view.options[index].value)
    except AnswerError as exc:
        ctx.actions.append(Toast(tap, str(exc)[:200]))
        return
    await _save(ctx, tap, member, lease, value)


async def _toggle(ctx: Ctx, tap: Tap, member: Member, lease: LeaseView, code: str) -> None:
    """A tap on a toggle task: redraw the card with the selection the button carries, or, on
    Done, answer with it (see `bot.task_keys`)."""
    item, project = lease.item, lease.project
    kind = task_type(project.spec.task)
    view = kind.render(project.spec, item.data)
    parsed = parse_toggle(code, len(view.options)) if view.mode == "toggle" else None
    if parsed is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    done, selected = parsed
    if not done:
        token = split_token(tap.token)[0]
        show(ctx, tap, await render_task(ctx, project, lease.assignment, token, selected))
        return
    try:
        value = kind.toggled(project.spec, item.data, selected)
    except AnswerError as exc:
        ctx.actions.append(Toast(tap, str(exc)[:200]))
        return
    await _save(ctx, tap, member, lease, value)


async def on_answer_text(ctx: Ctx, member: Member, assignment_id: int, text: str) -> None:
    """A typed answer to the task on screen (free_text): saved, then the next task is sent."""
    lease = await ctx.tx.lease_view(assignment_id)
    if (lease is None or lease.assignment.member_id != member.id
            or lease.assignment.status != "leased"):
        await ctx.tx.set_pending(member.id, None)
        ctx.say("That task is no longer open, so I did not save this. /next shows your task.")
        return
    project = lease.project
    try:
        value = task_type(project.spec.task).typed(project.spec, lease.item.data, text)
    except AnswerError as exc:
        ctx.say(escape(str(exc)))
        return
    await ctx.tx.set_pending(member.id, None)
    await _save(ctx, None, member, lease, value)


async def _save(
    ctx: Ctx, tap: Tap | None, member: Member, lease: LeaseView, value: str
) -> None:
    """Store an answer, judge the item (or the gold answer), and show what comes next: in place
    of the tapped card, or as a new message after a typed answer."""
    tx = ctx.tx
    assignment, item, project = lease.assignment, lease.item, lease.project
    kind = task_type(project.spec.task)
    correct = (None if item.gold is None
               else kind.is_correct(project.spec, item.data, item.gold, value))
    try:
        answer = await tx.record_answer(assignment, value, ctx.now, correct)
    except Conflict:
        # Answered by a transaction that committed after this one read the lease (two
        # workers racing on one tap): the first answer stands, as for a double tap.
        if tap is not None:
            ctx.actions.append(Toast(tap, "Already saved ✓"))
            show(ctx, tap, await next_screen(ctx, member, project))
        return
    if tap is not None:
        ctx.actions.append(Toast(tap, "Saved ✓"))
    screen: Screen | None = None
    if correct is None:
        await settle_item(tx, project, item, item.n_answers + 1, ctx.now)
        await behaviour_signals(ctx, member, project, answer)
    else:
        screen = await after_gold(ctx, member, project, item, value, correct)
    if screen is None:
        screen = await next_screen(ctx, member, project, lease_free=True)
    if tap is not None:
        show(ctx, tap, screen)
    else:
        ctx.send(screen)


async def on_report_tap(ctx: Ctx, tap: Tap, member: Member, assignment_id: int, code: str) -> None:
    tx = ctx.tx
    assignment = await tx.assignment(assignment_id)
    if assignment is None or assignment.member_id != member.id or assignment.status != "leased":
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    project = await tx.project(assignment.project_id)
    if code == BACK:
        show(ctx, tap, await render_task(ctx, project, assignment))
        return
    reason = REPORT_REASONS.get(code)
    if reason is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    kind = reason[1]
    if kind == "other":
        await tx.set_pending(member.id, {"kind": "report", "a": assignment.id})
        show(ctx, tap, Screen(text="Tell me in one message what is wrong with this item."))
        return
    await file_report(ctx, member, assignment, kind, "")
    ctx.actions.append(Toast(tap, "Thanks, reported."))
    show(ctx, tap, await next_screen(ctx, member, project))


async def file_report(
    ctx: Ctx, member: Member, assignment: Assignment, kind: str, reason: str
) -> None:
    flag_id = await ctx.tx.add_flag(
        assignment.project_id, assignment.item_id, member.id, kind, reason, ctx.now
    )
    await ctx.tx.release(assignment, "reported")
    await hold_if_reported(ctx, assignment.item_id)
    await ctx.tx.audit(
        assignment.project_id,
        member.id,
        "report",
        {"flag": flag_id, "item": assignment.item_id, "kind": kind},
        ctx.now,
    )


async def on_report_text(ctx: Ctx, member: Member, assignment_id: int, text: str) -> None:
    """The reason someone typed after choosing Report → Other."""
    tx = ctx.tx
    await tx.set_pending(member.id, None)
    assignment = await tx.assignment(assignment_id)
    if assignment is None or assignment.member_id != member.id or assignment.status != "leased":
        ctx.say("That task is no longer yours, so I did not file the report.")
        return
    await file_report(ctx, member, assignment, "other", text.strip()[:1000])
    ctx.say("Thanks, reported.")
    project = await tx.project(assignment.project_id)
    ctx.send(await next_screen(ctx, member, project))
