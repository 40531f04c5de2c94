"""What a manager does in chat, from the command line: ``tapmark project list``, ``tapmark batch
list|publish|pause|resume|close|deadline`` and ``tapmark members PROJECT [ACTION MEMBER]``.

The command line acts as the database's operator (it may do everything), but it runs the very
operations the chat runs (`bot.managing.batches.move_batch`, `bot.managing.batches.set_deadline`
and the member operations of `bot.managing.commands`): the same state rules, the same audit
entries (``via: cli``) and the same messages to annotators waiting for work.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from bot.chat.events import Actor
from bot.chat.markup import plain
from bot.context import Ctx
from bot.judging.skills import aggregate, skill_classes
from bot.managing.batches import MOVES, find_batch, move_batch, set_deadline
from bot.managing.commands import MemberOp, reinstate_member, remove_member, suspend_member
from bot.managing.operations import require_project
from bot.reports.progress import batch_line
from bot.timekeeping import local_time, time_left
from cli.audit import local_iso
from cli.common import Commands, Heading, add_db, usage_error, with_store
from domain.entities import Project
from domain.enums import BatchStatus, Role, RoleStatus
from storage.contract import NotFound, Store
from storage.rows import BatchProgress, MemberRow

OPERATOR = Actor(platform="cli", user_id="operator", name="the command line")
MEMBER_OPS: dict[str, MemberOp] = {
    "suspend": suspend_member,
    "reinstate": reinstate_member,
    "remove": remove_member,
}


def _batch_json(row: BatchProgress, zone: str) -> dict[str, Any]:
    deadline = row.batch.deadline
    return {
        "name": row.batch.name,
        "status": row.batch.status.value,
        "items": row.items,
        "gold": row.gold,
        "finished": row.done + row.disputed,
        "disputed": row.disputed,
        "answers": row.answers,
        "deadline": None if deadline is None else local_iso(deadline, zone),
    }


def _batch_text(row: BatchProgress, zone: str, now: float) -> str:
    due = (
        ""
        if row.batch.deadline is None
        else f"; due {local_time(row.batch.deadline, zone)} ({time_left(row.batch.deadline, now)})"
    )
    return f"{row.batch.name} ({row.batch.status.value}): {batch_line(row)}{due}"


async def _project_list(store: Store, args: argparse.Namespace) -> int:
    out: list[dict[str, Any]] = []
    async with store.transaction() as tx:
        for project in await tx.projects():
            batches = await tx.batch_progress(project.id)
            people = await tx.project_members(project.id)
            out.append(
                {
                    "name": project.name,
                    "title": project.title,
                    "task": project.spec.task,
                    "timezone": project.spec.timezone,
                    "batches": {
                        s.value: sum(1 for b in batches if b.batch.status == s) for s in BatchStatus
                    },
                    "members": {
                        r.value: sum(
                            1 for m in people if m.role == r and m.status == RoleStatus.ACTIVE
                        )
                        for r in Role
                    },
                }
            )
    if args.json:
        print(json.dumps({"projects": out}, ensure_ascii=False))
        return 0
    if not out:
        print("no projects yet; `tapmark project create FILE.toml` makes one", file=sys.stderr)
    for p in out:
        states = ", ".join(f"{n} {s}" for s, n in p["batches"].items() if n) or "no batches"
        roles = ", ".join(f"{n} {r}" for r, n in p["members"].items() if n) or "no members"
        print(f"{p['name']}  {p['title']} ({p['task']}): {states}; active: {roles}")
    return 0


async def _batch_list(store: Store, args: argparse.Namespace) -> int:
    now = time.time()
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        rows = await tx.batch_progress(project.id)
    zone = project.spec.timezone
    if args.json:
        print(
            json.dumps(
                {
                    "project": project.name,
                    "timezone": zone,
                    "batches": [_batch_json(r, zone) for r in rows],
                },
                ensure_ascii=False,
            )
        )
        return 0
    if not rows:
        print(
            f"{project.name!r} has no batches yet; `tapmark batch import` adds one", file=sys.stderr
        )
    for row in rows:
        print(_batch_text(row, zone, now))
    return 0


async def _batch_move(store: Store, args: argparse.Namespace) -> int:
    now = time.time()
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        batch = await find_batch(tx, project, args.batch)
        moved = await move_batch(tx, project, batch, MOVES[args.action], None, now)
    print(f"batch {moved.name!r} of {project.name!r} is {moved.status.value}")
    return 0


async def _batch_aggregate(store: Store, args: argparse.Namespace) -> int:
    now = time.time()
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        batch = await find_batch(tx, project, args.batch)
        if skill_classes(project) is None:
            return usage_error(
                "batch aggregate",
                f"{project.name!r} is a {project.spec.task} project: only task types with one "
                "label per answer are aggregated by Dawid-Skene",
            )
        written = await aggregate(tx, project, now, batch.id)
    print(
        f"batch {batch.name!r} of {project.name!r}: {written} result"
        f"{'s' if written != 1 else ''} recomputed by Dawid-Skene (QA's decisions kept)"
    )
    return 0


async def _batch_deadline(store: Store, args: argparse.Namespace) -> int:
    now = time.time()
    text = " ".join(args.deadline)
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        batch = await find_batch(tx, project, args.batch)
        try:
            deadline = await set_deadline(tx, project, batch, text, None, now)
        except ValueError as exc:
            return usage_error("batch deadline", str(exc))
    zone = project.spec.timezone
    if deadline is None:
        print(f"batch {batch.name!r} has no deadline now")
    else:
        print(
            f"batch {batch.name!r} is due {local_iso(deadline, zone)} ({zone}, "
            f"{time_left(deadline, now)})"
        )
    return 0


def _pick_row(
    rows: list[MemberRow], project: Project, pseudonym: str, action: str, role: str | None
) -> MemberRow:
    """The member's row the action is for; NotFound, or ValueError when it takes --role."""
    theirs = [r for r in rows if r.member.pseudonym == pseudonym]
    if not theirs:
        raise NotFound(
            f"{project.name!r} has no member {pseudonym!r} (`tapmark members "
            f"{project.name}` lists them)"
        )
    if role is not None:
        theirs = [r for r in theirs if r.role.value == role]
        if not theirs:
            raise NotFound(f"{pseudonym} is no {role} in {project.name!r}")
    elif action == "suspend":
        theirs = [r for r in theirs if r.role == Role.ANNOTATOR] or theirs
    if len(theirs) > 1:
        roles = ", ".join(r.role.value for r in theirs)
        raise ValueError(f"{pseudonym} is {roles} in {project.name!r}: say which with --role")
    return theirs[0]


async def _members(store: Store, args: argparse.Namespace) -> int:
    if (args.action is None) != (args.member is None):
        return usage_error(
            "members", "give an action and a member together, such as `suspend a-3f9c21d0aa`"
        )
    if args.role is not None and args.action is None:
        return usage_error("members", "--role goes with an action")
    now = time.time()
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        rows = await tx.project_members(project.id)
        if args.action is not None:
            try:
                row = _pick_row(rows, project, args.member, args.action, args.role)
            except ValueError as exc:
                return usage_error("members", str(exc))
            ctx = Ctx(tx=tx, now=now, actor=OPERATOR, rng=random.Random(), is_admin=True)
            done = await MEMBER_OPS[args.action](ctx, project, row, None)
            print(f"{row.member.pseudonym} {plain(done)}")
            return 0
    if args.json:
        print(
            json.dumps(
                {
                    "project": project.name,
                    "members": [
                        {
                            "member": r.member.pseudonym,
                            "name": r.member.name,
                            "role": r.role.value,
                            "status": r.status,
                            "answers": r.answers,
                            "waiting_since": None
                            if r.waiting_since is None
                            else local_iso(r.waiting_since, project.spec.timezone),
                        }
                        for r in rows
                    ],
                },
                ensure_ascii=False,
            )
        )
        return 0
    if not rows:
        print(
            f"{project.name!r} has no members yet; `tapmark invite` makes a code", file=sys.stderr
        )
    for r in rows:
        name = f"  {r.member.name}" if r.member.name else ""
        print(
            f"{r.member.pseudonym}  {r.role.value:<9}  {r.status:<9}  "
            f"{r.answers} answer{'s' if r.answers != 1 else ''}{name}"
        )
    return 0


def register_project(project_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = project_sub.add_parser("list", help="the projects, their batches and members")
    listing.add_argument("--json", action="store_true", help="one JSON object")
    add_db(listing)
    listing.set_defaults(func=with_store(_project_list))


def register_batch(batch_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = batch_sub.add_parser(
        "list",
        help="a project's batches: state, items finished (gold questions counted "
        "apart), answers, deadline",
    )
    listing.add_argument("project")
    listing.add_argument("--json", action="store_true", help="one JSON object")
    add_db(listing)
    listing.set_defaults(func=with_store(_batch_list))
    helps = {
        "publish": "publish a draft batch: annotators get its tasks (those waiting are told)",
        "pause": "pause a published batch (its open tasks go back)",
        "resume": "resume a paused batch (annotators waiting are told)",
        "close": "close a batch for good (its open tasks go back)",
    }
    for verb, text in helps.items():
        move = batch_sub.add_parser(verb, help=text)
        move.add_argument("project")
        move.add_argument("batch", help="the batch's name (`tapmark batch list`)")
        add_db(move)
        move.set_defaults(func=with_store(_batch_move))
    agg = batch_sub.add_parser(
        "aggregate",
        help="recompute the results of a batch's finished items by Dawid-Skene over all the "
        "project's answers, gold clamped, each with its confidence (QA's decisions stay; "
        "closing a batch does this when the project routes by skill)",
    )
    agg.add_argument("project")
    agg.add_argument("batch", help="the batch's name (`tapmark batch list`)")
    add_db(agg)
    agg.set_defaults(func=with_store(_batch_aggregate))
    deadline = batch_sub.add_parser(
        "deadline", help="set when a batch is due (project time zone), or `none` to clear it"
    )
    deadline.add_argument("project")
    deadline.add_argument("batch")
    deadline.add_argument(
        "deadline",
        nargs="+",
        metavar="DATE",
        help="YYYY-MM-DD (the end of that day), YYYY-MM-DD HH:MM, or none",
    )
    add_db(deadline)
    deadline.set_defaults(func=with_store(_batch_deadline))


def register(sub: Commands) -> None:
    members = sub.add(
        Heading.PEOPLE,
        "members",
        help="list a project's members, or suspend, reinstate or remove one",
        description="Without an action, list the members. suspend: an annotator's answers "
        "leave the aggregation; reinstate: a suspended annotator or a removed "
        "member gets the role back; remove: take a role away (answers stay).",
    )
    members.add_argument("project")
    members.add_argument("action", nargs="?", choices=list(MEMBER_OPS))
    members.add_argument("member", nargs="?", help="the member's pseudonymous id (a-...)")
    members.add_argument(
        "--role",
        choices=[r.value for r in Role],
        help="which of the member's roles (when they hold several)",
    )
    members.add_argument("--json", action="store_true", help="the list as one JSON object")
    add_db(members)
    members.set_defaults(func=with_store(_members))
