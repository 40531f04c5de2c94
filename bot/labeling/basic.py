"""Commands everyone has: start (join with an invite), next, progress, guide, help."""

from __future__ import annotations

from bot.access import can_manage
from bot.chat.actions import Toast
from bot.chat.buttons import GUIDE, NEXT, PROGRESS
from bot.chat.events import Tap
from bot.chat.markup import escape
from bot.context import Ctx, show
from bot.guidelines.guide import guide_screens
from bot.judging.outcome import reopen_for
from bot.labeling.work import next_screen
from bot.reports.progress import progress_text
from domain.entities import Identity, Member, Project
from domain.enums import Qualification, Role, RoleStatus
from domain.tokens import IdleMenu
from storage.contract import NotFound
from tasks import task_type

HELP = """*tapmark* — label with one tap.

/next — your next task
/progress — how much you have done
/guide — the project's guideline
/undo — take back your last answer (for a short while after it)
/link — use this account from another app (Telegram, Slack) too
/stop — done for now: your task goes back to the pool and I stop messaging you about new ones
/mute — stop the daily quota reminders (/unmute turns them back on)
/help — this message

On a task: tap a label to answer. *Skip* passes it on, *Report* tells us the item
is unclear or broken, *Guide* shows the rules."""

HOW_TO_ANSWER = {
    "tap": "Tap a label to answer; the next task replaces this one.",
    "toggle": "Tick the labels that apply and press Done; the next task replaces this one.",
    "text": "Type each answer as a message; the next task follows it.",
    "page": "Open each task's page, answer there and submit; the next task follows.",
}
"""The welcome's line on how to answer, by the task type's mode (see `tasks.base`)."""

NOT_JOINED = (
    "You are not in a project yet. Ask your manager for an invite code and send /start CODE."
)


async def on_start(ctx: Ctx, args: tuple[str, ...]) -> None:
    if not args:
        if ctx.member is None or ctx.member.project_id is None:
            ctx.say("Welcome to *tapmark*! " + NOT_JOINED)
            return
        project = await ctx.tx.project(ctx.member.project_id)
        if Role.ANNOTATOR in await ctx.tx.roles(project.id, ctx.member.id):
            ctx.say(f"Welcome back to *{escape(project.title)}*.")
            ctx.send(await next_screen(ctx, ctx.member, project))
        else:
            ctx.say(f"Welcome back to *{escape(project.title)}*. /help lists your commands.")
        return
    try:
        invite = await ctx.tx.use_invite(args[0], ctx.now)
    except NotFound as exc:
        ctx.say(f"Sorry, {exc}. Check the code with your manager.")
        return
    member = ctx.member
    if member is None:
        identity = Identity(
            platform=ctx.actor.platform,
            user_id=ctx.actor.user_id,
            member_id=0,
            name=ctx.actor.name,
        )
        member = await ctx.tx.create_member(identity, ctx.now)
    before = await ctx.tx.roles(invite.project_id, member.id)
    await ctx.tx.grant_role(invite.project_id, member.id, invite.role, ctx.now)
    project = await ctx.tx.project(invite.project_id)
    qualification = project.spec.quality.qualification
    first_time_annotator = invite.role == Role.ANNOTATOR and Role.ANNOTATOR not in before
    if first_time_annotator and qualification > 0:
        await ctx.tx.set_qualification(project.id, member.id, Qualification.PENDING, ctx.now)
    if invite.role == Role.ANNOTATOR:
        role = await ctx.tx.annotator_role(project.id, member.id)
        if role is not None and role.status == RoleStatus.ACTIVE:
            if role.qualification != Qualification.FAILED:
                await reopen_for(ctx.tx, project, member.id)
    current = await ctx.tx.guideline(project.id)
    if current is not None:
        await ctx.tx.acknowledge_guideline(project.id, member.id, current.version)
    await ctx.tx.set_current_project(member.id, invite.project_id)
    await ctx.tx.audit(
        invite.project_id,
        member.id,
        "join",
        {"role": invite.role.value, "code": invite.code},
        ctx.now,
    )
    member = await ctx.tx.member(member.id)
    ctx.member = member
    welcome = [f"Welcome to *{escape(project.title)}*! You joined as {invite.role.value}."]
    if project.spec.instructions:
        welcome.append(escape(project.spec.instructions))
    if first_time_annotator and qualification > 0:
        welcome.append(
            f"First, a short qualification: {qualification} questions with known answers, and "
            "I will tell you how each went."
        )
    if invite.role != Role.ANNOTATOR:
        welcome.append(MANAGER_HELP if invite.role == Role.MANAGER else QA_HELP)
        ctx.say("\n\n".join(welcome))
        return
    welcome.append(f"{HOW_TO_ANSWER[task_type(project.spec.task).mode]} /help lists commands.")
    ctx.say("\n\n".join(welcome))
    ctx.send(await next_screen(ctx, member, project))


async def joined(ctx: Ctx) -> tuple[Member, Project] | None:
    project = await ctx.project()
    if ctx.member is None or project is None:
        ctx.say(NOT_JOINED)
        return None
    return ctx.member, project


async def on_next(ctx: Ctx) -> None:
    found = await joined(ctx)
    if found:
        ctx.send(await next_screen(ctx, *found))


async def on_menu_tap(ctx: Ctx, tap: Tap, member: Member, menu: IdleMenu, code: str) -> None:
    """The idle screen's buttons; a menu naming a project (the note that work came back
    there) makes it the person's current project while they still have a role in it."""
    if menu.project_id is not None and member.project_id != menu.project_id:
        if await ctx.tx.roles(menu.project_id, member.id):
            await ctx.tx.set_current_project(member.id, menu.project_id)
            ctx.member = member.model_copy(update={"project_id": menu.project_id})
    found = await joined(ctx)
    if found is None:
        return
    member, project = found
    if code == NEXT:
        show(ctx, tap, await next_screen(ctx, member, project))
    elif code == PROGRESS:
        await on_progress(ctx)
    elif code == GUIDE:
        await on_guide(ctx)
    else:
        ctx.actions.append(Toast(tap, "That button is not valid."))
        return
    ctx.actions.insert(0, Toast(tap, "OK"))


async def on_progress(ctx: Ctx) -> None:
    found = await joined(ctx)
    if not found:
        return
    ctx.say(await progress_text(ctx, *found))


async def on_guide(ctx: Ctx) -> None:
    found = await joined(ctx)
    if found:
        for screen in await guide_screens(ctx, found[1]):
            ctx.send(screen)


MANAGER_HELP = """*For managers*

Send a project file (.toml), a batch (.csv or .jsonl; checked, then Publish or Cancel) or a
guideline (.md).
/batches — progress of each batch; pause, resume, close
/deadline BATCH YYYY-MM-DD [HH:MM] — when a batch is due (none clears it)
/invite annotator|qa|manager [uses] — an invite code
/members — who is in; /suspend N, /reinstate N, /remove N, /forget N
/broadcast TEXT — a message to every annotator
/report — batches against deadlines, today's work, quality, with charts
/export [csv|label-studio|annotators] — the results (or the annotators' sheet) as a file
/review — the QA queue
/project [NAME] — list or switch projects"""

QA_HELP = """*For QA*

/review — flagged items one at a time: set the label, accept, or ping the person"""


async def on_help(ctx: Ctx) -> None:
    text = HELP
    project = await ctx.project()
    if ctx.is_admin or (project is not None and await can_manage(ctx, project)):
        text += "\n\n" + MANAGER_HELP
    elif (
        project is not None
        and ctx.member is not None
        and ((await ctx.tx.roles(project.id, ctx.member.id)).get(Role.QA) == RoleStatus.ACTIVE)
    ):
        text += "\n\n" + QA_HELP
    ctx.say(text)


async def on_stop(ctx: Ctx) -> None:
    """Done for now: the task on screen goes back to the pool at once instead of waiting for
    its lease to run out, and no "new tasks" note follows; /next picks up again."""
    found = await joined(ctx)
    if found is None:
        return
    member, project = found
    if await ctx.tx.step_away(project.id, member.id):
        ctx.say(
            "Done for now: your task went back to the pool for someone else. Send /next "
            "when you are back."
        )
    else:
        ctx.say("Done for now. Send /next when you are back.")
