"""The annotators' sheet, for payroll: one CSV row per annotator of the project.

Columns: ``annotator`` (pseudonymous id), ``status``, ``answers``, ``active_hours``,
``earnings``, ``currency``, ``gold_answers``, ``gold_accuracy``, ``compared_answers``,
``agreement``.

- ``answers``, ``active_hours`` and ``earnings`` cover a period (all time unless given): every
  answer counts, gold questions and answers later left out of the aggregation included. Active
  time is each answer's time on task with longer stretches than the project's
  ``session_gap_minutes`` cut to that gap (`bot.timekeeping.active_seconds`); earnings follow
  the project's ``[pay]`` rule, empty when it has none.
- ``gold_accuracy`` (the share of gold answers that were right, of ``gold_answers``) and
  ``agreement`` (the share of answers to finished items that match the item's result, of
  ``compared_answers``) cover the whole project: they describe the annotator, not the period.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.exports.records import safe_cells
from bot.timekeeping import active_seconds, earnings
from domain.enums import Role
from storage.contract import Tx

COLUMNS = [
    "annotator",
    "status",
    "answers",
    "active_hours",
    "earnings",
    "currency",
    "gold_answers",
    "gold_accuracy",
    "compared_answers",
    "agreement",
]


def period(since: str | None, until: str | None, zone: str) -> tuple[float, float | None]:
    """``YYYY-MM-DD`` dates, both days included, as [start, end) epoch times in the project's
    time zone; ValueError with a message fit to show a person."""

    def day(text: str) -> date:
        try:
            return datetime.strptime(text.strip(), "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD") from None

    def midnight(d: date) -> float:
        return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)).timestamp()

    start = midnight(day(since)) if since else 0.0
    end = midnight(day(until) + timedelta(days=1)) if until else None
    if end is not None and end <= start:
        raise ValueError("the period ends before it begins")
    return start, end


async def export_annotators(
    tx: Tx, project_id: int, since: float = 0.0, until: float | None = None
) -> AsyncIterator[str]:
    """The sheet, header first; the period is [since, until)."""
    spec = (await tx.project(project_id)).spec
    gap = spec.session_gap_minutes * 60
    work: dict[int, tuple[int, float]] = {}
    member: int | None = None
    times: list[tuple[float, int]] = []
    async for member_id, at, time_ms in tx.answer_log(project_id, since, until):
        if member_id != member:
            if member is not None:
                work[member] = (len(times), active_seconds(times, gap))
            member, times = member_id, []
        times.append((at, time_ms))
    if member is not None:
        work[member] = (len(times), active_seconds(times, gap))
    rows = [r for r in await tx.project_members(project_id) if r.role == Role.ANNOTATOR]
    gold = await tx.gold_counts(project_id, [r.member.id for r in rows])
    agreement = await tx.agreement_counts(project_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield _drain(buffer)
    for r in rows:
        answers, seconds = work.get(r.member.id, (0, 0.0))
        pay = earnings(spec.pay, answers, seconds)
        g = gold[r.member.id]
        agreed = agreement.get(r.member.id)
        compared = agreed.compared if agreed else 0
        writer.writerow(
            safe_cells(
                [
                    r.member.pseudonym,
                    r.status,
                    answers,
                    f"{seconds / 3600:.2f}",
                    "" if pay is None else f"{pay:.2f}",
                    spec.pay.currency if spec.pay is not None else "",
                    g.total,
                    f"{g.correct / g.total:.4f}" if g.total else "",
                    compared,
                    f"{agreed.agreed / compared:.4f}" if agreed and compared else "",
                ]
            )
        )
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
