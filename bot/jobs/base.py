"""What the scheduled jobs share: a transaction per project, and messages to its managers.

Every job is a plain async function of ``(store, now)`` (see `bot.jobs.scheduler`); it may run any
number of times, on any worker, and sends each message once because it claims a run key
(`Tx.claim_run`) in the same transaction that queues the messages in the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.chat.actions import Screen
from bot.chat.outbox import notify
from domain.entities import Project
from domain.enums import Role
from storage.contract import Store, Tx

log = logging.getLogger(__name__)

ProjectJob = Callable[[Tx, Project, float], Awaitable[int]]


async def each_project(store: Store, now: float, job: ProjectJob) -> int:
    """Run `job` for every project, each in its own transaction; a project whose run fails is
    rolled back and logged (the next tick tries it again) without holding up the others.
    Returns the sum of what the runs return (messages queued, leases freed)."""
    async with store.transaction() as tx:
        projects = await tx.projects()
    total = 0
    for project in projects:
        try:
            async with store.transaction() as tx:
                total += await job(tx, project, now)
        except Exception:
            log.exception(
                "the scheduled %s failed for project %s; trying again later",
                getattr(job, "__name__", "job"),
                project.name,
            )
    return total


async def notify_all(tx: Tx, member_ids: list[int], screen: Screen, now: float) -> int:
    """Queue the screen for each member; how many messages were queued."""
    sent = 0
    for member_id in member_ids:
        sent += await notify(tx, member_id, screen, now)
    return sent


async def managers(tx: Tx, project: Project) -> list[int]:
    return await tx.members_with_role(project.id, Role.MANAGER)
