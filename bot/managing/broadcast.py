"""`/broadcast TEXT`: a manager's message to every active annotator of the project.

It goes through the outbox, so each adapter's pump delivers it within its platform's rate
limits, and a restart in the middle loses nothing.
"""

from __future__ import annotations

from bot.access import managed_project
from bot.chat.actions import Screen
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.context import Ctx
from domain.enums import Role

LIMIT = 2000


async def on_broadcast(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    manager, project = found
    text = " ".join(args).strip()
    if not text:
        ctx.say(
            f"Use /broadcast TEXT: it goes to every active annotator of *{escape(project.title)}*."
        )
        return
    if len(text) > LIMIT:
        ctx.say(f"That message has {len(text)} characters; a broadcast holds at most {LIMIT}.")
        return
    people = await ctx.tx.members_with_role(project.id, Role.ANNOTATOR)
    screen = Screen(text=f"*{escape(project.title)}* — from your manager:\n\n{escape(text)}")
    for member_id in people:
        await notify(ctx.tx, member_id, screen, ctx.now)
    await ctx.tx.audit(
        project.id,
        manager.id,
        "broadcast",
        {"annotators": len(people), "chars": len(text)},
        ctx.now,
    )
    ctx.say(f"Sent to {len(people)} annotator{'s' if len(people) != 1 else ''}.")
