"""The managers' daily digest, sent at the project's `digest_at` local time: today's answers,
how far each batch is against its deadline, who is behind the daily quota (all from the /report
summary, `bot.reports.report`), and what waits for QA. `digest_text` is the one place that words it.
"""

from __future__ import annotations

from bot.chat.actions import Screen
from bot.jobs.base import each_project, managers, notify_all
from bot.reports.report import summary, summary_text
from bot.timekeeping import local_moment
from domain.entities import Project
from domain.enums import BatchStatus
from storage.contract import Store, Tx


async def send_digests(store: Store, now: float) -> int:
    """Queue today's digest of every project whose `digest_at` has passed today (local time),
    once per project and local day; a digest missed while the bot was down goes out when it
    starts, the same day, never a day late. Returns how many messages were queued."""
    return await each_project(store, now, digest_project)


async def digest_project(tx: Tx, project: Project, now: float) -> int:
    spec = project.spec
    if not spec.schedule.digest:
        return 0
    due, date = local_moment(now, spec.timezone, spec.schedule.digest_at)
    if now < due:
        return 0
    to = await managers(tx, project)
    if not to or not await tx.claim_run("digest", f"{project.id}:{date}", now):
        return 0
    text = await digest_text(tx, project, now)
    return 0 if text is None else await notify_all(tx, to, Screen(text=text), now)


async def digest_text(tx: Tx, project: Project, now: float) -> str | None:
    """The digest: the /report summary (`bot.reports.report`) and what waits for QA; None on a quiet
    day (no answers today, no published batch left to finish, no open flags)."""
    figures = await summary(tx, project, now)
    flags = await tx.open_flags(project.id)
    unfinished = any(
        b.status == BatchStatus.PUBLISHED.value and b.finished < b.items for b in figures.batches
    )
    if not figures.today_answers and not unfinished and not flags:
        return None
    text = f"📬 *Daily digest*\n{summary_text(figures)}"
    if flags:
        text += f"\n\n*QA*: {flags} open flag{'' if flags == 1 else 's'} waiting — /review"
    return text
