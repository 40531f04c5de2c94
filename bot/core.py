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
from typing import Any

from bot import metrics
from bot.chat.actions import Action, Send, Toast
from bot.chat.buttons import GUIDE, NEXT, PROGRESS, UNDO, split_token
from bot.chat.events import Actor, Command, Event, Tap, Text, Upload
from bot.chat.outbox import screen_from_dict
from bot.context import Ctx, show
from bot.jobs.reminders import on_mute, on_unmute
from bot.labeling import basic
from bot.labeling.acknowledge import on_ack_tap
from bot.labeling.undo import on_undo, on_undo_tap
from bot.labeling.waiting import wake_freed
from bot.labeling.work import (
    NO_LONGER_YOURS,
    next_screen,
    on_answer_text,
    on_report_tap,
    on_report_text,
    on_task_tap,
)
from bot.link import on_link
from bot.managing import batches, broadcast
from bot.managing import commands as manager
from bot.managing.uploads import PreparedBatch, on_draft_tap, on_upload, prepare_upload
from bot.media.fetch import MediaFetcher
from bot.media.importing import Source
from bot.media.store import MediaStore
from bot.reports import chat as report_chat
from bot.review import queue as review
from bot.review import sendback
from domain.entities import Member, TokenRef
from storage.contract import Busy, Retryable, Store
from tasks.values import BatchLimits

log = logging.getLogger(__name__)

SWEEP_SECONDS = 10.0
Handler = Callable[[Ctx, tuple[str, ...]], Awaitable[None]]


COMMANDS: dict[str, Handler] = {
    "start": basic.on_start,
    "next": lambda ctx, args: basic.on_next(ctx),
    "progress": lambda ctx, args: basic.on_progress(ctx),
    "guide": lambda ctx, args: basic.on_guide(ctx),
    "help": lambda ctx, args: basic.on_help(ctx),
    "link": on_link,
    "stop": lambda ctx, args: basic.on_stop(ctx),
    "undo": lambda ctx, args: on_undo(ctx),
    "mute": on_mute,
    "unmute": on_unmute,
    "project": manager.on_project,
    "invite": manager.on_invite,
    "batches": batches.on_batches,
    "deadline": batches.on_deadline,
    "broadcast": broadcast.on_broadcast,
    "remove": manager.on_remove,
    "export": report_chat.on_export,
    "report": report_chat.on_report,
    "members": manager.on_members,
    "suspend": manager.on_suspend,
    "reinstate": manager.on_reinstate,
    "forget": manager.on_forget,
    "review": review.on_review,
}


TextHandler = Callable[[Ctx, Member, dict[str, Any], str], Awaitable[None]]

PENDING_TEXT: dict[str, TextHandler] = {
    "answer": lambda ctx, m, p, text: on_answer_text(ctx, m, int(p["a"]), text),
    "report": lambda ctx, m, p, text: on_report_text(ctx, m, int(p["a"]), text),
    "ping": lambda ctx, m, p, text: review.on_ping_text(
        ctx, int(p["f"]), [int(x) for x in p["to"]] if "to" in p else None, text),
    "note": lambda ctx, m, p, text: review.on_note_text(ctx, int(p["f"]), text),
    "result": lambda ctx, m, p, text: review.on_result_text(ctx, int(p["f"]), text),
    "sendback": lambda ctx, m, p, text: sendback.on_comment_text(ctx, int(p["f"]), text),
    "keep": lambda ctx, m, p, text: sendback.on_keep_text(ctx, int(p["f"]), text),
}
"""What a person's next message is, by the kind of text a button left them to type (the
member's ``pending``): a typed answer, a report's reason, QA's ping, note, result or send-back
comment, an annotator's reason to keep their answer."""


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
        kind = type(event).__name__.lower()
        started = time.perf_counter()
        for attempt in range(1, RETRIES + 1):
            try:
                actions = await self._handle(event, last_try=attempt == RETRIES)
                break
            except Retryable as exc:
                if attempt == RETRIES:
                    raise
                metrics.RETRIED.labels(kind).inc()
                pause = BUSY_PAUSE_S if isinstance(exc, Busy) else 0.02
                await asyncio.sleep(self.rng.uniform(pause / 2, pause) * attempt)
        metrics.EVENTS.labels(kind).inc()
        metrics.EVENT_SECONDS.labels(kind).observe(time.perf_counter() - started)
        return actions

    async def _handle(self, event: Event, last_try: bool = True) -> list[Action]:
        prepared = None
        if isinstance(event, Upload):  # slow work (media) before the transaction, not in it
            prepared = await prepare_upload(
                self.store, event, (event.actor.platform, event.actor.user_id) in self.admins,
                self.media, self.clock(), Source(fetcher=self.fetcher), self.limits,
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
            now = self.clock()
            sweep = now >= self._next_sweep
            if sweep:
                self._next_sweep = now + SWEEP_SECONDS
            ctx = Ctx(
                tx=tx, now=now, actor=event.actor, rng=self.rng, member=member, sweep=sweep,
                is_admin=(event.actor.platform, event.actor.user_id) in self.admins,
                media=self.media, last_try=last_try,
            )
            if isinstance(event, Command):
                await self._command(ctx, event)
            elif isinstance(event, Tap):
                await self._tap(ctx, event, ref)
            elif isinstance(event, Text):
                await self._text(ctx, event)
            elif isinstance(event, Upload):
                await on_upload(ctx, event, prepared)
            await wake_freed(tx, now)
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

    async def _command(self, ctx: Ctx, event: Command) -> None:
        handler = COMMANDS.get(event.name.lower())
        if handler is None:
            ctx.say(f"I do not know /{event.name}. /help lists what I understand.")
            return
        await handler(ctx, event.args)

    async def _tap(self, ctx: Ctx, tap: Tap, ref: TokenRef | None) -> None:
        code = split_token(tap.token)[1]
        if ref is None or ctx.member is None or ref.member_id != ctx.member.id:
            ctx.actions.append(Toast(tap, NO_LONGER_YOURS))
            return
        member = ctx.member
        if code == UNDO and ref.kind == "task":
            undo = ref.ref.get("u")
            await on_undo_tap(ctx, tap, member, None if undo is None else int(undo))
        elif ref.kind == "task":
            undo = ref.ref.get("u")
            await on_task_tap(ctx, tap, member, int(ref.ref["a"]), code,
                              None if undo is None else int(undo))
        elif ref.kind == "report":
            await on_report_tap(ctx, tap, member, int(ref.ref["a"]), code)
        elif ref.kind == "menu":
            await self._menu(ctx, tap, code, ref.ref.get("p"))
        elif ref.kind == "batch":
            await batches.on_batch_tap(ctx, tap, int(ref.ref["b"]), code)
        elif ref.kind == "ack":
            await on_ack_tap(ctx, tap, int(ref.ref["p"]), int(ref.ref["v"]), code)
        elif ref.kind == "review":
            await review.on_review_tap(ctx, tap, int(ref.ref["f"]), code)
        elif ref.kind == "back":
            await sendback.on_back_tap(ctx, tap, int(ref.ref["f"]), int(ref.ref["a"]), code)
        elif ref.kind == "draft":
            await on_draft_tap(ctx, tap, int(ref.ref["b"]), code)
        else:
            ctx.actions.append(Toast(tap, NO_LONGER_YOURS))

    async def _menu(self, ctx: Ctx, tap: Tap, code: str, project_id: int | None) -> None:
        """The idle screen's buttons; a button naming a project (the note that work came back
        there) makes it the person's current project while they still have a role in it."""
        member = ctx.member
        if project_id is not None and member is not None and member.project_id != project_id:
            if await ctx.tx.roles(project_id, member.id):
                await ctx.tx.set_current_project(member.id, project_id)
                ctx.member = member.model_copy(update={"project_id": project_id})
        found = await basic.joined(ctx)
        if found is None:
            return
        member, project = found
        if code == NEXT:
            show(ctx, tap, await next_screen(ctx, member, project))
        elif code == PROGRESS:
            await basic.on_progress(ctx)
        elif code == GUIDE:
            await basic.on_guide(ctx)
        else:
            ctx.actions.append(Toast(tap, "That button is not valid."))
            return
        ctx.actions.insert(0, Toast(tap, "OK"))

    async def _text(self, ctx: Ctx, event: Text) -> None:
        member = ctx.member
        pending = member.pending if member else None
        handler = PENDING_TEXT.get(str(pending.get("kind"))) if pending else None
        if member is None or pending is None or handler is None:
            ctx.say("Use the buttons to answer, or send /help to see what I can do.")
            return
        await handler(ctx, member, pending, event.text)
