"""Local days and weeks, active time with idle gaps, and pay."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.timekeeping import active_seconds, day_start, earnings, week_start
from domain.spec import PayRule, ProjectSpec

BERLIN = "Europe/Berlin"


def at(text: str, zone: str = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_days_and_weeks_begin_at_local_midnight() -> None:
    now = at("2026-11-27 00:30")  # a Friday, half an hour after Berlin's midnight
    assert day_start(now, BERLIN) == at("2026-11-27 00:00")
    assert day_start(now, "UTC") == at("2026-11-26 00:00", "UTC")
    assert week_start(now, BERLIN) == at("2026-11-23 00:00")


def test_a_day_across_a_clock_change_still_starts_at_midnight() -> None:
    assert day_start(at("2026-10-25 18:00"), BERLIN) == at("2026-10-25 00:00")


def test_idle_gaps_count_only_up_to_the_threshold() -> None:
    answers = [(0.0, 4_000), (10.0, 6_000), (3600.0, 3_000_000)]
    assert active_seconds(answers, gap_seconds=300) == pytest.approx(4 + 6 + 300)


def test_pay_per_task_or_per_hour() -> None:
    assert earnings(PayRule(per_task=0.05), answers=120, seconds=0) == 6.0
    assert earnings(PayRule(per_hour=12.0), answers=0, seconds=5400) == 18.0
    assert earnings(None, 10, 10) is None
    with pytest.raises(ValidationError, match="exactly one of per_task and per_hour"):
        PayRule(per_task=1.0, per_hour=2.0)


def test_an_unknown_time_zone_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        ProjectSpec.model_validate(
            {
                "name": "p",
                "title": "P",
                "task": "binary",
                "labels": ["y", "n"],
                "timezone": "Mars/Olympus",
            }
        )


def test_time_on_task_is_in_minutes_under_an_hour() -> None:
    from bot.reports.progress import hours

    assert hours(0) == "0 min"
    assert hours(25 * 60) == "25 min"
    assert hours(59 * 60 + 10) == "59 min"
    assert hours(3600) == "1.0 h"
    assert hours(5400) == "1.5 h"
