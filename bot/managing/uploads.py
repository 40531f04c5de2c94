"""Files managers send in chat: batches (CSV, JSONL), project files (TOML) and guidelines
(Markdown). A batch is checked whole and stored as a draft that nobody sees; the manager gets a
summary (rows, gold items, labels, the first errors with line numbers) and Publish or Cancel."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import PurePath

from bot.access import can_manage, ensure_member, managed_batch, managed_project
from bot.chat.actions import Button, Screen, Toast
from bot.chat.buttons import button_token
from bot.chat.events import Tap, Upload
from bot.chat.markup import escape
from bot.context import Ctx, show
from bot.managing.batches import MOVES, move_batch
from bot.managing.projectfile import ProjectFileError, parse_project
from bot.media.importing import LoadedBatch, Source, load_batch
from bot.media.store import MediaStore
from bot.routing import issue_button
from domain.entities import Member, Project
from domain.enums import BatchStatus, Role
from domain.tokens import DraftCard
from storage.contract import Conflict, Store
from tasks.readers import BatchFileError
from tasks.values import BatchLimits

BATCH_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".zip")
MAX_SHOWN = 10


@dataclass
class PreparedBatch:
    """A batch file read, and its media prepared, before the event's transaction (downloads and
    picture work must not hold the database): the checked batch, or what was wrong. Once the
    transaction is over, `settle` puts the media of a stored batch in place or drops them."""

    project: Project
    loaded: LoadedBatch | None = None
    error: BatchFileError | None = None
    stored: bool = False

    async def settle(self, committed: bool) -> None:
        if self.loaded is None:
            return
        if committed and self.stored:
            await self.loaded.publish()
        else:
            await self.loaded.discard()


async def prepare_upload(
    store: Store,
    upload: Upload,
    is_admin: bool,
    media: MediaStore | None,
    now: float,
    source: Source | None = None,
    limits: BatchLimits | None = None,
) -> PreparedBatch | None:
    """For a batch file from someone who manages their current project: the batch, checked
    and with its media staged. None for anything else (the event's handler then says why).
    `source` says how URLs are fetched (a chat upload has no local files)."""
    name = PurePath(upload.filename).name
    if not name.lower().endswith(BATCH_SUFFIXES):
        return None
    async with store.transaction() as tx:
        member = await tx.member_by_identity(upload.actor.platform, upload.actor.user_id)
        ctx = Ctx(
            tx=tx,
            now=now,
            actor=upload.actor,
            rng=random.Random(),
            member=member,
            is_admin=is_admin,
        )
        project = await ctx.project()
        if project is None or not await can_manage(ctx, project):
            return None
    chat = (
        Source(fetcher=source.fetcher, fetch_seconds=source.fetch_seconds) if source else Source()
    )
    try:
        loaded = await load_batch(name, upload.content, project.spec, media, chat, limits)
    except BatchFileError as exc:
        return PreparedBatch(project, error=exc)
    return PreparedBatch(project, loaded=loaded)


async def on_upload(ctx: Ctx, upload: Upload, prepared: PreparedBatch | None = None) -> None:
    name = PurePath(upload.filename).name
    lower = name.lower()
    if lower.endswith(".toml"):
        await _project_file(ctx, name, upload.content)
    elif lower.endswith(BATCH_SUFFIXES):
        await _batch_file(ctx, name, prepared)
    elif lower.endswith((".md", ".markdown")):
        await _guideline(ctx, name, upload.content)
    else:
        ctx.say(
            "I take batch files (.csv, .jsonl, Label Studio .json, or a .zip of one), "
            "project files (.toml) and guidelines (.md)."
        )


async def _batch_file(ctx: Ctx, name: str, prepared: PreparedBatch | None) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    if prepared is None or prepared.project != project:
        ctx.say(
            f"*{escape(name)}* was not imported: your project changed while it was read. "
            "Nothing was stored; send it again."
        )
        return
    if prepared.error is not None:
        _refused(ctx, name, prepared.error)
        return
    loaded = prepared.loaded
    assert loaded is not None
    taken = {b.name for b in await ctx.tx.batches(project.id)}
    stem = batch_name = PurePath(name).stem
    n = 2
    while batch_name in taken:
        batch_name, n = f"{stem}-{n}", n + 1
    n_target = project.spec.quality.min_overlap
    try:
        await loaded.check_ids(ctx.tx, project.id)
        batch = await ctx.tx.create_batch(
            project.id, batch_name, [], BatchStatus.DRAFT, n_target, ctx.now
        )
    except BatchFileError as exc:
        _refused(ctx, name, exc)
        return
    except Conflict as exc:
        ctx.say(f"*{escape(name)}* was not imported: {escape(str(exc))}. Nothing was stored.")
        return
    await loaded.add_to(ctx.tx, batch, n_target)
    prepared.stored = True
    await ctx.tx.audit(
        project.id, member.id, "batch.upload", {"batch": batch.name, "items": loaded.count}, ctx.now
    )
    gold = loaded.gold
    labels = ", ".join(f"{escape(k)} {v}" for k, v in sorted(gold.items()))
    token = await issue_button(ctx.tx, member.id, DraftCard(batch.id), ctx.now)
    ctx.send(
        Screen(
            text=f"*{escape(name)}* checked: {loaded.count} rows, {sum(gold.values())} gold"
            f"{f' ({labels})' if labels else ''}, no errors.\n\nIt is stored as the draft batch "
            f"*{escape(batch.name)}*; annotators see nothing until you publish it.",
            keyboard=(
                (
                    Button("Publish", button_token(token, "p")),
                    Button("Cancel", button_token(token, "x")),
                ),
            ),
        )
    )


def _refused(ctx: Ctx, name: str, exc: BatchFileError) -> None:
    shown = "\n".join(f"• {escape(str(p))}" for p in exc.problems[:MAX_SHOWN])
    more = exc.total - min(len(exc.problems), MAX_SHOWN)
    ctx.say(
        f"*{escape(name)}* was not imported: {exc.total} problem"
        f"{'s' if exc.total != 1 else ''}. Nothing was stored.\n\n{shown}"
        + (f"\n… and {more} more" if more > 0 else "")
    )


async def on_draft_tap(ctx: Ctx, tap: Tap, member: Member, card: DraftCard, code: str) -> None:
    batch_id = card.batch_id
    found = await managed_batch(ctx, tap, batch_id)
    if found is None:
        return
    batch, project = found
    if batch.status != BatchStatus.DRAFT:
        ctx.actions.append(Toast(tap, f"Already {batch.status.value}."))
        return
    who = ctx.member.id if ctx.member else None
    if code == "p":
        await move_batch(ctx.tx, project, batch, MOVES["publish"], ctx.member, ctx.now)
        ctx.actions.append(Toast(tap, "Published"))
        show(
            ctx,
            tap,
            Screen(
                text=f"*{escape(batch.name)}* is published: annotators get its "
                "tasks now. /batches shows its progress."
            ),
        )
    elif code == "x":
        await ctx.tx.delete_draft_batch(batch.id)
        await ctx.tx.audit(project.id, who, "batch.cancel", {"batch": batch.name}, ctx.now)
        ctx.actions.append(Toast(tap, "Cancelled"))
        show(ctx, tap, Screen(text=f"*{escape(batch.name)}* was dropped; nothing was kept."))
    else:
        ctx.actions.append(Toast(tap, "That button is not valid."))


async def _project_file(ctx: Ctx, name: str, content: bytes) -> None:
    try:
        pf = parse_project(name, content.decode("utf-8"), base=None)
    except (ProjectFileError, UnicodeDecodeError) as exc:
        ctx.say(f"*{escape(name)}* was not used:\n{escape(str(exc))}")
        return
    existing = await ctx.tx.project_by_name(pf.spec.name)
    allowed = ctx.is_admin if existing is None else await can_manage(ctx, existing)
    if not allowed:
        ctx.say("Only an admin can create a project, and only its managers can change it.")
        return
    member = await ensure_member(ctx)
    if existing is None:
        project = await ctx.tx.create_project(pf.spec, ctx.now)
        await ctx.tx.grant_role(project.id, member.id, Role.MANAGER, ctx.now)
        verb = "created"
    else:
        project = await ctx.tx.update_project(pf.spec, ctx.now)
        verb = "updated"
    await ctx.tx.set_current_project(member.id, project.id)
    await ctx.tx.audit(project.id, member.id, f"project.{verb}", {"via": "chat"}, ctx.now)
    ctx.say(
        f"Project *{escape(project.title)}* (`{project.name}`) {verb}. Send a batch file "
        "(.csv or .jsonl) next, or a guideline (.md)."
    )


async def _guideline(ctx: Ctx, name: str, content: bytes) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    try:
        body = content.decode("utf-8")
    except UnicodeDecodeError:
        ctx.say(f"*{escape(name)}* is not UTF-8 text.")
        return
    guideline = await ctx.tx.add_guideline(project.id, body, ctx.now)
    await ctx.tx.audit(
        project.id, member.id, "guideline.add", {"version": guideline.version}, ctx.now
    )
    ctx.say(
        f"Guideline version {guideline.version} of *{escape(project.title)}* saved; /guide "
        "shows it."
    )
