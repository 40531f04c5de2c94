"""Managers steer batches: /batches lists them with progress, deadline and buttons to publish,
pause, resume or close; /deadline sets when a batch is due. `move_batch` and `set_deadline` are
the operations themselves, which `tapmark batch` runs too."""

from __future__ import annotations

from dataclasses import dataclass

from bot.access import ensure_member, managed_batch, managed_project
from bot.chat.actions import Button, Screen, Toast
from bot.chat.buttons import button_token
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.context import Ctx, show
from bot.judging.outcome import dispute_stranded
from bot.judging.skills import aggregate, skill_labels
from bot.labeling.waiting import wake_freed
from bot.reports.progress import batch_line
from bot.routing import issue_button
from bot.timekeeping import local_time, parse_deadline, time_left
from domain.entities import Batch, Member, Project
from domain.enums import BatchStatus
from domain.tokens import BatchCard
from storage.contract import Conflict, NotFound, Tx
from storage.rows import BatchProgress


@dataclass(frozen=True, slots=True)
class Move:
    """One change of a batch's state, as /batches offers it and `tapmark batch` runs it."""

    verb: str
    button: str
    target: BatchStatus
    sources: tuple[BatchStatus, ...]
    """The states it may start from."""


BATCH_ACTIONS = {
    "p": Move("publish", "Publish", BatchStatus.PUBLISHED, (BatchStatus.DRAFT,)),
    "z": Move("pause", "Pause", BatchStatus.PAUSED, (BatchStatus.PUBLISHED,)),
    "r": Move("resume", "Resume", BatchStatus.PUBLISHED, (BatchStatus.PAUSED,)),
    "c": Move(
        "close",
        "Close",
        BatchStatus.CLOSED,
        (BatchStatus.DRAFT, BatchStatus.PUBLISHED, BatchStatus.PAUSED),
    ),
}
MOVES = {move.verb: move for move in BATCH_ACTIONS.values()}
OFFERED = {
    status: tuple(code for code, move in BATCH_ACTIONS.items() if status in move.sources)
    for status in BatchStatus
}


def actor_details(by: Member | None) -> dict[str, str]:
    """What an audit entry adds about who acted: nothing for a member (the entry names them),
    ``via: cli`` for the command line, which acts as the database's operator."""
    return {} if by is not None else {"via": "cli"}


async def find_batch(tx: Tx, project: Project, name: str) -> Batch:
    batches = await tx.batches(project.id)
    batch = next((b for b in batches if b.name == name), None)
    if batch is None:
        known = ", ".join(b.name for b in batches) or "none yet"
        raise NotFound(f"{project.name!r} has no batch named {name!r} (batches: {known})")
    return batch


async def move_batch(
    tx: Tx, project: Project, batch: Batch, move: Move, by: Member | None, now: float
) -> Batch:
    """Publish, pause, resume or close a batch: the state rule, the change, the audit entry
    (`by` the manager, None for the command line) and the wake-up of the annotators waiting for
    work, in the caller's transaction. Closing a batch of a project that routes by skill
    recomputes its results by Dawid-Skene (`bot.judging.skills.aggregate`). Conflict when the
    batch's state does not allow it."""
    if batch.status == move.target:
        raise Conflict(f"batch {batch.name!r} is {batch.status.value} already")
    if batch.status not in move.sources:
        allowed = " or ".join(s.value for s in move.sources)
        raise Conflict(
            f"batch {batch.name!r} is {batch.status.value}; only a {allowed} batch "
            f"can be {move.verb.removesuffix('e')}ed"
        )
    await tx.set_batch_status(batch.id, move.target)
    if move.target == BatchStatus.PUBLISHED:
        # Who may answer may have changed while it was paused (a suspension, a removal).
        await dispute_stranded(tx, project, now)
    if move.target == BatchStatus.CLOSED and skill_labels(project) is not None:
        await aggregate(tx, project, now, batch.id)
    await tx.audit(
        project.id,
        None if by is None else by.id,
        f"batch.{move.verb}",
        {"batch": batch.name, "status": move.target.value, **actor_details(by)},
        now,
    )
    await wake_freed(tx, now)
    return batch.model_copy(update={"status": move.target})


async def set_deadline(
    tx: Tx, project: Project, batch: Batch, text: str, by: Member | None, now: float
) -> float | None:
    """Set (``YYYY-MM-DD [HH:MM]``, project time zone) or clear (``none``) a batch's deadline,
    with its audit entry; the deadline set. ValueError, fit to show, for a bad date."""
    deadline = (
        None if text.strip().lower() == "none" else parse_deadline(text, project.spec.timezone)
    )
    await tx.set_batch_deadline(batch.id, deadline)
    await tx.audit(
        project.id,
        None if by is None else by.id,
        "batch.deadline",
        {"batch": batch.name, "deadline": deadline, **actor_details(by)},
        now,
    )
    return deadline


async def on_batches(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    rows = await ctx.tx.batch_progress(project.id)
    if not rows:
        ctx.say(f"*{escape(project.title)}* has no batches yet. Send a CSV or JSONL file.")
        return
    ctx.say(f"*Batches of {escape(project.title)}*")
    for row in rows:
        ctx.send(await batch_card(ctx, member, project, row))


async def batch_card(ctx: Ctx, member: Member, project: Project, row: BatchProgress) -> Screen:
    """One batch as /batches shows it: its state, progress and deadline, with the moves its
    state allows (Pause on a published batch, Resume on a paused one, ...)."""
    text = (
        f"*{escape(row.batch.name)}* — {row.batch.status.value}\n{batch_line(row)}"
        f"{_due(row.batch.deadline, ctx.now, project.spec.timezone)}"
    )
    token = await issue_button(ctx.tx, member.id, BatchCard(row.batch.id), ctx.now)
    buttons = tuple(
        Button(BATCH_ACTIONS[c].button, button_token(token, c)) for c in OFFERED[row.batch.status]
    )
    return Screen(text=text, keyboard=(buttons,) if buttons else ())


async def on_batch_tap(ctx: Ctx, tap: Tap, member: Member, card: BatchCard, code: str) -> None:
    batch_id = card.batch_id
    action = BATCH_ACTIONS.get(code)
    if action is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    found = await managed_batch(ctx, tap, batch_id)
    if found is None:
        return
    batch, project = found
    try:
        await move_batch(ctx.tx, project, batch, action, ctx.member, ctx.now)
    except Conflict:
        ctx.actions.append(Toast(tap, f"The batch is {batch.status.value} now."))
        return
    ctx.actions.append(Toast(tap, f"{escape(batch.name)}: {action.target.value}"))
    row = next(r for r in await ctx.tx.batch_progress(project.id) if r.batch.id == batch.id)
    show(ctx, tap, await batch_card(ctx, await ensure_member(ctx), project, row))


def _due(deadline: float | None, now: float, zone: str) -> str:
    if deadline is None:
        return ""
    return f"\ndue {local_time(deadline, zone)} ({time_left(deadline, now)})"


async def on_deadline(ctx: Ctx, args: tuple[str, ...]) -> None:
    """``/deadline BATCH YYYY-MM-DD [HH:MM]`` or ``/deadline BATCH none``."""
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    if len(args) < 2:
        ctx.say("Use /deadline BATCH YYYY-MM-DD [HH:MM], or /deadline BATCH none to clear it.")
        return
    try:
        batch = await find_batch(ctx.tx, project, args[0])
    except NotFound:
        ctx.say(
            f"*{escape(project.title)}* has no batch named {escape(args[0])}; /batches lists them."
        )
        return
    zone = project.spec.timezone
    try:
        deadline = await set_deadline(ctx.tx, project, batch, " ".join(args[1:]), member, ctx.now)
    except ValueError as exc:
        ctx.say(escape(str(exc)))
        return
    if deadline is None:
        ctx.say(f"*{escape(batch.name)}* has no deadline now.")
    else:
        ctx.say(
            f"*{escape(batch.name)}* is due {local_time(deadline, zone)} "
            f"({time_left(deadline, ctx.now)}, {zone})."
        )
