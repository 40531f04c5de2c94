"""The report's words for each state a batch can be in, and its JSON."""

from __future__ import annotations

import json

from bot.chat.markup import plain
from bot.reports.report import (
    AnnotatorReport,
    BatchReport,
    ReportSummary,
    summary_json,
    summary_text,
)

NOW = 1_800_000_000.0  # Friday 15 January 2027, 08:00 UTC
HOUR = 3600.0


def batch(
    name: str,
    status: str = "published",
    finished: int = 5,
    deadline: float | None = None,
    rate: float | None = 2.0,
    projected: float | None = None,
) -> BatchReport:
    return BatchReport(
        name=name,
        status=status,
        items=10,
        finished=finished,
        disputed=0,
        answers=3 * finished,
        created_at=NOW - 48 * HOUR,
        deadline=deadline,
        needed=15,
        rate=rate,
        projected=projected,
    )


def report(*batches: BatchReport, behind: tuple[tuple[str, int], ...] = ()) -> ReportSummary:
    busy = AnnotatorReport(
        annotator="a-1",
        status="active",
        answers=30,
        per_day=(0,) * 13 + (12,),
        gold_correct=3,
        gold_total=4,
        agreed=0,
        compared=0,
    )
    idle = AnnotatorReport(
        annotator="a-2",
        status="active",
        answers=0,
        per_day=(0,) * 14,
        gold_correct=0,
        gold_total=0,
        agreed=0,
        compared=0,
    )
    return ReportSummary(
        project="p",
        title="P_1",
        timezone="UTC",
        now=NOW,
        days=tuple(f"2027-01-{d:02d}" for d in range(2, 16)),
        batches=batches,
        annotators=(busy, idle),
        daily_quota=10,
        behind=behind,
        min_gold_accuracy=0.7,
    )


def test_each_batch_state_reads_plainly() -> None:
    text = plain(
        summary_text(
            report(
                batch("late", deadline=NOW + 24 * HOUR, projected=NOW + 60 * HOUR),
                batch("fine", deadline=NOW + 24 * HOUR, projected=NOW + 10 * HOUR),
                batch("open-ended", projected=NOW + 10 * HOUR),
                batch("quiet", deadline=NOW - 5 * HOUR, rate=None),
                batch("paused", status="paused", deadline=NOW + 72 * HOUR),
                batch("done", finished=10, rate=None),
            )
        )
    )
    lines = text.splitlines()

    def after(name: str) -> str:
        return next(lines[i + 1] for i, line in enumerate(lines) if line.startswith(name + " "))

    assert "Report: P_1 · Fri 15 Jan 08:00 (UTC)" in text
    assert after("late") == (
        "due Sat 16 Jan 08:00 (in 24 hours); at 2.0 answers an hour, "
        "done by Sun 17 Jan 20:00, 36 hours late ⚠"
    )
    assert after("fine").endswith("done by Fri 15 Jan 18:00, on time ✓")
    assert after("open-ended") == "at 2.0 answers an hour, done by Fri 15 Jan 18:00"
    assert after("quiet") == (
        "due Fri 15 Jan 03:00 (5 hours overdue); no answers in the last 24 hours"
    )
    assert after("paused") == "due Mon 18 Jan 08:00 (in 3 days)"
    assert after("done") == "all finished"
    assert "Everyone reached the daily quota of 10." in text
    assert "a-1: gold 3/4 (75%); nothing finished yet" in text
    assert "a-2" not in text  # no answers: nothing to say about quality


def test_json_has_the_same_figures() -> None:
    data = summary_json(
        report(
            batch("late", deadline=NOW + 24 * HOUR, projected=NOW + 60 * HOUR), behind=(("a-2", 0),)
        )
    )
    json.dumps(data)
    assert data["today"] == {"answers": 12, "active_annotators": 1}
    assert data["behind_quota"] == [{"annotator": "a-2", "today": 0}]
    [late] = data["batches"]
    assert late["late"] is True and late["share"] == 0.5
    assert late["deadline"] == "2027-01-16T08:00:00Z"
    assert late["projected_finish"] == "2027-01-17T20:00:00Z"
    assert data["annotators"][0]["gold_accuracy"] == 0.75
    assert data["annotators"][0]["agreement"] is None
