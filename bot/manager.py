"""Managers in chat: pick a project, invite people, see and steer batches, list and suspend
members, export results. Every command checks the role on the server (see `bot.access`)."""

from __future__ import annotations

from bot.access import can_manage, ensure_member, managed_project
from bot.actions import Screen
from bot.context import Ctx
from bot.judge import suspend
from bot.markup import escape
from bot.outbox import notify
from storage.contract import StoreError
from storage.models import Member, MemberRow, Project, Role


async def on_project(ctx: Ctx, args: tuple[str, ...]) -> None:
    if not args:
        managed = [p for p in await ctx.tx.projects() if await can_manage(ctx, p)]
        if not managed:
            ctx.say("You manage no project here.")
            return
        current = ctx.member.project_id if ctx.member else None
        lines = [f"{'▸' if p.id == current else '•'} `{p.name}` — {escape(p.title)}"
                 for p in managed]
        ctx.say("*Your projects*\n\n" + "\n".join(lines) + "\n\nSwitch with /project NAME.")
        return
    project = await ctx.tx.project_by_name(args[0])
    if project is None or not (await can_manage(ctx, project) or (
            ctx.member and await ctx.tx.roles(project.id, ctx.member.id))):
        ctx.say(f"There is no project `{escape(args[0])}` that you belong to.")
        return
    member = await ensure_member(ctx)
    await ctx.tx.set_current_project(member.id, project.id)
    ctx.say(f"Now working on *{escape(project.title)}*.")


async def on_invite(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    member, project = found
    roles = {r.value for r in Role}
    if not args or args[0] not in roles or (len(args) > 1 and not args[1].isdigit()):
        ctx.say("Use /invite annotator|qa|manager [uses], for example /invite annotator 20.")
        return
    uses = int(args[1]) if len(args) > 1 else None
    invite = await ctx.tx.create_invite(project.id, Role(args[0]), uses, None, ctx.now)
    await ctx.tx.audit(project.id, member.id, "invite.create",
                       {"role": args[0], "uses": uses}, ctx.now)
    limit = "any number of people" if uses is None else f"{uses} people"
    ctx.say(f"Invite for *{escape(project.title)}* as {args[0]} ({limit}): people send "
            f"`/start {invite.code}` to the bot.\n\n`{invite.code}`")


async def on_members(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    _, project = found
    rows = await ctx.tx.project_members(project.id)
    lines = [f"{n}. {escape(r.member.name or r.member.pseudonym)} (`{r.member.pseudonym}`) — "
             f"{r.role.value}, {r.status}, {r.answers} answers"
             for n, r in enumerate(rows, start=1)]
    ctx.say(f"*Members of {escape(project.title)}*\n\n" + "\n".join(lines)
            + "\n\n/suspend N, /reinstate N, /remove N or /forget N acts on number N.")


async def on_forget(ctx: Ctx, args: tuple[str, ...]) -> None:
    """Erase member N's identities and name; their answers stay under the pseudonym."""
    picked = await _numbered_row(ctx, args, "forget", "You cannot forget yourself here; ask an "
                                 "admin.")
    if picked is None:
        return
    manager, project, row = picked
    member = row.member
    await ctx.tx.forget_member(member.id)
    await ctx.tx.audit(project.id, manager.id, "forget", {"member": member.pseudonym}, ctx.now)
    ctx.say(f"`{member.pseudonym}` is forgotten: their accounts and name are erased; their "
            "answers stay under the pseudonym.")


async def on_suspend(ctx: Ctx, args: tuple[str, ...]) -> None:
    await _set_status(ctx, args, suspend_them=True)


async def on_reinstate(ctx: Ctx, args: tuple[str, ...]) -> None:
    await _set_status(ctx, args, suspend_them=False)


async def _set_status(ctx: Ctx, args: tuple[str, ...], suspend_them: bool) -> None:
    verb = "suspend" if suspend_them else "reinstate"
    picked = await _numbered_row(ctx, args, verb)
    if picked is None:
        return
    manager, project, row = picked
    if not suspend_them and row.status == "removed":
        await ctx.tx.set_role_status(project.id, row.member.id, row.role, "active")
        await ctx.tx.audit(project.id, manager.id, "reinstate",
                           {"member": row.member.pseudonym, "role": row.role.value}, ctx.now)
        ctx.say(f"`{row.member.pseudonym}` is back as {row.role.value}.")
        return
    if row.role != Role.ANNOTATOR:
        ctx.say("Only annotators can be suspended here; /remove N takes away any role.")
        return
    try:
        if suspend_them:
            if row.status == "suspended":
                ctx.say(f"`{row.member.pseudonym}` is already suspended.")
                return
            await suspend(ctx, row.member, project, "suspended by a manager")
        else:
            await ctx.tx.set_role_status(project.id, row.member.id, Role.ANNOTATOR, "active")
            await ctx.tx.audit(project.id, manager.id, "reinstate",
                               {"member": row.member.pseudonym}, ctx.now)
    except StoreError as exc:
        ctx.say(f"Could not {verb}: {exc}")
        return
    done = "suspended; their answers left the aggregation" if suspend_them else (
        "active again; their earlier answers stay out of the aggregation")
    ctx.say(f"`{row.member.pseudonym}` is {done}.")


async def on_remove(ctx: Ctx, args: tuple[str, ...]) -> None:
    """``/remove N``: take the role in row N of /members away; their answers stay."""
    picked = await _numbered_row(ctx, args, "remove", "You cannot remove yourself; ask another "
                                 "manager or an admin.")
    if picked is None:
        return
    manager, project, row = picked
    who = row.member
    if row.status == "removed":
        ctx.say(f"`{who.pseudonym}` is already removed as {row.role.value}.")
        return
    await ctx.tx.set_role_status(project.id, who.id, row.role, "removed")
    if row.role == Role.ANNOTATOR:
        lease = await ctx.tx.open_assignment(project.id, who.id)
        if lease is not None:
            await ctx.tx.release(lease, "skipped")
    await ctx.tx.audit(project.id, manager.id, "remove",
                       {"member": who.pseudonym, "role": row.role.value}, ctx.now)
    await notify(ctx.tx, who.id, Screen(
        text=f"You are no longer {row.role.value} in *{escape(project.title)}*. Thank you for "
             "your work; your answers stay."), ctx.now)
    ctx.say(f"`{who.pseudonym}` is removed as {row.role.value}; their answers stay. "
            f"/reinstate {args[0]} undoes it.")


async def _numbered_row(
    ctx: Ctx, args: tuple[str, ...], verb: str, not_self: str | None = None
) -> tuple[Member, Project, MemberRow] | None:
    """The manager, the project and row N of /members for ``/verb N``; else say how to use it,
    or `not_self` when row N is the manager and the command may not act on oneself."""
    found = await managed_project(ctx)
    if found is None:
        return None
    manager, project = found
    rows = await ctx.tx.project_members(project.id)
    if not args or not args[0].isdigit() or not 1 <= int(args[0]) <= len(rows):
        ctx.say(f"Use /{verb} N with N from /members.")
        return None
    row = rows[int(args[0]) - 1]
    if not_self is not None and row.member.id == manager.id:
        ctx.say(not_self)
        return None
    return manager, project, row
