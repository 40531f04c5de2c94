"""The annotation page's calls, answered by the core with a tap's guarantees.

A page names its lease by the token of the task card it was opened from (the card's buttons
share it), so the lease is checked as a press of that card would be: the token must be the
caller's, the lease theirs and open, their role active. Every call is one transaction of
`Core.call`; a refusal changes nothing.

A QA reviewer's page names the token of a review card instead (a flagged region item): it is
checked as a press of that card (the reviewer's token, QA or manager now, the flag open), shows
every annotator's regions as layers under the result so far, and Submit makes the correction the
item's result (method ``qa``) and resolves the flag.

An answered lease stays answered: submitting the same regions again stores nothing and shows
the next task (a retried request), anything else on it is refused. Skip and Report on a lease
already closed just move on. After each step the page gets the person's next task with a fresh
card token, as the chat card would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.access import NOT_REVIEWER, can_review
from bot.chat.actions import Screen
from bot.chat.events import Actor
from bot.chat.markup import plain
from bot.context import Ctx
from bot.core import Core
from bot.labeling.work import file_report, next_task, not_active, skip_lease, store_answer
from bot.page.views import Media, Next, NoTask, PageImage, PageTask, Person, Refusal
from bot.routing import issue_button
from bot.timekeeping import day_start
from domain.entities import Assignment, Flag, Item, LeaseView, Member, Project, Result, TokenRef
from domain.enums import FlagKind, FlagStatus, ItemStatus, LeaseStatus, RoleStatus, TokenKind
from domain.tokens import ReviewCard, TaskCard, decode
from storage.rows import MemberStats
from tasks import AnswerError, task_type
from tasks.media import stored_media
from tasks.regions.answer import loads
from tasks.regions.items import REGIONS
from tasks.regions.types import RegionTask

UNKNOWN = "This task is not known here: open the next one from the chat."
NOT_YOURS = "This task is someone else's: open your own from the chat."
EXPIRED = "Your time for this task ran out, so nothing was saved. Open the next task from the chat."
ANSWERED = "This task is already answered."
NOT_A_PAGE = "This task is answered in the chat, not in this page."
DONE_BEFORE = "That task is done already. Here is your task now."
UNCHANGED = "Nothing changed. Close the page to go back to the review queue."
DEALT_WITH = "Someone already dealt with this flag."
CORRECTED = "Saved: what you submitted is the item's result. The review queue goes on in the chat."
CORRECTED_GOLD = (
    "Saved: what you submitted is the item's result, and the item a gold question. The "
    "review queue goes on in the chat."
)


class PageService:
    """The `adapters.web.port.PagePort` of the core."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def task(self, person: Person, lease: str) -> Next:
        async def work(ctx: Ctx) -> Next:
            found = await _open(ctx, lease)
            if isinstance(found, Refusal):
                return found
            if isinstance(found, _Review):
                return await found.page(ctx, lease)
            if found.view.assignment.status != LeaseStatus.LEASED:
                # A card opened again after its task was done in the page: the task now.
                return await _after(ctx, found.member, found.view.project, DONE_BEFORE)
            return await _page_task(
                ctx, found.member, found.view.project, found.kind, found.view.assignment, lease
            )

        return await self.core.call(_actor(person), work)

    async def submit(self, person: Person, lease: str, answer: Any) -> Next:
        async def work(ctx: Ctx) -> Next:
            found = await _open(ctx, lease)
            if isinstance(found, Refusal):
                return found
            if isinstance(found, _Review):
                return await found.settle(ctx, answer)
            member, view = found.member, found.view
            try:
                value = found.kind.submitted(view.project.spec, view.item.data, answer)
            except AnswerError as e:
                return Refusal("invalid", f"Not saved: {e}.")
            if view.assignment.status != LeaseStatus.LEASED:
                mine = await ctx.tx.answer_of(view.assignment.id)
                if mine is not None and mine.value == value:
                    return await _after(ctx, member, view.project, "Already saved. Next task.")
                return Refusal("gone", ANSWERED)
            saved = await store_answer(ctx, member, view, value)
            if saved is None:
                return await _after(ctx, member, view.project, "Already saved. Next task.")
            note, after = "Saved. Next task.", saved.after
            if isinstance(after, Screen) and not after.keyboard:
                return NoTask(plain(after.text))  # a verdict: qualification failed, suspended
            if after is not None:
                note = f"{plain(after if isinstance(after, str) else after.text)}\n\n{note}"
            return await _after(ctx, member, view.project, note)

        return await self.core.call(_actor(person), work)

    async def skip(self, person: Person, lease: str) -> Next:
        async def work(ctx: Ctx) -> Next:
            found = await _open(ctx, lease)
            if isinstance(found, Refusal):
                return found
            if isinstance(found, _Review):
                return NoTask(UNCHANGED)
            if found.view.assignment.status == LeaseStatus.LEASED:
                await skip_lease(ctx, found.member, found.view.project, found.view.assignment)
            return await _after(ctx, found.member, found.view.project, "Skipped. Next task.")

        return await self.core.call(_actor(person), work)

    async def report(self, person: Person, lease: str, reason: str) -> Next:
        async def work(ctx: Ctx) -> Next:
            found = await _open(ctx, lease)
            if isinstance(found, Refusal):
                return found
            if isinstance(found, _Review):
                return NoTask(UNCHANGED)
            if found.view.assignment.status == LeaseStatus.LEASED:
                view = found.view
                await file_report(
                    ctx, found.member, view.project, view.assignment, FlagKind.BROKEN, reason
                )
            return await _after(ctx, found.member, found.view.project, "Reported. Next task.")

        return await self.core.call(_actor(person), work)

    async def media(self, person: Person, lease: str, image: int) -> Media | Refusal:
        store = self.core.media

        async def work(ctx: Ctx) -> Media | Refusal:
            found = await _open(ctx, lease)
            if isinstance(found, Refusal):
                return found
            pictures = _pictures(
                found.item.data if isinstance(found, _Review) else found.view.item.data
            )
            if store is None or not 0 <= image < len(pictures):
                return Refusal("unknown", "No such picture.")
            sha, ext, mime = pictures[image]
            try:
                body = store.path(sha, ext).read_bytes()
            except OSError:
                return Refusal("unknown", "This picture is not stored here any more.")
            return Media(body, mime or "application/octet-stream")

        return await self.core.call(_actor(person), work)


def _actor(person: Person) -> Actor:
    platform, _, user_id = person.partition(":")
    return Actor(platform, user_id)


@dataclass(frozen=True, slots=True)
class _Lease:
    """A task card's lease in the page: the caller, the lease, its region task type."""

    member: Member
    view: LeaseView
    kind: RegionTask

    @property
    def item(self) -> Item:
        return self.view.item


async def _open(ctx: Ctx, token: str) -> _Lease | _Review | Refusal:
    """What a page's token names, checked as a press of its card is: the token must be the
    caller's; a task card's lease theirs, not lapsed, their role active; a review card's flag
    open, their role QA or manager now (see `_review`)."""
    member = ctx.member
    ref, _ = await ctx.tx.tap_lookup(token, ctx.actor.platform, ctx.actor.user_id)
    if ref is None:
        return Refusal("unknown", UNKNOWN)
    if member is None or ref.member_id != member.id:
        return Refusal("not_yours", NOT_YOURS)
    if ref.kind == TokenKind.REVIEW:
        return await _review(ctx, member, ref)
    card = decode(TaskCard, ref.ref) if ref.kind == TokenKind.TASK else None
    if card is None:
        return Refusal("unknown", UNKNOWN)
    view = await ctx.tx.lease_view(card.assignment_id)
    if view is None:
        return Refusal("expired", EXPIRED)
    if view.assignment.member_id != member.id:
        return Refusal("not_yours", NOT_YOURS)
    if view.role_status != RoleStatus.ACTIVE:
        return Refusal("not_yours", plain(not_active(view.project, view.role_status)))
    if view.assignment.status == LeaseStatus.LEASED and view.assignment.expires_at < ctx.now:
        return Refusal("expired", EXPIRED)
    kind = task_type(view.project.spec.task)
    if not isinstance(kind, RegionTask):
        return Refusal("unknown", NOT_A_PAGE)
    return _Lease(member, view, kind)


async def _after(ctx: Ctx, member: Member, project: Project, note: str) -> PageTask | NoTask:
    got = await next_task(ctx, member, project)
    if not isinstance(got, Assignment):
        return NoTask(plain(got.text))
    kind = task_type(project.spec.task)
    if not isinstance(kind, RegionTask):
        return NoTask("The next task is answered in the chat.")
    token = await issue_button(ctx.tx, member.id, TaskCard(got.id), ctx.now)
    return await _page_task(ctx, member, project, kind, got, token, note)


async def _page_task(
    ctx: Ctx,
    member: Member,
    project: Project,
    kind: RegionTask,
    assignment: Assignment,
    token: str,
    note: str = "",
) -> PageTask:
    since = day_start(ctx.now, project.spec.timezone)
    item, stats = await ctx.tx.screen_item(
        assignment.item_id, project.id, member.id, since, batch=True
    )
    view = kind.render(project.spec, item.data)
    pictures = _sizes(item.data)
    texts = (("", view.body),) if view.body else ()
    return PageTask(
        lease=token,
        item_id=item.ext_id,
        prompt=view.prompt or project.title,
        texts=texts,
        images=tuple(PageImage(i, w, h) for i, (w, h) in enumerate(pictures)),
        rules=kind.rules(project.spec),
        pre=_pre(item.data),
        done=_done(stats),
        total=stats.batch_items or None,
        note=note,
    )


def _done(stats: MemberStats) -> int:
    return stats.batch_answers if stats.batch_items else stats.answers_since


def _media_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    many = data.get("media_list")
    entries = many if isinstance(many, list) else [data.get("media")]
    return [e for e in entries if isinstance(e, dict)]


def _sizes(data: dict[str, Any]) -> list[tuple[int, int]]:
    return [(int(e.get("width") or 0), int(e.get("height") or 0)) for e in _media_entries(data)]


def _pictures(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for entry in _media_entries(data):
        stored = stored_media({"media": entry})
        if stored is not None:
            found.append((stored.sha, stored.ext, stored.mime))
    return found


def _pre(data: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The item's pre-annotations, canonical since its import (see `tasks.regions.items`)."""
    raw = data.get(REGIONS)
    return tuple(r for r in raw if isinstance(r, dict)) if isinstance(raw, list) else ()


@dataclass(frozen=True, slots=True)
class _Review:
    """A QA reviewer's page on a flagged region item: every annotator's regions as layers, the
    result so far to correct, and Submit making the correction the item's result."""

    member: Member
    project: Project
    kind: RegionTask
    flag: Flag
    item: Item

    async def page(self, ctx: Ctx, token: str) -> PageTask:
        tx, item = ctx.tx, self.item
        names: dict[int, str] = {}
        layers = []
        for answer in await tx.item_answers(item.id):
            if answer.excluded is not None:
                continue
            if answer.member_id not in names:
                names[answer.member_id] = (await tx.member(answer.member_id)).pseudonym
            drawn = tuple(r.as_json() for r in loads(answer.value))
            layers.append((names[answer.member_id], drawn))
        result = await tx.result(item.id)
        pre = () if result is None else tuple(r.as_json() for r in loads(result.label))
        view = self.kind.render(self.project.spec, item.data)
        why = f"{self.flag.kind}: {self.flag.reason}" if self.flag.reason else self.flag.kind
        return PageTask(
            lease=token,
            item_id=item.ext_id,
            prompt=f"Review of {item.ext_id}",
            texts=(("flag", why), *((("", view.body),) if view.body else ())),
            images=tuple(PageImage(i, w, h) for i, (w, h) in enumerate(_sizes(item.data))),
            rules=self.kind.rules(self.project.spec),
            pre=pre,
            note="Each annotator's regions are drawn in a colour of their own. Correct the "
            "result if need be, then Submit: it becomes the item's result.",
            layers=tuple(layers),
            review=True,
        )

    async def settle(self, ctx: Ctx, answer: Any) -> Next:
        gold = isinstance(answer, dict) and answer.get("gold") is True
        if isinstance(answer, dict):
            answer = {k: v for k, v in answer.items() if k != "gold"}
        try:
            value = self.kind.submitted(self.project.spec, self.item.data, answer)
        except AnswerError as e:
            return Refusal("invalid", f"Not saved: {e}.")
        tx = ctx.tx
        result = Result(item_id=self.item.id, label=value, confidence=1.0, method="qa")
        await tx.set_item_outcome(self.item.id, ItemStatus.DONE, result, ctx.now)
        if gold:
            await tx.make_gold(self.item.id, value, self.flag.reason)
        await tx.resolve_flag(
            self.flag.id, "made gold in the page" if gold else "corrected in the page"
        )
        await tx.audit(
            self.project.id,
            self.member.id,
            "review",
            {"flag": self.flag.id, "action": "page gold" if gold else "page"},
            ctx.now,
        )
        return NoTask(CORRECTED_GOLD if gold else CORRECTED)


async def _review(ctx: Ctx, member: Member, ref: TokenRef) -> _Review | Refusal:
    """The review of a QA card's token (the caller's): their role QA or manager now, the flag
    still open, the item a region task's."""
    card = decode(ReviewCard, ref.ref)
    flag = None if card is None else await ctx.tx.flag(card.flag_id)
    if flag is None or flag.item_id is None:
        return Refusal("unknown", UNKNOWN)
    project = await ctx.tx.project(flag.project_id)
    if not await can_review(ctx, project):
        return Refusal("not_yours", NOT_REVIEWER)
    kind = task_type(project.spec.task)
    if not isinstance(kind, RegionTask):
        return Refusal("unknown", NOT_A_PAGE)
    if flag.status != FlagStatus.OPEN:
        return Refusal("gone", DEALT_WITH)
    return _Review(member, project, kind, flag, await ctx.tx.item(flag.item_id))
