"""Quota reminders: once a day, at the project's `reminders_at` local time, annotators behind
their daily quota get a nudge, unless they sent /mute. And the /mute command itself."""

from __future__ import annotations

from bot.chat.actions import Button, Screen
from bot.chat.buttons import NEXT, PROGRESS, button_token
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.context import Ctx
from bot.jobs.base import each_project
from bot.labeling.basic import joined
from bot.reports.progress import behind_quota
from bot.routing import issue_button
from bot.timekeeping import day_start, local_moment
from domain.entities import Member, Project
from domain.enums import BatchStatus
from domain.tokens import IdleMenu
from storage.contract import Store, Tx

WINDOW_SECONDS = 3 * 3600.0
"""A reminder round missed by more than this (the bot was down) is dropped for the day rather
than ping people in the evening."""


async def has_open_work(tx: Tx, project: Project) -> bool:
    """Whether a published batch still has items to finish."""
    return any(
        row.batch.status == BatchStatus.PUBLISHED and row.done + row.disputed < row.items
        for row in await tx.batch_progress(project.id)
    )


async def send_reminders(store: Store, now: float) -> int:
    """Queue today's quota reminders of every project whose `reminders_at` has come (within
    `WINDOW_SECONDS`); returns how many messages were queued. Once a project per local day."""
    return await each_project(store, now, remind_project)


async def remind_project(tx: Tx, project: Project, now: float) -> int:
    spec = project.spec
    if not spec.schedule.reminders or not spec.quota.daily:
        return 0
    due, date = local_moment(now, spec.timezone, spec.schedule.reminders_at)
    if not due <= now < due + WINDOW_SECONDS:
        return 0
    if not await tx.claim_run("remind", f"{project.id}:{date}", now):
        return 0
    if not await has_open_work(tx, project):
        return 0  # nothing to do at reminder time: no reminders today
    counts = await tx.answer_counts(project.id, day_start(now, spec.timezone))
    muted = await tx.muted_members(project.id)
    sent = 0
    for member, done in await behind_quota(tx, project, counts):
        if member.id not in muted:
            screen = await reminder_screen(tx, project, member, done, now)
            sent += await notify(tx, member.id, screen, now)
    return sent


async def reminder_screen(
    tx: Tx, project: Project, member: Member, done: int, now: float
) -> Screen:
    target = project.spec.quota.daily or 0
    if done:
        where = f"you have {done} of {target} answers today, {target - done} to go."
    else:
        where = f"today's quota is {target} answers, and there is work waiting."
    token = await issue_button(tx, member.id, IdleMenu(), now)
    return Screen(
        text=f"⏰ *{escape(project.title)}*: {where}\n_/mute turns these reminders off._",
        keyboard=(
            (
                Button("Next task", button_token(token, NEXT)),
                Button("Progress", button_token(token, PROGRESS)),
            ),
        ),
    )


async def on_mute(ctx: Ctx, args: tuple[str, ...]) -> None:
    """``/mute`` turns the current project's quota reminders off; ``/mute off`` (or /unmute)
    turns them on again."""
    found = await joined(ctx)
    if found is None:
        return
    member, project = found
    title = escape(project.title)
    if args and args[0].lower() in {"off", "no", "stop"}:
        await ctx.tx.set_muted(project.id, member.id, False, ctx.now)
        ctx.say(f"Quota reminders for *{title}* are on again. /mute turns them off.")
        return
    await ctx.tx.set_muted(project.id, member.id, True, ctx.now)
    ctx.say(f"I will not remind you of your quota in *{title}*. /unmute turns reminders on again.")


async def on_unmute(ctx: Ctx, args: tuple[str, ...]) -> None:
    await on_mute(ctx, ("off",))
