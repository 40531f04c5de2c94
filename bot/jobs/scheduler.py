"""The scheduler: one for all adapters, and nothing in it knows a chat platform.

How it decides what to do: APScheduler 3's `AsyncIOScheduler` fires one job, the *tick*, every
`interval` seconds (a minute) and once right at start. The tick runs `run_due(store, now)`: each
job looks at every project in the project's own time zone and does what is due there now, and a
run key claimed in the database (`Tx.claim_run`) in the same transaction as the outbox messages
makes each send happen once. So there are no per-project cron triggers to keep in step with the
project files, and nothing about the schedule lives in memory: a restart, a changed project file
or a second worker needs no rescheduling, a tick that runs twice sends nothing twice, and a
digest missed while the bot was down goes out on the first tick after start (the same local
day, never a day late).

The jobs, each a plain ``async (store, now)`` function that tests call with their own clock:
`reclaim_leases`, `wake_waiting`, `dispute_stranded_items`, `refresh_skill_models`,
`bot.jobs.deadlines.warn_deadlines`, `bot.jobs.reminders.send_reminders`,
`bot.jobs.digest.send_digests` and `bot.jobs.housekeeping.prune`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.base import each_project
from bot.jobs.deadlines import warn_deadlines
from bot.jobs.digest import send_digests
from bot.jobs.housekeeping import prune
from bot.jobs.reminders import send_reminders
from bot.judging.outcome import dispute_stranded
from bot.judging.skills import refresh_skills
from bot.labeling.waiting import wake_all, wake_freed
from domain.entities import Project
from storage.contract import Store, Tx

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
STOP_GRACE_SECONDS = 10.0

Job = Callable[[Store, float], Awaitable[int]]
IsLeader = Callable[[], Awaitable[bool]]


async def reclaim_leases(store: Store, now: float) -> int:
    """End every project's expired leases, so their items go to someone else; how many."""
    return await each_project(store, now, _reclaim)


async def _reclaim(tx: Tx, project: Project, now: float) -> int:
    ended = await tx.reclaim_expired(project.id, now)
    await wake_freed(tx, now)
    return ended


async def wake_waiting(store: Store, now: float) -> int:
    """The safety net: in every project, wake the waiting for whom work exists (a promise that
    lapsed unused, or anything an event missed); how many were told."""
    return await each_project(store, now, wake_all)


async def refresh_skill_models(store: Store, now: float) -> int:
    """Re-estimate the skill model of every project that routes by skill and has new answers
    (see `bot.judging.skills`); how many were re-estimated."""
    async with store.transaction() as tx:
        projects = await tx.projects()
    refreshed = 0
    for project in projects:
        try:
            refreshed += await refresh_skills(store, project, now)
        except Exception:
            log.exception("the skill model of project %s failed; trying again later", project.name)
    return refreshed


async def dispute_stranded_items(store: Store, now: float) -> int:
    """The safety net for items nobody is left to answer: in every project, dispute those the
    events missed (see `bot.judging.outcome`); how many."""
    return await each_project(store, now, dispute_stranded)


JOBS: tuple[tuple[str, Job], ...] = (
    ("leases", reclaim_leases),
    ("waiting", wake_waiting),
    ("stranded", dispute_stranded_items),
    ("skills", refresh_skill_models),
    ("deadlines", warn_deadlines),
    ("reminders", send_reminders),
    ("digests", send_digests),
    ("prune", prune),
)


async def run_due(store: Store, now: float) -> dict[str, int]:
    """Run every job once for the moment `now`; what each did (leases freed, messages queued).
    A job that fails is logged and tried again on the next tick; the others still run."""
    done: dict[str, int] = {}
    for name, job in JOBS:
        try:
            done[name] = await job(store, now)
        except Exception:
            log.exception("the scheduled %s failed; trying again on the next tick", name)
            done[name] = 0
    return done


class Scheduler:
    """Ticks `run_due` on an APScheduler `AsyncIOScheduler` in the running event loop.

    `clock` gives the time the jobs see (injectable for tests); APScheduler itself keeps real
    time. `is_leader`, when given, is asked before every tick and the tick is skipped unless it
    says yes: with several workers only one leader (say, the holder of a PostgreSQL advisory
    lock) need run the jobs, though the run keys keep them safe to run on all of them.
    """

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        is_leader: IsLeader | None = None,
        interval: float = TICK_SECONDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.is_leader = is_leader
        self.interval = interval
        self._aps = AsyncIOScheduler(timezone=UTC)
        self._in_flight: asyncio.Task[object] | None = None

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def start(self) -> None:
        """Start ticking: at once, then every `interval` seconds. Call it inside the event loop.

        A tick that would overlap a running one is skipped (``max_instances=1``), and ticks
        missed while the loop was busy run once, however late (``coalesce``, no grace limit):
        the tick works out for itself what is due."""
        self._aps.add_job(
            self._fire,
            IntervalTrigger(seconds=self.interval, timezone=UTC),
            id="tapmark-tick",
            name="tapmark scheduler tick",
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._aps.start()

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop ticking; a tick under way may finish within `grace` seconds, after which it is
        cancelled (its transaction rolls back, and the next start does its work)."""
        if not self._aps.running:
            return
        self._aps.pause()
        task = self._in_flight
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=grace)
        self._aps.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    async def tick(self) -> dict[str, int] | None:
        """One round of the jobs, as the timer runs it: None when this process is not the
        leader."""
        if self.is_leader is not None and not await self.is_leader():
            return None
        return await run_due(self.store, self.clock())

    async def _fire(self) -> None:
        self._in_flight = asyncio.current_task()
        try:
            done = await self.tick()
        except Exception:
            log.exception("the scheduler tick failed; trying again on the next one")
            return
        finally:
            self._in_flight = None
        if done and any(done.values()):
            log.info("scheduled jobs: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
