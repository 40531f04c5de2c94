"""Deadline warnings: the managers hear about a published, unfinished batch once when its
deadline is `deadline_warning_hours` away or nearer, and once more when it has passed.

The run key holds the deadline itself, so moving a batch's deadline arms both warnings anew.
"""

from __future__ import annotations

from bot.chat.actions import Screen
from bot.chat.markup import escape
from bot.jobs.base import each_project, managers, notify_all
from bot.reports.progress import progress_bar
from bot.timekeeping import local_time, time_left
from domain.entities import Project
from domain.enums import BatchStatus
from storage.contract import Store, Tx
from storage.rows import BatchProgress


async def warn_deadlines(store: Store, now: float) -> int:
    """Queue the deadline warnings due now in every project; how many messages were queued."""
    return await each_project(store, now, warn_project)


async def warn_project(tx: Tx, project: Project, now: float) -> int:
    policy = project.spec.schedule
    if not policy.deadline_warnings:
        return 0
    window = policy.deadline_warning_hours * 3600.0
    near = [
        b
        for b in await tx.batches(project.id)
        if b.status == BatchStatus.PUBLISHED
        and b.deadline is not None
        and b.deadline - now <= window
    ]
    if not near:
        return 0
    to = await managers(tx, project)
    if not to:
        return 0
    progress = {row.batch.id: row for row in await tx.batch_progress(project.id)}
    sent = 0
    for batch in near:
        row = progress.get(batch.id)
        if row is None or not row.items or row.done + row.disputed >= row.items:
            continue
        assert batch.deadline is not None
        stage = "overdue" if now >= batch.deadline else "soon"
        if await tx.claim_run("deadline", f"{batch.id}:{batch.deadline:.0f}:{stage}", now):
            sent += await notify_all(tx, to, warning(project, row, now, stage), now)
    return sent


def warning(project: Project, row: BatchProgress, now: float, stage: str) -> Screen:
    deadline = row.batch.deadline
    assert deadline is not None
    finished = row.done + row.disputed
    when = f"{local_time(deadline, project.spec.timezone)} ({time_left(deadline, now)})"
    head, verb = ("⚠️ Overdue", "was") if stage == "overdue" else ("⏳ Due soon", "is")
    return Screen(
        text=(
            f"{head}: *{escape(row.batch.name)}* in *{escape(project.title)}* {verb} due {when}.\n"
            f"{progress_bar(finished / row.items)} {finished} of {row.items} items finished, "
            f"{row.items - finished} to go. /batches"
        )
    )
