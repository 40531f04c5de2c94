"""Linking accounts: one person on Telegram and Slack at once, as one member.

`/link` (on Slack `/tapmark link`) gives a one-time code; sending `/link CODE` from the other app
attaches that account to the same member within `LINK_MINUTES`. An account that already has work
of its own is not merged into another (that would join two people's records); an admin can.
"""

from __future__ import annotations

from bot.context import Ctx
from bot.routing import Routes
from domain.entities import Identity
from storage.contract import NotFound

LINK_MINUTES = 15


async def on_link(ctx: Ctx, args: tuple[str, ...]) -> None:
    if not args:
        if ctx.member is None:
            ctx.say("Join a project first (/start CODE); then /link connects your other app.")
            return
        code = await ctx.tx.create_link_code(ctx.member.id, ctx.now + LINK_MINUTES * 60, ctx.now)
        ctx.say(
            f"Your link code is `{code}`. Within {LINK_MINUTES} minutes, send `/link {code}` to "
            f"the tapmark bot on Telegram, or `/tapmark link {code}` in Slack, and both accounts "
            "will be you."
        )
        return
    try:
        target = await ctx.tx.use_link_code(args[0], ctx.now)
    except NotFound as exc:
        ctx.say(f"Sorry, {exc}. Ask for a new one with /link on your other app.")
        return
    current = ctx.member
    if current is not None and current.id == target:
        ctx.say("This account is already linked.")
        return
    if current is not None and await ctx.tx.has_work(current.id):
        ctx.say(
            "This account already has work of its own, so I will not merge it into another. "
            "Ask an admin to merge the two."
        )
        return
    await ctx.tx.attach_identity(
        Identity(
            platform=ctx.actor.platform,
            user_id=ctx.actor.user_id,
            member_id=target,
            name=ctx.actor.name,
        )
    )
    if current is not None:
        await ctx.tx.delete_member(current.id)
    await ctx.tx.audit(None, target, "link", {"platform": ctx.actor.platform}, ctx.now)
    ctx.member = await ctx.tx.member(target)
    ctx.say(
        "Linked: this account and your other one are now the same person here. /next "
        "gives you a task."
    )


ROUTES = Routes(commands={"link": on_link})
"""The one command of this room: /link."""
