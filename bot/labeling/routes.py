"""What the labeling wing answers: the annotator's commands, the task card, the report menu,
the idle menu and a changed guideline's acknowledgement, and typed answers and report reasons."""

from __future__ import annotations

from bot.chat.buttons import UNDO
from bot.chat.events import Tap
from bot.context import Ctx
from bot.labeling import basic
from bot.labeling.acknowledge import on_ack_tap
from bot.labeling.undo import on_undo, on_undo_tap
from bot.labeling.work import on_answer_text, on_report_tap, on_report_text, on_task_tap
from bot.routing import Button, Reply, Routes
from domain.entities import Member
from domain.tokens import GuideAck, IdleMenu, ReportMenu, ReportReason, TaskCard, TypedAnswer


async def on_task_card(ctx: Ctx, tap: Tap, member: Member, card: TaskCard, code: str) -> None:
    """A task card's buttons: Undo takes back the answer the card names, the rest answer."""
    if code == UNDO:
        await on_undo_tap(ctx, tap, member, card.undo_answer_id)
    else:
        await on_task_tap(ctx, tap, member, card, code)


ROUTES = Routes(
    commands={
        "start": basic.on_start,
        "next": lambda ctx, args: basic.on_next(ctx),
        "progress": lambda ctx, args: basic.on_progress(ctx),
        "guide": lambda ctx, args: basic.on_guide(ctx),
        "help": lambda ctx, args: basic.on_help(ctx),
        "stop": lambda ctx, args: basic.on_stop(ctx),
        "undo": lambda ctx, args: on_undo(ctx),
    },
    buttons=(
        Button(TaskCard, on_task_card),
        Button(ReportMenu, on_report_tap),
        Button(IdleMenu, basic.on_menu_tap),
        Button(GuideAck, on_ack_tap),
    ),
    replies=(
        Reply(TypedAnswer, on_answer_text),
        Reply(ReportReason, on_report_text),
    ),
)
