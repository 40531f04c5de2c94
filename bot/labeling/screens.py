"""Screens people see: the task card, the report menu, messages. Buttons carry opaque tokens.

A screen's buttons share one stored token; each button adds a short code after a colon
(``<token>:<code>``), so a screen costs one row however many buttons it has, and the whole
callback data stays far under Telegram's 64 bytes.
"""

from __future__ import annotations

from bot.chat.actions import Button, Screen
from bot.chat.buttons import BACK, GUIDE, LABELS, NEXT, PROGRESS, REPORT, SKIP, UNDO, button_token
from bot.chat.markup import escape
from bot.guidelines.guide import has_label_help
from bot.labeling.task_keys import option_rows
from bot.media.store import MediaStore
from bot.routing import ask_reply, issue_button
from domain.entities import Assignment, Item, Project
from domain.enums import FlagKind
from domain.spec import QuotaPolicy
from domain.tokens import IdleMenu, ReportMenu, TaskCard, TypedAnswer
from storage.contract import Tx
from storage.rows import MemberStats
from tasks import TaskView, task_type

REPORT_REASONS = {
    "u": ("Unclear", FlagKind.UNCLEAR),
    "b": ("Broken", FlagKind.BROKEN),
    "o": ("Offensive", FlagKind.OFFENSIVE),
    "x": ("Other…", FlagKind.OTHER),
}
SHORT_LABEL = 14


def label_rows(buttons: list[Button]) -> list[tuple[Button, ...]]:
    """Short labels two or three to a row, long ones one to a row, as a thumb reaches them."""
    if all(len(b.label) <= SHORT_LABEL for b in buttons):
        per_row = 2 if len(buttons) in (2, 4) else 3
    else:
        per_row = 1
    return [tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def progress_line(quota: QuotaPolicy, stats: MemberStats) -> str:
    """Where the member is: against the daily or weekly quota when there is one (then
    `answers_since` counts from the start of that day or week), otherwise in the item's batch,
    with today's count."""
    if quota.daily or quota.weekly:
        target, period = (quota.daily, "today") if quota.daily else (quota.weekly, "this week")
        reached = " ✓" if stats.answers_since >= (target or 0) else ""
        return f"_{stats.answers_since} of {target} done {period}{reached}_"
    if stats.batch_items:
        return (
            f"_{stats.batch_answers} of {stats.batch_items} in this batch · "
            f"{stats.answers_since} done today_"
        )
    return f"_{stats.answers_since} done today · {stats.answers} in all_"


async def task_screen(
    tx: Tx,
    project: Project,
    assignment: Assignment,
    item: Item,
    stats: MemberStats,
    now: float,
    *,
    token: str | None = None,
    selected: frozenset[int] = frozenset(),
    media: MediaStore | None = None,
    undo: int | None = None,
) -> Screen:
    """The task card. `token` reuses the card's token (a toggle redraws the same card);
    `selected` are the options switched on in a toggle task. A task answered by typing makes
    the member's next message its answer. `undo` is the answer an Undo button takes back."""
    view: TaskView = task_type(project.spec.task).render(project.spec, item.data, selected)
    if token is None:
        token = await issue_button(
            tx, assignment.member_id, TaskCard(assignment.id, undo_answer_id=undo), now
        )
    if view.mode == "text":
        await ask_reply(tx, assignment.member_id, TypedAnswer(assignment.id))
    tools = (
        *((Button("Undo", button_token(token, UNDO)),) if undo is not None else ()),
        Button("Skip", button_token(token, SKIP)),
        Button("Report", button_token(token, REPORT)),
        Button("Guide", button_token(token, GUIDE)),
        *((Button("Labels", button_token(token, LABELS)),) if has_label_help(project) else ()),
    )
    parts = [f"*{escape(project.title)}*"]
    if view.prompt:
        parts.append(escape(view.prompt))
    if view.body:
        parts.append(escape(view.body))
    if view.hint:
        parts.append(escape(view.hint))
    parts.append(progress_line(project.spec.quota, stats))
    shown = media.screen_media(view.media) if media is not None else None
    return Screen(
        text="\n\n".join(parts),
        keyboard=(*option_rows(view, token, label_rows), tools),
        media=shown,
    )


async def report_screen(tx: Tx, member_id: int, assignment_id: int, now: float) -> Screen:
    token = await issue_button(tx, member_id, ReportMenu(assignment_id), now)
    buttons = [
        Button(label, button_token(token, code)) for code, (label, _) in REPORT_REASONS.items()
    ]
    return Screen(
        text="What is wrong with this item?",
        keyboard=(*label_rows(buttons), (Button("Back to the task", button_token(token, BACK)),)),
    )


async def idle_screen(tx: Tx, member_id: int, text: str, now: float) -> Screen:
    """A message with the buttons someone needs when there is no task on screen."""
    token = await issue_button(tx, member_id, IdleMenu(), now)
    return Screen(
        text=text,
        keyboard=(
            (
                Button("Check for tasks", button_token(token, NEXT)),
                Button("Progress", button_token(token, PROGRESS)),
                Button("Guide", button_token(token, GUIDE)),
            ),
        ),
    )
