"""A new guideline version stops the stream until the annotator has seen what changed.

Newcomers start at the version current when they join; everyone else is shown the lines added and
removed since the version they last acknowledged, with an "I have read it" button.
"""

from __future__ import annotations

import difflib

from bot.access import still_annotating
from bot.actions import Button, Screen, Toast
from bot.context import Ctx, show
from bot.events import Tap
from bot.markup import escape
from bot.screens import GUIDE
from bot.task_keys import button_token
from domain.entities import Member, Project

MAX_LINES = 20


async def pending_guideline(ctx: Ctx, member: Member, project: Project) -> Screen | None:
    """The changes screen when the member has not acknowledged the latest guideline."""
    latest = await ctx.tx.guideline(project.id)
    if latest is None:
        return None
    seen = await ctx.tx.acknowledged_guideline(project.id, member.id)
    if seen >= latest.version:
        return None
    before = await ctx.tx.guideline_version(project.id, seen) if seen else None
    old = before.body.splitlines() if before else []
    changes = [line for line in difflib.unified_diff(old, latest.body.splitlines(), lineterm="",
                                                     n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))
               and line[1:].strip()]
    shown = "\n".join(
        f"{'➕' if line[0] == '+' else '➖'} {escape(line[1:].strip())}"
        for line in changes[:MAX_LINES]
    )
    if len(changes) > MAX_LINES:
        shown += f"\n… and {len(changes) - MAX_LINES} more lines"
    token = await ctx.tx.issue_token(
        member.id, "ack", {"p": project.id, "v": latest.version}, ctx.now
    )
    return Screen(
        text=f"*The guideline of {escape(project.title)} changed* (version {latest.version}). "
             f"Please read what is new before your next task:\n\n{shown or '(layout only)'}",
        keyboard=((Button("I have read it", button_token(token, "a")),
                   Button("Full guide", button_token(token, GUIDE))),),
    )


async def on_ack_tap(ctx: Ctx, tap: Tap, project_id: int, version: int, code: str) -> None:
    from bot.guide import guide_screens
    from bot.work import next_screen

    assert ctx.member is not None
    project = await ctx.tx.project(project_id)
    if not await still_annotating(ctx, tap, project):
        return
    if code == GUIDE:
        for screen in await guide_screens(ctx, project):
            ctx.send(screen)
        ctx.actions.append(Toast(tap, "Guide sent below."))
        return
    await ctx.tx.acknowledge_guideline(project_id, ctx.member.id, version)
    ctx.actions.append(Toast(tap, "Thanks!"))
    show(ctx, tap, await next_screen(ctx, ctx.member, project, lease_free=False))
