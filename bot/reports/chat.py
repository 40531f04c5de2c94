"""Managers' /report and /export in chat. Both check the role on the server first."""

from __future__ import annotations

import asyncio
import functools
import io

from bot.access import managed_project
from bot.chat.actions import SendFile
from bot.chat.markup import escape
from bot.context import Ctx
from bot.exports.annotators import export_annotators, period
from bot.exports.formats import FORMATS
from bot.exports.region_sets import ARCHIVES, export_region_files
from bot.reports.report import draw_charts, summary, summary_text
from domain.entities import Project
from storage.contract import StoreError

EXPORT_USAGE = (
    f"Use /export [{'|'.join([*FORMATS, *ARCHIVES])}]; the annotators sheet takes an optional "
    "period: /export annotators 2026-11-01 2026-11-30."
)


async def on_report(ctx: Ctx, args: tuple[str, ...]) -> None:
    """The summary as a message, then three charts as pictures."""
    found = await managed_project(ctx)
    if found is None:
        return
    _, project = found
    report = await summary(ctx.tx, project, ctx.now)
    ctx.say(summary_text(report))
    for chart in await asyncio.to_thread(draw_charts, report):
        ctx.actions.append(
            SendFile(
                to=ctx.actor,
                name=f"{project.name}-{chart.name}.png",
                data=chart.png,
                caption=chart.caption,
            )
        )


async def on_export(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    if args and args[0].lower() in ARCHIVES and len(args) == 1:
        await _send_archive(ctx, member.id, project, args[0].lower())
        return
    fmt = FORMATS.get(args[0].lower() if args else "jsonl")
    if fmt is None or (len(args) > 1 and fmt.name != "annotators") or len(args) > 3:
        ctx.say(EXPORT_USAGE)
        return
    write = fmt.write
    note = ""
    if len(args) > 1:
        try:
            since, until = period(
                args[1], args[2] if len(args) > 2 else None, project.spec.timezone
            )
        except ValueError as exc:
            ctx.say(escape(str(exc)))
            return
        write = functools.partial(export_annotators, since=since, until=until)
        note = f", {args[1]} to {args[2] if len(args) > 2 else 'today'}"
    out = io.StringIO()
    try:
        async for chunk in write(ctx.tx, project.id):
            out.write(chunk)
    except StoreError as exc:  # a format for another task type (coco, ranking)
        ctx.say(escape(str(exc)))
        return
    await ctx.tx.audit(project.id, member.id, "export", {"format": fmt.name}, ctx.now)
    ctx.actions.append(
        SendFile(
            to=ctx.actor,
            name=f"{project.name}{fmt.suffix}",
            data=out.getvalue().encode("utf-8"),
            caption=f"{escape(project.title)}{note}: {fmt.what}.",
        )
    )


async def _send_archive(ctx: Ctx, member_id: int, project: Project, name: str) -> None:
    """A region project's finished items as a YOLO or VOC dataset, a ZIP with the pictures."""
    try:
        data = await export_region_files(ctx.tx, project.id, name, ctx.media)
    except StoreError as exc:
        ctx.say(escape(str(exc)))
        return
    await ctx.tx.audit(project.id, member_id, "export", {"format": name}, ctx.now)
    ctx.actions.append(
        SendFile(
            to=ctx.actor,
            name=f"{project.name}-{name}.zip",
            data=data,
            caption=f"{escape(project.title)}: the finished pictures as a {name.upper()} dataset.",
        )
    )
