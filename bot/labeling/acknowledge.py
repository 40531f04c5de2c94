"""The annotator's answer to a changed guideline: read the full guide, or acknowledge it and go
on with the next task."""

from __future__ import annotations

from bot.access import still_annotating
from bot.chat.actions import Toast
from bot.chat.buttons import GUIDE
from bot.chat.events import Tap
from bot.context import Ctx, show
from bot.guidelines.guide import guide_screens
from bot.labeling.work import next_screen
from domain.entities import Member
from domain.tokens import GuideAck


async def on_ack_tap(ctx: Ctx, tap: Tap, member: Member, ack: GuideAck, code: str) -> None:
    """The buttons under a changed guideline: the guide, or acknowledge and go on."""
    project_id, version = ack.project_id, ack.version
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
