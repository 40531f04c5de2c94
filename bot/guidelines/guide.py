"""The guide: the project's guideline (or its instructions and labels) as one Markdown screen.

Guidelines are CommonMark; the adapters render them and split them at their own limits."""

from __future__ import annotations

from bot.chat.actions import Screen
from bot.chat.markup import escape, md_escape
from bot.context import Ctx
from domain.entities import Project


def has_label_help(project: Project) -> bool:
    return any(label.description or label.examples for label in project.spec.labels)


def label_help_screen(project: Project) -> Screen:
    """Each label with its description and examples: what the *Labels* button on a task shows."""
    blocks = []
    for label in project.spec.labels:
        lines = [
            f"*{escape(label.shown)}*"
            + (f" — {escape(label.description)}" if label.description else "")
        ]
        lines.extend(f"  e.g. _{escape(example)}_" for example in label.examples)
        blocks.append("\n".join(lines))
    return Screen(text=f"*The labels of {escape(project.title)}*\n\n" + "\n\n".join(blocks))


async def guide_screens(ctx: Ctx, project: Project) -> list[Screen]:
    guideline = await ctx.tx.guideline(project.id)
    spec = project.spec
    labels = "\n".join(
        f"- **{md_escape(label.shown)}**"
        + (f" — {md_escape(label.description)}" if label.description else "")
        for label in spec.labels
    )
    if guideline is not None:
        body = guideline.body.strip()
        if any(label.description for label in spec.labels):
            body += "\n\n**The labels**\n\n" + labels
        head = f"**Guide: {md_escape(project.title)}** (version {guideline.version})"
    else:
        body = (md_escape(spec.instructions) + "\n\n" if spec.instructions else "") + labels
        head = f"**Guide: {md_escape(project.title)}**"
    return [
        Screen(text=head + "\n\n" + (body or "(This project has no guide yet.)"), markdown=True)
    ]
