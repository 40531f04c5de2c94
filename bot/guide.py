"""The guide: the project's guideline (or its instructions and labels), split to message size."""

from __future__ import annotations

from bot.actions import Screen
from bot.context import Ctx
from bot.markup import escape, split_text
from storage.models import Project

PART_LIMIT = 3500


async def guide_screens(ctx: Ctx, project: Project) -> list[Screen]:
    guideline = await ctx.tx.guideline(project.id)
    spec = project.spec
    if guideline is not None:
        body = guideline.body
        head = f"*Guide: {escape(project.title)}* (version {guideline.version})"
    else:
        lines = [escape(spec.instructions)] if spec.instructions else []
        for label in spec.labels:
            about = f" — {escape(label.description)}" if label.description else ""
            lines.append(f"• *{escape(label.shown)}*{about}")
        body = "\n".join(lines)
        head = f"*Guide: {escape(project.title)}*"
    parts = split_text(body, PART_LIMIT) or ["(This project has no guide yet.)"]
    return [Screen(text=head + "\n\n" + parts[0]), *(Screen(text=p) for p in parts[1:])]
