"""Reports for managers: how each batch is doing against its deadline, today's work, who is
behind the daily quota, agreement (Krippendorff's alpha, per batch and over the project), and
quality per annotator; as text, as JSON and as charts. A batch's items, answers and agreement
leave its gold questions out, and the report says how many those are.

`summary` gathers the figures from one transaction (reads only); `summary_text`,
`summary_json` and `draw_charts` are pure. Annotators appear under their pseudonymous ids.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat.markup import escape
from bot.exports.records import iso
from bot.quality.agreement import krippendorff_alpha
from bot.quality.encoding import encode
from bot.reports import charts
from bot.reports.progress import behind_quota, items_line
from bot.timekeeping import day_start, local_time, time_left
from domain.entities import Project
from domain.enums import BatchStatus, Role, RoleStatus
from storage.contract import Tx
from storage.rows import AgreementCount, BatchPace, BatchProgress
from tasks import task_type

DAYS = 14
"""Days on the answers-per-day chart, today included."""
PACE_WINDOW = 24 * 3600.0
"""The recent answer rate behind a projected finish is measured over this many seconds."""
SHOWN = 15
"""At most this many people per list in the text; the charts show more."""
CHART_SERIES = 8
"""Annotators with a colour of their own on the answers-per-day chart; the rest are "others"."""


@dataclass(frozen=True, slots=True)
class BatchReport:
    name: str
    status: str
    items: int
    finished: int
    """Items done or disputed (non-gold)."""
    disputed: int
    answers: int
    created_at: float
    deadline: float | None
    needed: int
    """Answers the batch's open items still want."""
    rate: float | None
    """Answers an hour over the recent window (None: no answers in it)."""
    projected: float | None
    """When the last wanted answer arrives at that rate (published batches only)."""
    gold: int = 0
    """Its gold questions, which the other figures leave out."""
    alpha: float | None = None
    """Krippendorff's alpha over its counted answers (None: no item has two yet)."""

    @property
    def share(self) -> float:
        return self.finished / self.items if self.items else 0.0

    @property
    def late(self) -> bool | None:
        """Whether the projected finish is after the deadline; None when either is unknown."""
        if self.deadline is None:
            return None
        if self.finished >= self.items > 0:
            return False
        return None if self.projected is None else self.projected > self.deadline


@dataclass(frozen=True, slots=True)
class AnnotatorReport:
    annotator: str
    status: str
    answers: int
    per_day: tuple[int, ...]
    """Answers on each of the summary's `days`, today last."""
    gold_correct: int
    gold_total: int
    agreed: int
    compared: int

    @property
    def today(self) -> int:
        return self.per_day[-1] if self.per_day else 0

    @property
    def gold_accuracy(self) -> float | None:
        """The share of gold answers that were right (None before the first)."""
        return self.gold_correct / self.gold_total if self.gold_total else None

    @property
    def agreement(self) -> float | None:
        """The share of answers to finished items that match the item's result (the person's
        own answer counted in that result)."""
        return self.agreed / self.compared if self.compared else None


@dataclass(frozen=True, slots=True)
class ReportSummary:
    project: str
    title: str
    timezone: str
    now: float
    days: tuple[str, ...]
    """The last `DAYS` local dates (YYYY-MM-DD), oldest first, today last."""
    batches: tuple[BatchReport, ...]
    annotators: tuple[AnnotatorReport, ...]
    """Annotators who are active or have answered, the busiest first."""
    daily_quota: int | None
    behind: tuple[tuple[str, int], ...]
    """(annotator, answers today) for active annotators under the daily quota."""
    min_gold_accuracy: float
    waiting: tuple[str, ...] = ()
    """Active annotators told there is no task for them, longest waiting first."""
    alpha: float | None = None
    """Krippendorff's alpha over the whole project's counted answers to non-gold items."""
    alpha_note: str = ""
    """Why there is no alpha for a task type whose answers are not one label each."""

    @property
    def today_answers(self) -> int:
        return sum(a.today for a in self.annotators)

    @property
    def active_today(self) -> int:
        return sum(1 for a in self.annotators if a.today)


async def summary(tx: Tx, project: Project, now: float) -> ReportSummary:
    """The report's figures for `project` at `now`, read in the given transaction."""
    zone = project.spec.timezone
    starts = [day_start(now, zone)]
    while len(starts) < DAYS:
        starts.insert(0, day_start(starts[0] - 1, zone))
    per_day: dict[int, list[int]] = {}
    async for member_id, at, _ in tx.answer_log(project.id, starts[0]):
        counts = per_day.setdefault(member_id, [0] * DAYS)
        counts[max(0, bisect_right(starts, at) - 1)] += 1
    rows = [r for r in await tx.project_members(project.id) if r.role == Role.ANNOTATOR]
    gold = await tx.gold_counts(project.id, [r.member.id for r in rows])
    agreement = await tx.agreement_counts(project.id)
    annotators = sorted(
        (
            AnnotatorReport(
                annotator=r.member.pseudonym,
                status=r.status,
                answers=r.answers,
                per_day=tuple(per_day.get(r.member.id, [0] * DAYS)),
                gold_correct=gold[r.member.id].correct,
                gold_total=gold[r.member.id].total,
                agreed=agreement.get(r.member.id, AgreementCount()).agreed,
                compared=agreement.get(r.member.id, AgreementCount()).compared,
            )
            for r in rows
            if r.status == RoleStatus.ACTIVE or r.answers
        ),
        key=lambda a: -a.answers,
    )
    today = {member_id: counts[-1] for member_id, counts in per_day.items()}
    behind = await behind_quota(tx, project, today)
    pace = await tx.batch_pace(project.id, now - PACE_WINDOW)
    spec = project.spec
    alphas, overall, note = await _agreement(tx, project)
    return ReportSummary(
        project=project.name,
        title=project.title,
        timezone=zone,
        now=now,
        days=tuple(datetime.fromtimestamp(s, ZoneInfo(zone)).date().isoformat() for s in starts),
        batches=tuple(
            _batch(row, pace.get(row.batch.id), now, alphas.get(row.batch.id))
            for row in await tx.batch_progress(project.id)
        ),
        annotators=tuple(annotators),
        daily_quota=spec.quota.daily,
        behind=tuple((m.pseudonym, done) for m, done in behind),
        min_gold_accuracy=spec.quota.min_gold_accuracy or spec.quality.min_gold_accuracy,
        waiting=tuple(
            r.member.pseudonym
            for r in sorted(
                (r for r in rows if r.status == RoleStatus.ACTIVE and r.waiting_since is not None),
                key=lambda r: r.waiting_since or 0.0,
            )
        ),
        alpha=overall,
        alpha_note=note,
    )


AGREEMENT_TYPES = ("categorical",)
"""Aggregations whose answers are one label each, which nominal alpha is right for."""


async def _agreement(tx: Tx, project: Project) -> tuple[dict[int, float], float | None, str]:
    """Krippendorff's alpha (nominal) per batch id and over the project, from the answers the
    aggregation counts on non-gold items; a batch (or the project) with no item answered twice
    has none. For task types whose answers are not one label, none, and the reason."""
    kind = task_type(project.spec.task)
    if kind.aggregation not in AGREEMENT_TYPES:
        return {}, None, f"not measured for {project.spec.task} answers"
    rows = await tx.counted_answers(project.id)
    by_batch: dict[int, list[tuple[int, int, str]]] = {}
    for batch_id, item_id, member_id, value in rows:
        by_batch.setdefault(batch_id, []).append((member_id, item_id, value))

    def alpha(triples: list[tuple[int, int, str]]) -> float | None:
        value = krippendorff_alpha(encode(triples)[0]) if triples else float("nan")
        return None if math.isnan(value) else value

    alphas = {b: a for b, triples in by_batch.items() if (a := alpha(triples)) is not None}
    return alphas, alpha([(m, i, v) for _, i, m, v in rows]), ""


def _batch(
    row: BatchProgress, pace: BatchPace | None, now: float, alpha: float | None = None
) -> BatchReport:
    pace = pace or BatchPace()
    rate = projected = None
    if pace.recent_answers and pace.first_recent is not None:
        rate = pace.recent_answers / (max(now - pace.first_recent, 3600.0) / 3600.0)
        if pace.needed and row.batch.status == BatchStatus.PUBLISHED:
            projected = now + pace.needed / rate * 3600.0
    return BatchReport(
        name=row.batch.name,
        status=row.batch.status.value,
        items=row.items,
        finished=row.done + row.disputed,
        disputed=row.disputed,
        answers=row.answers,
        created_at=row.batch.created_at,
        deadline=row.batch.deadline,
        needed=pace.needed,
        rate=rate,
        projected=projected,
        gold=row.gold,
        alpha=alpha,
    )


def summary_text(s: ReportSummary) -> str:
    """The summary as a chat message (the core's Markdown subset), short enough for a phone."""
    zone = s.timezone
    lines = [f"*Report: {escape(s.title)}* · {local_time(s.now, zone)} ({zone})", "", "*Batches*"]
    for b in s.batches:
        agreement = "" if b.alpha is None else f"; agreement α {b.alpha:.2f}"
        lines.append(
            f"*{escape(b.name)}* ({b.status}): "
            f"{items_line(b.finished, b.items, b.gold, b.answers)}{agreement}"
        )
        pace = _pace(b, s.now, zone)
        if pace:
            lines.append(pace)
    if not s.batches:
        lines.append("No batches yet.")
    lines += [
        "",
        f"*Today*: {_count(s.today_answers, 'answer')} from {_count(s.active_today, 'annotator')}",
    ]
    if s.daily_quota and s.behind:
        lines.append(
            f"Under the daily quota of {s.daily_quota}: "
            + _names([f"`{a}` {done}" for a, done in s.behind])
        )
    elif s.daily_quota:
        lines.append(f"Everyone reached the daily quota of {s.daily_quota}.")
    if s.waiting:
        lines.append(
            f"Waiting for work: {_count(len(s.waiting), 'annotator')} ("
            + _names([f"`{a}`" for a in s.waiting])
            + ")"
        )
    lines += [
        "",
        "*Agreement*: "
        + (
            s.alpha_note
            or ("none yet (no item has two answers)" if s.alpha is None else f"α {s.alpha:.2f}")
        )
        + " (Krippendorff's alpha over the items answered at least twice, gold questions left "
        "out; 1 is full agreement, 0 no better than chance)",
        "",
        "*Quality* (gold accuracy; agreement with the final results)",
    ]
    working = [a for a in s.annotators if a.answers]
    for a in working[:SHOWN]:
        gold = (
            f"gold {a.gold_correct}/{a.gold_total} ({a.gold_accuracy:.0%})"
            if a.gold_accuracy is not None
            else "no gold yet"
        )
        agree = (
            f"agrees {a.agreed}/{a.compared} ({a.agreement:.0%})"
            if a.agreement is not None
            else "nothing finished yet"
        )
        flag = " (suspended)" if a.status == RoleStatus.SUSPENDED else ""
        lines.append(f"`{a.annotator}`{flag}: {gold}; {agree}")
    if len(working) > SHOWN:
        lines.append(f"and {len(working) - SHOWN} more (see the chart)")
    if not working:
        lines.append("No answers yet.")
    return "\n".join(lines)


def _pace(b: BatchReport, now: float, zone: str) -> str:
    due = (
        f"due {local_time(b.deadline, zone)} ({time_left(b.deadline, now)})"
        if b.deadline is not None
        else ""
    )
    if b.items and b.finished >= b.items:
        return "all finished" + (f", {due}" if due else "")
    if b.status != BatchStatus.PUBLISHED.value:
        return due
    if b.projected is None or b.rate is None:
        quiet = "no answers in the last 24 hours" if b.needed else "waiting for the last results"
        return f"{due}; {quiet}" if due else quiet
    finish = f"at {b.rate:.1f} answers an hour, done by {local_time(b.projected, zone)}"
    if b.deadline is None:
        return finish
    verdict = "on time ✓" if not b.late else f"{_span(b.projected - b.deadline)} late ⚠"
    return f"{due}; {finish}, {verdict}"


def _span(seconds: float) -> str:
    return time_left(seconds, 0.0).removeprefix("in ")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _names(names: list[str]) -> str:
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def summary_json(s: ReportSummary) -> dict[str, Any]:
    """The same figures as JSON-ready data; times in ISO 8601 UTC, shares as fractions."""

    def when(ts: float | None) -> str | None:
        return None if ts is None else iso(ts)

    def share(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {
        "project": s.project,
        "title": s.title,
        "timezone": s.timezone,
        "at": iso(s.now),
        "days": list(s.days),
        "today": {"answers": s.today_answers, "active_annotators": s.active_today},
        "daily_quota": s.daily_quota,
        "behind_quota": [{"annotator": a, "today": done} for a, done in s.behind],
        "waiting_for_work": list(s.waiting),
        "krippendorff_alpha": share(s.alpha),
        "batches": [
            {
                "name": b.name,
                "status": b.status,
                "items": b.items,
                "gold": b.gold,
                "krippendorff_alpha": share(b.alpha),
                "finished": b.finished,
                "disputed": b.disputed,
                "answers": b.answers,
                "share": share(b.share),
                "deadline": when(b.deadline),
                "answers_wanted": b.needed,
                "answers_per_hour": None if b.rate is None else round(b.rate, 2),
                "projected_finish": when(b.projected),
                "late": b.late,
            }
            for b in s.batches
        ],
        "annotators": [
            {
                "annotator": a.annotator,
                "status": a.status,
                "answers": a.answers,
                "today": a.today,
                "per_day": list(a.per_day),
                "gold_correct": a.gold_correct,
                "gold_total": a.gold_total,
                "gold_accuracy": share(a.gold_accuracy),
                "agreed": a.agreed,
                "compared": a.compared,
                "agreement": share(a.agreement),
            }
            for a in s.annotators
        ],
    }


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    """What it shows, for file names: ``answers``, ``batches``, ``quality``."""
    png: bytes
    caption: str


def draw_charts(s: ReportSummary) -> list[Chart]:
    """The three report charts as PNG pictures (CPU work: run it off the event loop)."""
    zone = s.timezone
    labels = [f"{datetime.fromisoformat(d):%a}\n{datetime.fromisoformat(d).day}" for d in s.days]
    busy = sorted((a for a in s.annotators if any(a.per_day)), key=lambda a: -sum(a.per_day))
    series: list[tuple[str, tuple[int, ...]]] = [
        (a.annotator, a.per_day) for a in busy[:CHART_SERIES]
    ]
    rest = busy[CHART_SERIES:]
    if rest:
        series.append(
            (
                f"{len(rest)} others",
                tuple(sum(a.per_day[d] for a in rest) for d in range(len(s.days))),
            )
        )
    answers = charts.daily_bars(
        f"Answers per day: {s.title}",
        f"the last {len(s.days)} days, {zone}; {_count(len(busy), 'annotator')}",
        labels,
        series,
        others=bool(rest),
    )
    tracks = [
        charts.Track(
            name=b.name,
            detail=f"{b.share:.0%} · {b.finished} of {b.items} items · {b.status}",
            start=b.created_at,
            share=b.share,
            deadline=b.deadline,
            projected=b.projected,
            late=b.late,
        )
        for b in s.batches
        if b.status != BatchStatus.CLOSED.value
    ]
    batches = charts.deadline_tracks(
        f"Batches and deadlines: {s.title}",
        "bar: the finished share of the way from the start to the deadline",
        tracks,
        s.now,
        zone,
    )
    rows = [
        charts.QualityRow(a.annotator, a.gold_accuracy, a.gold_total, a.agreement, a.compared)
        for a in s.annotators
        if a.answers
    ]
    quality = charts.quality_bars(
        f"Quality per annotator: {s.title}",
        "gold: share of gold questions right; agreement: share of answers matching the result",
        rows,
        s.min_gold_accuracy,
    )
    return [
        Chart(
            "answers",
            answers,
            f"Answers per day and annotator, the last {len(s.days)} days ({zone}).",
        ),
        Chart(
            "batches",
            batches,
            "Each open batch against its deadline, with the projected finish at the recent pace.",
        ),
        Chart(
            "quality", quality, "Gold accuracy and agreement with the final results, per annotator."
        ),
    ]
