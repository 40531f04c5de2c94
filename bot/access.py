"""Who may do what. Every manager command and button checks here, on the server side.

Admins come from configuration (`TAPMARK_ADMINS`, such as ``telegram:12345,slack:T0:U1``) and
may manage any project; managers manage the projects they hold the manager role in.
"""

from __future__ import annotations

from bot.chat.actions import Toast
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.context import Ctx
from domain.entities import Batch, Identity, Member, Project
from domain.enums import Role, RoleStatus


async def ensure_member(ctx: Ctx) -> Member:
    """The acting member, created on first contact (admins need no invite)."""
    if ctx.member is None:
        ctx.member = await ctx.tx.create_member(
            Identity(
                platform=ctx.actor.platform,
                user_id=ctx.actor.user_id,
                member_id=0,
                name=ctx.actor.name,
            ),
            ctx.now,
        )
    return ctx.member


async def holds_role(ctx: Ctx, project: Project, *wanted: Role) -> bool:
    """Whether the person is an admin or holds one of `wanted`, active, in the project."""
    if ctx.is_admin:
        return True
    if ctx.member is None:
        return False
    roles = await ctx.tx.roles(project.id, ctx.member.id)
    return any(roles.get(role) == RoleStatus.ACTIVE for role in wanted)


async def can_manage(ctx: Ctx, project: Project) -> bool:
    return await holds_role(ctx, project, Role.MANAGER)


async def can_review(ctx: Ctx, project: Project) -> bool:
    return await holds_role(ctx, project, Role.QA, Role.MANAGER)


NOT_REVIEWER = "Only QA reviewers and managers can do that."
NOT_ANNOTATOR = "You are no longer an active annotator here."


async def still_annotating(ctx: Ctx, tap: Tap, project: Project) -> bool:
    """Whether the person tapping holds an active annotator role in the project now; if not,
    the toast says so and the press must change nothing."""
    if ctx.member is not None:
        roles = await ctx.tx.roles(project.id, ctx.member.id)
        if roles.get(Role.ANNOTATOR) == RoleStatus.ACTIVE:
            return True
    ctx.actions.append(Toast(tap, NOT_ANNOTATOR))
    return False


async def managed_batch(ctx: Ctx, tap: Tap, batch_id: int) -> tuple[Batch, Project] | None:
    """The batch a button acts on and its project, when the person may manage it; otherwise
    the toast says why and None."""
    batch = await ctx.tx.batch(batch_id)
    if batch is None:
        ctx.actions.append(Toast(tap, "That batch is gone."))
        return None
    project = await ctx.tx.project(batch.project_id)
    if not await can_manage(ctx, project):
        ctx.actions.append(Toast(tap, "Only a manager can do that."))
        return None
    return batch, project


async def managed_project(ctx: Ctx) -> tuple[Member, Project] | None:
    """The current project when the person may manage it; otherwise say why and give None."""
    project = await ctx.project()
    if project is None:
        hint = " Pick one with /project NAME." if ctx.is_admin else ""
        ctx.say("You have no current project." + hint)
        return None
    if not await can_manage(ctx, project):
        ctx.say(f"Only a manager of *{escape(project.title)}* can do that.")
        return None
    return await ensure_member(ctx), project
