"""Time on the clock: local days and weeks in a project's time zone, active time from answers,
and earnings from the project's pay rule. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.spec import PayRule


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


def parse_deadline(text: str, zone: str) -> float:
    """A deadline typed by a person, in the project's time zone: ``YYYY-MM-DD`` (the end of
    that day) or ``YYYY-MM-DD HH:MM``. ValueError with a message fit to show them otherwise."""
    text = " ".join(text.split()).replace("T", " ")
    for fmt, end_of_day in (("%Y-%m-%d %H:%M", False), ("%Y-%m-%d", True)):
        try:
            when = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if end_of_day:
            when = when.replace(hour=23, minute=59, second=59)
        return when.replace(tzinfo=ZoneInfo(zone)).timestamp()
    raise ValueError(f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DD HH:MM")


def local_time(ts: float, zone: str) -> str:
    """A moment as people read it on a phone, in the project's time zone: ``Tue 1 Dec 18:00``."""
    local = datetime.fromtimestamp(ts, ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def time_left(deadline: float, now: float) -> str:
    """``in 3 days``, ``in 5 hours``, ``2 days overdue``."""
    seconds = deadline - now
    span = abs(seconds)
    if span >= 2 * 86400:
        amount = f"{span / 86400:.0f} days"
    elif span >= 2 * 3600:
        amount = f"{span / 3600:.0f} hours"
    else:
        amount = f"{max(1, round(span / 60))} minutes"
    return f"in {amount}" if seconds >= 0 else f"{amount} overdue"


def local_moment(now: float, zone: str, hhmm: str) -> tuple[float, str]:
    """The epoch time of ``HH:MM`` on the local day `now` falls in, and that day as
    ``YYYY-MM-DD``, in the zone."""
    local = datetime.fromtimestamp(now, ZoneInfo(zone))
    hour, minute = (int(part) for part in hhmm.split(":"))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment.timestamp(), local.date().isoformat()
