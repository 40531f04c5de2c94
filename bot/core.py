"""The core: one event in, a list of actions out, with one committed transaction in between.

Adapters call `Core.handle` for every update. Whatever the actions confirm to a person has been
committed before they are returned; if the adapter then fails to deliver them, a repeated event
(a redelivered update, a second tap) finds the same state and answers the same way.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot import link, metrics
from bot.chat.actions import Action, Send
from bot.chat.buttons import split_token
from bot.chat.events import Actor, Command, Event, Tap, Text, Upload
from bot.chat.outbox import screen_from_dict
from bot.context import Ctx
from bot.jobs import routes as jobs_routes
from bot.labeling import routes as labeling_routes
from bot.labeling.waiting import wake_freed
from bot.managing import routes as managing_routes
from bot.managing.uploads import PreparedBatch, on_upload, prepare_upload
from bot.media.fetch import MediaFetcher
from bot.media.importing import Source
from bot.media.store import MediaStore
from bot.reports import routes as reports_routes
from bot.review import routes as review_routes
from bot.routing import Router
from domain.entities import Member, TokenRef
from domain.enums import Role
from storage.contract import Busy, Retryable, Store, Tx
from tasks.values import BatchLimits

log = logging.getLogger(__name__)
T = TypeVar("T")

SWEEP_SECONDS = 10.0

ROUTER = Router(
    labeling_routes.ROUTES,
    review_routes.ROUTES,
    managing_routes.ROUTES,
    reports_routes.ROUTES,
    jobs_routes.ROUTES,
    link.ROUTES,
)
"""Every command, button kind and typed-reply kind, as the wings declare them. A new one is
declared in its wing's `routes` module (and a new wing's `ROUTES` is listed here)."""
COMMANDS = ROUTER.commands


OUTBOX_HOLD_S = 120.0
"""How long a worker's claim on outbox messages holds before another worker may send them."""

RETRIES = 4
"""Attempts at an event whose transaction the engine rolled back as retryable (a deadlock
between workers on PostgreSQL). Nothing is shown before a commit, so running it again is safe."""
BUSY_PAUSE_S = 0.1
"""The longest pause before running again an event whose work was held by others (`Busy`),
times the attempt: long enough for the holders' transactions to commit."""


class Core:
    """The platform-neutral bot. `clock` and `rng` are injectable for tests and simulations."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        admins: frozenset[tuple[str, str]] = frozenset(),
        media: MediaStore | None = None,
        fetcher: MediaFetcher | None = None,
        limits: BatchLimits | None = None,
    ) -> None:
        self.store = store
        self.admins = admins
        self.media = media
        """Where media files are kept (items' pictures, sounds, videos); None: no media."""
        self.fetcher = fetcher
        """How media named by URL in an uploaded batch are downloaded; None: they are not."""
        self.limits = limits or BatchLimits()
        """How large an uploaded batch may be."""
        self.clock = clock
        self.rng = rng or random.Random()
        self._next_sweep = 0.0

    async def handle(self, event: Event) -> list[Action]:
        """Handle one event in one transaction; the actions are what to show, once committed."""
        return await self._retrying(
            type(event).__name__.lower(), lambda last_try: self._handle(event, last_try)
        )

    async def call(self, actor: Actor, work: Callable[[Ctx], Awaitable[T]]) -> T:
        """Run `work` for `actor` as an event is handled (one transaction, run again when it
        is `Retryable`, the waiting woken for what it freed), for callers that are not a chat:
        the annotation page. What `work` returns is the answer; the chat actions it leaves in
        the context are dropped, so whatever must reach a chat goes through the outbox."""

        async def attempt(last_try: bool) -> T:
            async with self.store.transaction() as tx:
                member = await tx.member_by_identity(actor.platform, actor.user_id)
                ctx = self._context(tx, actor, member, last_try)
                result = await work(ctx)
                await wake_freed(tx, ctx.now)
            return result

        return await self._retrying("page", attempt)

    async def _retrying(self, kind: str, attempt: Callable[[bool], Awaitable[T]]) -> T:
        started = time.perf_counter()
        for number in range(1, RETRIES + 1):
            try:
                result = await attempt(number == RETRIES)
                break
            except Retryable as exc:
                if number == RETRIES:
                    raise
                metrics.RETRIED.labels(kind).inc()
                pause = BUSY_PAUSE_S if isinstance(exc, Busy) else 0.02
                await asyncio.sleep(self.rng.uniform(pause / 2, pause) * number)
        metrics.EVENTS.labels(kind).inc()
        metrics.EVENT_SECONDS.labels(kind).observe(time.perf_counter() - started)
        return result

    def _context(self, tx: Tx, actor: Actor, member: Member | None, last_try: bool) -> Ctx:
        now = self.clock()
        sweep = now >= self._next_sweep
        if sweep:
            self._next_sweep = now + SWEEP_SECONDS
        return Ctx(
            tx=tx,
            now=now,
            actor=actor,
            rng=self.rng,
            member=member,
            sweep=sweep,
            is_admin=(actor.platform, actor.user_id) in self.admins,
            media=self.media,
            last_try=last_try,
        )

    async def _handle(self, event: Event, last_try: bool = True) -> list[Action]:
        prepared = None
        if isinstance(event, Upload):  # slow work (media) before the transaction, not in it
            prepared = await prepare_upload(
                self.store,
                event,
                (event.actor.platform, event.actor.user_id) in self.admins,
                self.media,
                self.clock(),
                Source(fetcher=self.fetcher),
                self.limits,
            )
        try:
            actions = await self._in_transaction(event, prepared, last_try)
        except BaseException:
            if prepared is not None:
                await prepared.settle(committed=False)
            raise
        if prepared is not None:
            await prepared.settle(committed=True)
        return actions

    async def _in_transaction(
        self, event: Event, prepared: PreparedBatch | None, last_try: bool = True
    ) -> list[Action]:
        async with self.store.transaction() as tx:
            ref: TokenRef | None = None
            if isinstance(event, Tap):
                ref, member = await tx.tap_lookup(
                    split_token(event.token)[0], event.actor.platform, event.actor.user_id
                )
            else:
                member = await tx.member_by_identity(event.actor.platform, event.actor.user_id)
            ctx = self._context(tx, event.actor, member, last_try)
            if isinstance(event, Command):
                await ROUTER.command(ctx, event.name, event.args)
            elif isinstance(event, Tap):
                await ROUTER.tap(ctx, event, ref, split_token(event.token)[1])
            elif isinstance(event, Text):
                await ROUTER.text(ctx, event.text)
            elif isinstance(event, Upload):
                await on_upload(ctx, event, prepared)
            await wake_freed(tx, ctx.now)
        return ctx.actions

    async def outbox(self, platform: str, limit: int = 50) -> list[tuple[int, Send]]:
        """Messages waiting for this platform, each with the id to confirm once it is sent."""
        async with self.store.transaction() as tx:
            pending = await tx.claim_outbox(platform, limit, self.clock(), OUTBOX_HOLD_S)
        return [
            (m.id, Send(to=Actor(m.platform, m.user_id), screen=screen_from_dict(m.screen)))
            for m in pending
        ]

    async def outbox_sent(self, message_ids: list[int]) -> None:
        if message_ids:
            async with self.store.transaction() as tx:
                await tx.mark_sent(message_ids, self.clock())

    async def managers_on(self, platform: str) -> list[str]:
        """The user ids on `platform` of every active manager of a project (a platform gives
        them the managers' command menu)."""
        found: set[str] = set()
        async with self.store.transaction() as tx:
            for project in await tx.projects():
                for member_id in await tx.members_with_role(project.id, Role.MANAGER):
                    for identity in await tx.identities(member_id):
                        if identity.platform == platform:
                            found.add(identity.user_id)
        return sorted(found)
