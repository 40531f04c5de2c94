"""Managers in chat: pick a project, invite people, see and steer batches, list and suspend
members, export results. Every command checks the role on the server (see `bot.access`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.access import can_manage, ensure_member, managed_project
from bot.chat.actions import Screen
from bot.chat.markup import escape, plural
from bot.chat.outbox import notify
from bot.context import Ctx
from bot.judging.judge import suspend
from bot.judging.outcome import dispute_stranded, reopen_for
from bot.labeling.waiting import notify_with_next, wake_freed
from bot.managing.batches import actor_details
from bot.managing.operations import invite_uses
from domain.entities import Member, Project
from domain.enums import LeaseStatus, Role, RoleStatus
from storage.contract import Conflict, StoreError
from storage.rows import MemberRow


async def on_project(ctx: Ctx, args: tuple[str, ...]) -> None:
    if not args:
        managed = [p for p in await ctx.tx.projects() if await can_manage(ctx, p)]
        if not managed:
            ctx.say("You manage no project here.")
            return
        current = ctx.member.project_id if ctx.member else None
        lines = [
            f"{'▸' if p.id == current else '•'} `{p.name}` — {escape(p.title)}" for p in managed
        ]
        ctx.say("*Your projects*\n\n" + "\n".join(lines) + "\n\nSwitch with /project NAME.")
        return
    project = await ctx.tx.project_by_name(args[0])
    roles = (
        {}
        if project is None or ctx.member is None
        else await ctx.tx.roles(project.id, ctx.member.id)
    )
    if project is None or not (
        await can_manage(ctx, project) or RoleStatus.ACTIVE in roles.values()
    ):
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
    uses = invite_uses(Role(args[0]), int(args[1]) if len(args) > 1 else None)
    if uses == 0:
        ctx.say("An invite is for at least 1 person: /invite annotator 20, for example.")
        return
    invite = await ctx.tx.create_invite(project.id, Role(args[0]), uses, None, ctx.now)
    await ctx.tx.audit(
        project.id, member.id, "invite.create", {"role": args[0], "uses": uses}, ctx.now
    )
    limit = (
        "any number of people" if uses is None else f"{uses} {'person' if uses == 1 else 'people'}"
    )
    how = (
        f"`/tapmark start {invite.code}`"
        if ctx.actor.platform == "slack"
        else f"`/start {invite.code}` to the bot"
    )
    ctx.say(
        f"Invite for *{escape(project.title)}* as {args[0]} ({limit}): people send "
        f"{how}.\n\n`{invite.code}`"
    )


async def on_members(ctx: Ctx, args: tuple[str, ...]) -> None:
    found = await managed_project(ctx)
    if found is None:
        return
    _, project = found
    rows = await ctx.tx.project_members(project.id)
    lines = [
        f"{n}. {escape(r.member.name or r.member.pseudonym)} (`{r.member.pseudonym}`) — "
        f"{r.role.value}, {r.status}, {plural(r.answers, 'answer')}"
        for n, r in enumerate(rows, start=1)
    ]
    ctx.say(
        f"*Members of {escape(project.title)}*\n\n"
        + "\n".join(lines)
        + "\n\n/suspend N, /reinstate N, /remove N or /forget N acts on number N."
    )


async def on_forget(ctx: Ctx, args: tuple[str, ...]) -> None:
    """Erase member N's identities and name; their answers stay under the pseudonym."""
    picked = await _numbered_row(
        ctx, args, "forget", "You cannot forget yourself here; ask an admin."
    )
    if picked is None:
        return
    manager, project, row = picked
    member = row.member
    await ctx.tx.forget_member(member.id)
    await ctx.tx.audit(project.id, manager.id, "forget", {"member": member.pseudonym}, ctx.now)
    ctx.say(
        f"`{member.pseudonym}` is forgotten: their accounts and name are erased; their "
        "answers stay under the pseudonym."
    )


async def on_suspend(ctx: Ctx, args: tuple[str, ...]) -> None:
    await _member_op(ctx, args, "suspend", suspend_member)


async def on_reinstate(ctx: Ctx, args: tuple[str, ...]) -> None:
    await _member_op(ctx, args, "reinstate", reinstate_member)


async def on_remove(ctx: Ctx, args: tuple[str, ...]) -> None:
    """``/remove N``: take the role in row N of /members away; their answers stay."""
    await _member_op(
        ctx,
        args,
        "remove",
        remove_member,
        "You cannot remove yourself; ask another manager or an admin.",
    )


MemberOp = Callable[[Ctx, Project, MemberRow, Member | None], Awaitable[str]]


async def _member_op(
    ctx: Ctx, args: tuple[str, ...], verb: str, op: MemberOp, not_self: str | None = None
) -> None:
    picked = await _numbered_row(ctx, args, verb, not_self)
    if picked is None:
        return
    manager, project, row = picked
    try:
        done = await op(ctx, project, row, manager)
    except StoreError as exc:
        ctx.say(escape(str(exc)))
        return
    hint = f" /reinstate {args[0]} undoes it." if verb == "remove" else ""
    ctx.say(f"`{row.member.pseudonym}` {escape(done)}{hint}")


async def suspend_member(ctx: Ctx, project: Project, row: MemberRow, by: Member | None) -> str:
    """Suspend the annotator of `row` (see `bot.judging.judge.suspend`); what happened, after the
    pseudonym. Conflict when they are not an active annotator. `by` is the manager, None the
    command line; this and the two below are what /suspend, /reinstate, /remove and
    `tapmark members` run."""
    if row.role != Role.ANNOTATOR:
        raise Conflict("Only annotators can be suspended; removing takes away any role.")
    if row.status != RoleStatus.ACTIVE:
        raise Conflict(f"{row.member.pseudonym} is {row.status} already.")
    who = "a manager" if by is not None else "the command line"
    await suspend(ctx, row.member, project, f"suspended by {who}")
    await wake_freed(ctx.tx, ctx.now)
    return "is suspended; their answers left the aggregation."


async def reinstate_member(ctx: Ctx, project: Project, row: MemberRow, by: Member | None) -> str:
    """Give a suspended annotator, or a removed member, their role back."""
    if row.status == RoleStatus.ACTIVE:
        raise Conflict(f"{row.member.pseudonym} is active as {row.role.value} already.")
    await ctx.tx.set_role_status(project.id, row.member.id, row.role, RoleStatus.ACTIVE)
    await ctx.tx.audit(
        project.id,
        None if by is None else by.id,
        "reinstate",
        {"member": row.member.pseudonym, "role": row.role.value, **actor_details(by)},
        ctx.now,
    )
    title = escape(project.title)
    if row.role == Role.ANNOTATOR:
        # The note's button opens the project, so a wait they had needs no second message.
        await ctx.tx.stop_waiting(project.id, row.member.id)
        await reopen_for(ctx.tx, project, row.member.id)
        await notify_with_next(
            ctx.tx, row.member.id, project, f"You can work in *{title}* again.", ctx.now
        )
        ctx.tx.freed.add(project.id)
        await wake_freed(ctx.tx, ctx.now)
    else:
        await notify(
            ctx.tx,
            row.member.id,
            Screen(text=f"You are {row.role.value} in *{title}* again."),
            ctx.now,
        )
    if row.status == RoleStatus.REMOVED:
        return f"is back as {row.role.value}."
    return "is active again; their earlier answers stay out of the aggregation."


async def remove_member(ctx: Ctx, project: Project, row: MemberRow, by: Member | None) -> str:
    """Take the role of `row` away (an annotator's open task goes back to the pool) and tell
    them; their answers stay."""
    who = row.member
    if row.status == RoleStatus.REMOVED:
        raise Conflict(f"{who.pseudonym} is already removed as {row.role.value}.")
    await ctx.tx.set_role_status(project.id, who.id, row.role, RoleStatus.REMOVED)
    if row.role == Role.ANNOTATOR:
        lease = await ctx.tx.open_assignment(project.id, who.id)
        if lease is not None:
            await ctx.tx.release(lease, LeaseStatus.SKIPPED)
        await dispute_stranded(ctx.tx, project, ctx.now)
    await ctx.tx.audit(
        project.id,
        None if by is None else by.id,
        "remove",
        {"member": who.pseudonym, "role": row.role.value, **actor_details(by)},
        ctx.now,
    )
    await notify(
        ctx.tx,
        who.id,
        Screen(
            text=f"You are no longer {row.role.value} in *{escape(project.title)}*. Thank you for "
            "your work; your answers stay."
        ),
        ctx.now,
    )
    await wake_freed(ctx.tx, ctx.now)
    return f"is removed as {row.role.value}; their answers stay."


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
