"""Time on the clock: local days and weeks in a project's time zone, active time from answers,
and earnings from the project's pay rule. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from storage.models import PayRule


def day_start(now: float, zone: str) -> float:
    """The epoch time of the local midnight that began the day `now` falls in."""
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def week_start(now: float, zone: str) -> float:
    """The epoch time of the local Monday midnight that began `now`'s week."""
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    monday = (local - timedelta(days=local.weekday())).date()
    return datetime(monday.year, monday.month, monday.day, tzinfo=ZoneInfo(zone)).timestamp()


def active_seconds(answers: Sequence[tuple[float, int]], gap_seconds: float) -> float:
    """Active time: each answer's time on task (from the screen shown to the answer), where a
    stretch longer than `gap_seconds` counts as a break and adds only `gap_seconds`."""
    return sum(min(time_ms / 1000.0, gap_seconds) for _, time_ms in answers)


def earnings(pay: PayRule | None, answers: int, seconds: float) -> float | None:
    if pay is None:
        return None
    if pay.per_task is not None:
        return round(pay.per_task * answers, 2)
    return round((pay.per_hour or 0.0) * seconds / 3600.0, 2)
