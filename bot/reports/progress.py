"""`/progress` for an annotator: today's and this week's answers against the quota, gold accuracy
when the project shows it, active hours and earnings, in the project's time zone."""

from __future__ import annotations

from bot.chat.markup import escape, plural
from bot.context import Ctx
from bot.quality import posterior_mean
from bot.timekeeping import active_seconds, day_start, earnings, week_start
from domain.entities import Member, Project
from domain.enums import Qualification, Role, RoleStatus
from storage.contract import Tx
from storage.rows import BatchProgress

BAR = 10


def bar(done: int, target: int) -> str:
    filled = min(BAR, round(BAR * done / target)) if target else 0
    return "▓" * filled + "░" * (BAR - filled)


def hours(seconds: float) -> str:
    """Time on task as people say it: ``25 min`` under an hour, ``1.5 h`` from an hour on."""
    if seconds < 3600:
        return f"{int(seconds / 60 + 0.5)} min"
    return f"{seconds / 3600:.1f} h"


async def progress_text(ctx: Ctx, member: Member, project: Project) -> str:
    spec, tx = project.spec, ctx.tx
    today = day_start(ctx.now, spec.timezone)
    week = week_start(ctx.now, spec.timezone)
    times = await tx.answer_times(project.id, member.id, min(today, week))
    today_times = [t for t in times if t[0] >= today]
    week_times = [t for t in times if t[0] >= week]
    mine = await tx.member_stats(project.id, member.id, today)
    quota = spec.quota
    lines = [f"*Your progress in {escape(project.title)}*", ""]
    for name, count, target in (
        ("Today", len(today_times), quota.daily),
        ("This week", len(week_times), quota.weekly),
    ):
        if target:
            lines.append(
                f"{name}: {bar(count, target)} {count} of {target} answers"
                + (" ✓" if count >= target else "")
            )
        else:
            lines.append(f"{name}: {plural(count, 'answer')}")
    if quota.show_gold and mine.gold_total:
        accuracy = posterior_mean(mine.gold_correct, mine.gold_total)
        bar_ = quota.min_gold_accuracy or spec.quality.min_gold_accuracy
        lines.append(f"Quality: {accuracy:.0%} on control questions (the bar is {bar_:.0%})")
    gap = spec.session_gap_minutes * 60
    day_s, week_s = active_seconds(today_times, gap), active_seconds(week_times, gap)
    lines.append(f"Active time: {hours(day_s)} today, {hours(week_s)} this week")
    pay = earnings(spec.pay, len(week_times), week_s)
    if pay is not None and spec.pay is not None:
        lines.append(f"Earned this week: {pay:.2f} {escape(spec.pay.currency)}")
    total = await tx.project_stats(project.id)
    lines += [
        "",
        f"In all: {plural(mine.answers, 'answer')}, {mine.skipped} skipped",
        f"The project: {total.done} of {total.items} items finished",
    ]
    return "\n".join(lines)


async def behind_quota(
    tx: Tx, project: Project, counts: dict[int, int]
) -> list[tuple[Member, int]]:
    """Active annotators (not failed in the qualification) with fewer answers than the daily
    quota, given `counts` (answers per member today), in the order they joined."""
    target = project.spec.quota.daily
    if not target:
        return []
    behind = []
    for row in await tx.project_members(project.id):
        if row.role != Role.ANNOTATOR or row.status != RoleStatus.ACTIVE:
            continue
        done = counts.get(row.member.id, 0)
        if done >= target:
            continue
        role = await tx.annotator_role(project.id, row.member.id)
        if role is None or role.qualification == Qualification.FAILED:
            continue
        behind.append((row.member, done))
    return behind


def batch_line(row: BatchProgress) -> str:
    return items_line(row.done + row.disputed, row.items, row.gold, row.answers, row.disputed)


def items_line(finished: int, items: int, gold: int, answers: int, disputed: int = 0) -> str:
    """``▓▓░░ 2 of 4 items finished (not counting its 1 gold question), 5 answers``: what the
    counts leave out is said, since gold questions are mixed into the stream but are not the
    batch's work (nor are their answers counted)."""
    share = finished / items if items else 0.0
    note = f" (not counting its {gold} gold question{'s' if gold != 1 else ''})" if gold else ""
    return (
        f"{progress_bar(share)} {finished} of {items} items finished{note}"
        f"{f', {disputed} disputed' if disputed else ''}, "
        f"{answers} answer{'s' if answers != 1 else ''}"
    )


def progress_bar(share: float, width: int = 10) -> str:
    filled = round(max(0.0, min(1.0, share)) * width)
    return "▓" * filled + "░" * (width - filled)
