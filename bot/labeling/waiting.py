"""Annotators told "no tasks for you right now" hear when work comes back.

Work comes back when a batch is published or resumed, an item reopens for answers, a lease
ends unanswered (skipped, reported, expired, given back, its holder suspended or removed), or a
suspended annotator's answers leave the aggregation. The
storage operations that do so note the project in `Tx.freed`; whoever owns the transaction (the
core for each event, the scheduler, the command line) calls `wake_freed` before it commits, so
the message goes out with the change that caused it, once per wait.

A wake promises the person one free slot of an item they may take (`Tx.wake_waiting`), so a
freed slot wakes someone who can take it, and no more people than there are slots. A promise
the person ends by taking other work (a gold question, another item) frees its slot at once
(`Tx.stop_waiting`); one that lapses unused (the person did not come) is given to the next
person waiting by the scheduler's `wake_all`, every minute, which also catches anything an
event missed.
"""

from __future__ import annotations

from bot.chat.actions import Button, Screen
from bot.chat.buttons import NEXT, button_token
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.routing import issue_button
from domain.entities import Project
from domain.tokens import IdleMenu
from storage.contract import Tx


async def wake(tx: Tx, project_id: int, now: float) -> int:
    """Tell each waiting annotator of the project for whom there is a task now; how many."""
    members = await tx.wake_waiting(project_id, now)
    if not members:
        return 0
    project = await tx.project(project_id)
    for member_id in members:
        await notify_with_next(
            tx, member_id, project, f"New tasks are ready in *{escape(project.title)}*.", now
        )
    return len(members)


async def notify_with_next(tx: Tx, member_id: int, project: Project, text: str, now: float) -> None:
    """A message through the outbox with a *Next task* button that opens `project`."""
    token = await issue_button(tx, member_id, IdleMenu(project.id), now)
    await notify(
        tx,
        member_id,
        Screen(text=text, keyboard=((Button("Next task", button_token(token, NEXT)),),)),
        now,
    )


async def wake_freed(tx: Tx, now: float) -> int:
    """Wake the waiting in every project this transaction freed work in; how many were told."""
    told = 0
    for project_id in sorted(tx.freed):
        told += await wake(tx, project_id, now)
    tx.freed.clear()
    return told


async def wake_all(tx: Tx, project: Project, now: float) -> int:
    """The scheduler's safety net: wake the waiting of one project for whom work exists."""
    return await wake(tx, project.id, now)
