"""Managers steer batches in chat: /batches lists them with progress, deadline and buttons to
publish, pause, resume or close; /deadline sets when a batch is due."""

from __future__ import annotations

from bot.access import managed_batch, managed_project
from bot.actions import Button, Screen, Toast
from bot.context import Ctx, show
from bot.events import Tap
from bot.markup import escape
from bot.task_keys import button_token
from bot.timekeeping import local_time, parse_deadline, time_left
from storage.models import BatchStatus

BATCH_ACTIONS = {
    "p": ("Publish", BatchStatus.PUBLISHED),
    "z": ("Pause", BatchStatus.PAUSED),
    "r": ("Resume", BatchStatus.PUBLISHED),
    "c": ("Close", BatchStatus.CLOSED),
}
OFFERED = {
    BatchStatus.DRAFT: ("p", "c"),
    BatchStatus.PUBLISHED: ("z", "c"),
    BatchStatus.PAUSED: ("r", "c"),
    BatchStatus.CLOSED: (),
}


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
        finished = row.done + row.disputed
        share = finished / row.items if row.items else 0.0
        text = (f"*{escape(row.batch.name)}* — {row.batch.status.value}\n"
                f"{progress_bar(share)} {finished} of {row.items} items finished"
                f"{f', {row.disputed} disputed' if row.disputed else ''}, {row.answers} answers"
                f"{_due(row.batch.deadline, ctx.now, project.spec.timezone)}")
        token = await ctx.tx.issue_token(member.id, "batch", {"b": row.batch.id}, ctx.now)
        buttons = tuple(Button(BATCH_ACTIONS[c][0], button_token(token, c))
                        for c in OFFERED[row.batch.status])
        ctx.send(Screen(text=text, keyboard=(buttons,) if buttons else ()))


def progress_bar(share: float, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    return "▓" * filled + "░" * (width - filled)


async def on_batch_tap(ctx: Ctx, tap: Tap, batch_id: int, code: str) -> None:
    action = BATCH_ACTIONS.get(code)
    if action is None:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    found = await managed_batch(ctx, tap, batch_id)
    if found is None:
        return
    batch, project = found
    if code not in OFFERED[batch.status]:
        ctx.actions.append(Toast(tap, f"The batch is {batch.status.value} now."))
        return
    await ctx.tx.set_batch_status(batch.id, action[1])
    await ctx.tx.audit(project.id, ctx.member.id if ctx.member else None, "batch.status",
                       {"batch": batch.name, "status": action[1].value}, ctx.now)
    ctx.actions.append(Toast(tap, f"{escape(batch.name)}: {action[1].value}"))
    show(ctx, tap, Screen(text=f"*{escape(batch.name)}* is now {action[1].value}."))


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
    batch = next((b for b in await ctx.tx.batches(project.id) if b.name == args[0]), None)
    if batch is None:
        ctx.say(f"*{escape(project.title)}* has no batch named {escape(args[0])}; /batches "
                "lists them.")
        return
    zone = project.spec.timezone
    if args[1].lower() == "none":
        deadline = None
    else:
        try:
            deadline = parse_deadline(" ".join(args[1:]), zone)
        except ValueError as exc:
            ctx.say(escape(str(exc)))
            return
    await ctx.tx.set_batch_deadline(batch.id, deadline)
    await ctx.tx.audit(project.id, member.id, "batch.deadline",
                       {"batch": batch.name, "deadline": deadline}, ctx.now)
    if deadline is None:
        ctx.say(f"*{escape(batch.name)}* has no deadline now.")
    else:
        ctx.say(f"*{escape(batch.name)}* is due {local_time(deadline, zone)} "
                f"({time_left(deadline, ctx.now)}, {zone}).")
