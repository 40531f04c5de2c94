"""The labeling loop: hand out the next task, take an answer, skip, report an item."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeGuard

from bot.chat.actions import Screen, Toast
from bot.chat.buttons import BACK, GUIDE, LABELS, PAGE, REPORT, SKIP, split_token
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.context import Ctx, show
from bot.guidelines.changes import pending_guideline
from bot.guidelines.guide import guide_screens, label_help_screen
from bot.judging.judge import SUSPENDED, after_gold, behaviour_signals, skip_signal
from bot.judging.outcome import dispute_stranded, settle_item
from bot.labeling.routed import routed_lease
from bot.labeling.screens import REPORT_REASONS, idle_screen, report_screen, task_screen
from bot.labeling.task_keys import parse_toggle
from bot.review.queue import hold_if_reported
from bot.routing import STALE, ask_reply
from bot.timekeeping import day_start, week_start
from domain.entities import Answer, Assignment, LeaseView, Member, Project
from domain.enums import FlagKind, ItemStatus, LeaseStatus, Qualification, RoleStatus
from domain.tokens import ReportMenu, ReportReason, TaskCard, TypedAnswer
from storage.contract import Busy, Conflict
from tasks import AnswerError, task_type

NO_LONGER_YOURS = STALE
BUSY = (
    "There is work for you, but the other annotators are taking the last of it right now. "
    "Tap *Check for tasks* in a moment."
)


async def next_screen(
    ctx: Ctx,
    member: Member,
    project: Project,
    lease_free: bool = False,
    undo: int | None = None,
) -> Screen:
    """The member's current task, or a newly leased one, or a message saying there is none.

    `lease_free` says the member just ended their lease (a member holds at most one per
    project, which the schema enforces), so there is no open one to look for. `undo` is the
    answer just given, which the card offers to take back.
    """
    got = await next_task(ctx, member, project, lease_free, undo)
    return got if isinstance(got, Screen) else await render_task(ctx, project, got, undo=undo)


async def next_task(
    ctx: Ctx,
    member: Member,
    project: Project,
    lease_free: bool = False,
    undo: int | None = None,
) -> Assignment | Screen:
    """The lease `next_screen` shows (the member's open one, or a new one), or the screen
    saying why there is none (`undo`: an answer just given, which that screen mentions)."""
    tx = ctx.tx
    if ctx.sweep:
        await tx.reclaim_expired(project.id, ctx.now)
    assignment = None if lease_free else await tx.open_assignment(project.id, member.id)
    if assignment is not None:
        return assignment
    assignment = await _lease(ctx, member, project)
    if assignment is None and not ctx.sweep and await tx.reclaim_expired(project.id, ctx.now):
        assignment = await _lease(ctx, member, project)
    if assignment is not None:
        # A wait they had is over: they hold work (and a gold question's feedback, shown
        # instead of the next task, must not leave them on the waiting list).
        await tx.stop_waiting(project.id, member.id, assignment.item_id)
        return assignment
    role = await tx.annotator_role(project.id, member.id)
    title = escape(project.title)
    if role is None or role.status != RoleStatus.ACTIVE:
        return Screen(text=not_active(project, None if role is None else role.status))
    changes = await pending_guideline(ctx, member, project)
    if changes is not None:
        return changes
    if role.qualification == Qualification.FAILED:
        return Screen(
            text=f"You have not passed the qualification for *{title}* yet. "
            "Your manager can allow another try."
        )
    if role.qualification == Qualification.PENDING:
        lease_s = project.spec.lease_minutes * 60.0
        assignment = await tx.assign(project.id, member.id, True, ctx.now, lease_s)
        if assignment is not None:
            return assignment
        return Screen(
            text=f"The qualification test for *{title}* is not ready yet "
            "(it needs more control questions). Please try again later."
        )
    if await tx.set_waiting(project.id, member.id, ctx.now):
        assignment = await _lease(ctx, member, project, wait=False)
        if assignment is None and not ctx.last_try:
            raise Busy("the items free for this person are held by other transactions")
        await tx.stop_waiting(
            project.id, member.id, None if assignment is None else assignment.item_id
        )
        if assignment is not None:
            return assignment
        return await idle_screen(tx, member.id, BUSY, ctx.now)
    text = "No tasks for you right now. I will message you when there are."
    if undo is not None:
        text += "\n\n_/undo takes back the answer you just gave._"
    return await idle_screen(tx, member.id, text, ctx.now)


def not_active(project: Project, status: str | None) -> str:
    """Why someone without an active annotator role here gets no task (`status`: theirs)."""
    title = escape(project.title)
    if status is None:
        return f"You are not an annotator in *{title}*."
    if status == RoleStatus.SUSPENDED:
        return SUSPENDED
    if status == RoleStatus.REMOVED:
        return f"You are no longer an annotator in *{title}*."
    return f"Your work in *{title}* is on hold ({status})."


LABELS_SENT = "Sent: what each label means, in a message after this task."
NO_PAGE = "This task is done in the annotation page, which is not set up here: tell your manager."


async def render_task(
    ctx: Ctx,
    project: Project,
    assignment: Assignment,
    token: str | None = None,
    selected: frozenset[int] = frozenset(),
    undo: int | None = None,
) -> Screen:
    spec = project.spec
    quota = spec.quota.daily or spec.quota.weekly
    since = (
        week_start(ctx.now, spec.timezone)
        if spec.quota.weekly and not spec.quota.daily
        else day_start(ctx.now, spec.timezone)
    )
    item, stats = await ctx.tx.screen_item(
        assignment.item_id,
        project.id,
        assignment.member_id,
        since,
        batch=not quota,
    )
    return await task_screen(
        ctx.tx,
        project,
        assignment,
        item,
        stats,
        ctx.now,
        token=token,
        selected=selected,
        media=ctx.media,
        undo=undo,
    )


async def _lease(
    ctx: Ctx, member: Member, project: Project, wait: bool = True
) -> Assignment | None:
    """A gold question now and then (the project's gold rate), else real work, chosen by skill
    when the project routes by skill (`bot.labeling.routed`). Without `wait`,
    items other transactions hold are passed over, never waited for (see `Tx.assign`)."""
    policy = project.spec.quality
    lease_s = project.spec.lease_minutes * 60.0
    if policy.gold_rate > 0 and ctx.rng.random() < policy.gold_rate:
        gold = await ctx.tx.assign(project.id, member.id, True, ctx.now, lease_s, wait=wait)
        if gold is not None:
            return gold
    routed = await routed_lease(ctx, member, project, lease_s, wait=wait)
    if routed is not None:
        return routed
    return await ctx.tx.assign(project.id, member.id, False, ctx.now, lease_s, wait=wait)


def _open_lease(view: LeaseView | None, member: Member) -> TypeGuard[LeaseView]:
    """Whether `view` is a lease that `member` holds now, with their role active."""
    return (
        view is not None
        and view.assignment.member_id == member.id
        and view.assignment.status == LeaseStatus.LEASED
        and view.role_status == RoleStatus.ACTIVE
    )


async def on_task_tap(ctx: Ctx, tap: Tap, member: Member, card: TaskCard, code: str) -> None:
    """A button on a task card (the card's `undo_answer_id` is kept on a toggle's redraw; the
    Undo button itself is handled by `bot.labeling.undo`)."""
    tx = ctx.tx
    assignment_id, undo = card.assignment_id, card.undo_answer_id
    view = await tx.lease_view(assignment_id)
    if view is None or view.assignment.member_id != member.id:
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    assignment, project = view.assignment, view.project
    if view.role_status != RoleStatus.ACTIVE:
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        show(ctx, tap, Screen(text=not_active(project, view.role_status)))
        return
    if code == GUIDE:
        for screen in await guide_screens(ctx, project):
            ctx.send(screen)
        ctx.actions.append(Toast(tap, "Guide sent below."))
        return
    if code == LABELS:
        ctx.send(label_help_screen(project))
        ctx.actions.append(Toast(tap, LABELS_SENT))
        return
    if assignment.status == LeaseStatus.ANSWERED:
        ctx.actions.append(Toast(tap, "Already saved ✓"))
        show(ctx, tap, await next_screen(ctx, member, project))
        return
    if assignment.status != LeaseStatus.LEASED:
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    if code == PAGE:
        ctx.actions.append(Toast(tap, NO_PAGE))
        return
    if code == SKIP:
        await skip_lease(ctx, member, project, assignment)
        ctx.actions.append(Toast(tap, "Skipped."))
        show(ctx, tap, await next_screen(ctx, member, project, lease_free=True))
    elif code == REPORT:
        show(ctx, tap, await report_screen(tx, member.id, assignment.id, ctx.now))
    elif code.isdigit():
        await _answer(ctx, tap, member, view, int(code))
    else:
        await _toggle(ctx, tap, member, view, code, undo)


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


async def _toggle(
    ctx: Ctx, tap: Tap, member: Member, lease: LeaseView, code: str, undo: int | None
) -> None:
    """A tap on a toggle task: redraw the card with the selection the button carries, or, on
    Done, answer with it (see `bot.labeling.task_keys`)."""
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
        show(
            ctx, tap, await render_task(ctx, project, lease.assignment, token, selected, undo=undo)
        )
        return
    try:
        value = kind.toggled(project.spec, item.data, selected)
    except AnswerError as exc:
        ctx.actions.append(Toast(tap, str(exc)[:200]))
        return
    await _save(ctx, tap, member, lease, value)


async def on_answer_text(ctx: Ctx, member: Member, reply: TypedAnswer, text: str) -> None:
    """A typed answer to the task on screen (free_text): saved, then the next task is sent."""
    assignment_id = reply.assignment_id
    lease = await ctx.tx.lease_view(assignment_id)
    if not _open_lease(lease, member):
        await ask_reply(ctx.tx, member.id, None)
        ctx.say("That task is no longer open, so I did not save this. /next shows your task.")
        return
    project = lease.project
    try:
        value = task_type(project.spec.task).typed(project.spec, lease.item.data, text)
    except AnswerError as exc:
        ctx.say(escape(str(exc)))
        return
    await ask_reply(ctx.tx, member.id, None)
    await _save(ctx, None, member, lease, value)


@dataclass(frozen=True, slots=True)
class Saved:
    """What storing an answer came to."""

    answer: Answer
    status: ItemStatus
    """The item's status after it (open for a gold question)."""
    after: Screen | str | None
    """What follows a gold answer (see `after_gold`)."""


async def store_answer(ctx: Ctx, member: Member, lease: LeaseView, value: str) -> Saved | None:
    """Store `value` (already checked) as the answer on an open lease, then judge the item, or
    score the gold answer. None when the database refused it as a second answer on the
    assignment: a lease read stale (the read is locked or serialised, so this is the last
    guard); the first answer stands."""
    tx = ctx.tx
    item, project = lease.item, lease.project
    kind = task_type(project.spec.task)
    correct = (
        None if item.gold is None else kind.is_correct(project.spec, item.data, item.gold, value)
    )
    try:
        answer = await tx.record_answer(lease.assignment, value, ctx.now, correct)
    except Conflict:
        return None
    if correct is not None:
        return Saved(answer, ItemStatus.OPEN, await after_gold(ctx, member, project, item, correct))
    status = await settle_item(tx, project, item, item.n_answers + 1, ctx.now)
    await behaviour_signals(ctx, member, project, answer)
    return Saved(answer, status, None)


async def _save(ctx: Ctx, tap: Tap | None, member: Member, lease: LeaseView, value: str) -> None:
    """Store an answer, judge the item (or the gold answer), and show what comes next: in place
    of the tapped card, or as a new message after a typed answer."""
    project = lease.project
    saved = await store_answer(ctx, member, lease, value)
    if saved is None:
        if tap is not None:
            ctx.actions.append(Toast(tap, "Already saved ✓"))
            show(ctx, tap, await next_screen(ctx, member, project))
        return
    if tap is not None:
        ctx.actions.append(Toast(tap, "Saved ✓"))
    screen, status, answer = saved.after, saved.status, saved.answer
    if isinstance(screen, str):
        task = await next_screen(ctx, member, project, lease_free=True)
        screen = replace(task, text=f"{screen}\n\n{task.text}")
    elif screen is None:
        # No Undo once the answer settled the item: the button could only say it is too late.
        undoable = project.spec.quality.undo_seconds > 0 and status == ItemStatus.OPEN
        undo = answer.id if undoable else None
        screen = await next_screen(ctx, member, project, lease_free=True, undo=undo)
    if tap is not None:
        show(ctx, tap, screen)
    else:
        ctx.send(screen)


async def on_report_tap(ctx: Ctx, tap: Tap, member: Member, menu: ReportMenu, code: str) -> None:
    tx = ctx.tx
    assignment_id = menu.assignment_id
    view = await tx.lease_view(assignment_id)
    if not _open_lease(view, member):
        ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
        return
    assignment, project = view.assignment, view.project
    if code == BACK:
        show(ctx, tap, await render_task(ctx, project, assignment))
        return
    reason = REPORT_REASONS.get(code)
    if reason is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    kind = reason[1]
    if kind == "other":
        await ask_reply(tx, member.id, ReportReason(assignment.id))
        show(ctx, tap, Screen(text="Tell me in one message what is wrong with this item."))
        return
    await file_report(ctx, member, project, assignment, kind, "")
    ctx.actions.append(Toast(tap, "Thanks, reported."))
    show(ctx, tap, await next_screen(ctx, member, project))


async def skip_lease(ctx: Ctx, member: Member, project: Project, assignment: Assignment) -> None:
    """Give an open lease back unanswered (the item is not offered to them again): the item
    may now be stranded, and many skips are a pattern for QA."""
    await ctx.tx.release(assignment, LeaseStatus.SKIPPED)
    await dispute_stranded(ctx.tx, project, ctx.now, assignment.item_id)
    await skip_signal(ctx, member, project)


async def file_report(
    ctx: Ctx, member: Member, project: Project, assignment: Assignment, kind: FlagKind, reason: str
) -> None:
    flag_id = await ctx.tx.add_flag(
        assignment.project_id, assignment.item_id, member.id, kind, reason, ctx.now
    )
    await ctx.tx.release(assignment, LeaseStatus.REPORTED)
    await hold_if_reported(ctx, assignment.item_id)
    await dispute_stranded(ctx.tx, project, ctx.now, assignment.item_id)
    await ctx.tx.audit(
        assignment.project_id,
        member.id,
        "report",
        {"flag": flag_id, "item": assignment.item_id, "kind": kind},
        ctx.now,
    )


async def on_report_text(ctx: Ctx, member: Member, reply: ReportReason, text: str) -> None:
    """The reason someone typed after choosing Report → Other."""
    tx = ctx.tx
    assignment_id = reply.assignment_id
    await ask_reply(tx, member.id, None)
    view = await tx.lease_view(assignment_id)
    if not _open_lease(view, member):
        ctx.say("That task is no longer yours, so I did not file the report.")
        return
    assignment, project = view.assignment, view.project
    await file_report(ctx, member, project, assignment, FlagKind.OTHER, text.strip()[:1000])
    ctx.say("Thanks, reported.")
    ctx.send(await next_screen(ctx, member, project))
