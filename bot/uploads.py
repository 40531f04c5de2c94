"""Files managers send in chat: batches (CSV, JSONL), project files (TOML) and guidelines
(Markdown). A batch is checked whole and stored as a draft that nobody sees; the manager gets a
summary (rows, gold items, labels, the first errors with line numbers) and Publish or Cancel."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

from bot.access import can_manage, ensure_member, managed_batch, managed_project
from bot.actions import Button, Screen, Toast
from bot.batches import MOVES, move_batch
from bot.context import Ctx, show
from bot.events import Tap, Upload
from bot.markup import escape
from bot.media import MediaStore
from bot.media_import import load_batch
from bot.projectfile import ProjectFileError, parse_project
from bot.task_keys import button_token
from storage.contract import Conflict, Store
from storage.models import BatchStatus, NewItem, Project, Role
from tasks.readers import BatchFileError

BATCH_SUFFIXES = (".csv", ".jsonl", ".ndjson", ".json", ".zip")
MAX_SHOWN = 10


@dataclass(frozen=True)
class PreparedBatch:
    """A batch file read, and its media stored, before the event's transaction (downloads and
    picture work must not hold the database): the items, or what was wrong."""

    project: Project
    items: list[NewItem] | None = None
    error: BatchFileError | None = None


async def prepare_upload(
    store: Store, upload: Upload, is_admin: bool, media: MediaStore | None, now: float
) -> PreparedBatch | None:
    """For a batch file from someone who manages their current project: the batch, read and
    with its media stored. None for anything else (the event's handler then says why)."""
    name = PurePath(upload.filename).name
    if not name.lower().endswith(BATCH_SUFFIXES):
        return None
    async with store.transaction() as tx:
        member = await tx.member_by_identity(upload.actor.platform, upload.actor.user_id)
        ctx = Ctx(tx=tx, now=now, actor=upload.actor, rng=random.Random(), member=member,
                  is_admin=is_admin)
        project = await ctx.project()
        if project is None or not await can_manage(ctx, project):
            return None
    try:
        items = await load_batch(name, upload.content, project.spec, media)
    except BatchFileError as exc:
        return PreparedBatch(project, error=exc)
    return PreparedBatch(project, items=items)


async def on_upload(ctx: Ctx, upload: Upload, prepared: PreparedBatch | None = None) -> None:
    name = PurePath(upload.filename).name
    lower = name.lower()
    if lower.endswith(".toml"):
        await _project_file(ctx, name, upload.content)
    elif lower.endswith(BATCH_SUFFIXES):
        await _batch_file(ctx, name, upload.content, prepared)
    elif lower.endswith((".md", ".markdown")):
        await _guideline(ctx, name, upload.content)
    else:
        ctx.say("I take batch files (.csv, .jsonl, Label Studio .json, or a .zip of one), "
                "project files (.toml) and guidelines (.md).")


async def _batch_file(
    ctx: Ctx, name: str, content: bytes, prepared: PreparedBatch | None
) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    try:
        if prepared is not None and prepared.project == project:
            if prepared.error is not None:
                raise prepared.error
            assert prepared.items is not None
            items = prepared.items
        else:
            items = await load_batch(name, content, project.spec, ctx.media)
    except BatchFileError as exc:
        shown = "\n".join(f"• {escape(str(p))}" for p in exc.problems[:MAX_SHOWN])
        more = len(exc.problems) - MAX_SHOWN
        ctx.say(f"*{escape(name)}* was not imported: {len(exc.problems)} problem"
                f"{'s' if len(exc.problems) != 1 else ''}. Nothing was stored.\n\n{shown}"
                + (f"\n… and {more} more" if more > 0 else ""))
        return
    taken = {b.name for b in await ctx.tx.batches(project.id)}
    stem = batch_name = PurePath(name).stem
    n = 2
    while batch_name in taken:
        batch_name, n = f"{stem}-{n}", n + 1
    try:
        batch = await ctx.tx.create_batch(project.id, batch_name, items, BatchStatus.DRAFT,
                                          project.spec.quality.min_overlap, ctx.now)
    except Conflict as exc:
        ctx.say(f"*{escape(name)}* was not imported: {escape(str(exc))}. Nothing was stored.")
        return
    await ctx.tx.audit(project.id, member.id, "batch.upload",
                       {"batch": batch.name, "items": len(items)}, ctx.now)
    gold = Counter(i.gold for i in items if i.gold is not None)
    labels = ", ".join(f"{escape(k)} {v}" for k, v in sorted(gold.items()))
    token = await ctx.tx.issue_token(member.id, "draft", {"b": batch.id}, ctx.now)
    ctx.send(Screen(
        text=f"*{escape(name)}* checked: {len(items)} rows, {sum(gold.values())} gold"
             f"{f' ({labels})' if labels else ''}, no errors.\n\nIt is stored as the draft batch "
             f"*{escape(batch.name)}*; annotators see nothing until you publish it.",
        keyboard=((Button("Publish", button_token(token, "p")),
                   Button("Cancel", button_token(token, "x"))),),
    ))


async def on_draft_tap(ctx: Ctx, tap: Tap, batch_id: int, code: str) -> None:
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
        show(ctx, tap, Screen(text=f"*{escape(batch.name)}* is published: annotators get its "
                                   "tasks now. /batches shows its progress."))
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
    ctx.say(f"Project *{escape(project.title)}* (`{project.name}`) {verb}. Send a batch file "
            "(.csv or .jsonl) next, or a guideline (.md).")


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
    await ctx.tx.audit(project.id, member.id, "guideline.add",
                       {"version": guideline.version}, ctx.now)
    ctx.say(f"Guideline version {guideline.version} of *{escape(project.title)}* saved; /guide "
            "shows it.")
