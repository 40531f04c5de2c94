"""A new guideline version stops the stream until the annotator has seen what changed.

Newcomers start at the version current when they join; everyone else is shown the lines added and
removed since the version they last acknowledged, with an "I have read it" button.
"""

from __future__ import annotations

import difflib

from bot.chat.actions import Button, Screen
from bot.chat.buttons import GUIDE, button_token
from bot.chat.markup import escape
from bot.context import Ctx
from bot.routing import issue_button
from domain.entities import Member, Project
from domain.tokens import GuideAck

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
    changes = [
        line
        for line in difflib.unified_diff(old, latest.body.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---")) and line[1:].strip()
    ]
    shown = "\n".join(
        f"{'➕' if line[0] == '+' else '➖'} {escape(line[1:].strip())}"
        for line in changes[:MAX_LINES]
    )
    if len(changes) > MAX_LINES:
        shown += f"\n… and {len(changes) - MAX_LINES} more lines"
    token = await issue_button(ctx.tx, member.id, GuideAck(project.id, latest.version), ctx.now)
    return Screen(
        text=f"*The guideline of {escape(project.title)} changed* (version {latest.version}). "
        f"Please read what is new before your next task:\n\n{shown or '(layout only)'}",
        keyboard=(
            (
                Button("I have read it", button_token(token, "a")),
                Button("Full guide", button_token(token, GUIDE)),
            ),
        ),
    )
