"""The `[schedule]` table of a project file, local times of day, and the scheduler setting."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.managing.projectfile import ProjectFileError, parse_project
from bot.timekeeping import local_moment
from domain.spec import SchedulePolicy

HEAD = 'name = "p"\ntitle = "P"\ntask = "binary"\nlabels = ["yes", "no"]\n'


def test_the_defaults_send_everything_at_sensible_hours() -> None:
    spec = parse_project("p.toml", HEAD).spec
    assert spec.schedule == SchedulePolicy(
        digest=True,
        digest_at="18:00",
        reminders=True,
        reminders_at="15:00",
        deadline_warnings=True,
        deadline_warning_hours=24.0,
    )


def test_times_of_day_come_as_text_or_as_toml_times() -> None:
    text = HEAD + '[schedule]\ndigest_at = "9:05"\nreminders_at = 16:30:00\ndigest = false\n'
    schedule = parse_project("p.toml", text).spec.schedule
    assert (schedule.digest_at, schedule.reminders_at, schedule.digest) == ("09:05", "16:30", False)


@pytest.mark.parametrize("bad", ['"25:00"', '"18h"', '"18:7"', '""'])
def test_a_bad_time_of_day_names_the_field(bad: str) -> None:
    with pytest.raises(
        ProjectFileError,
        match=r"p.toml: line \d+: schedule.digest_at \(when the daily digest "
        r"goes out\): .*HH:MM",
    ):
        parse_project("p.toml", HEAD + f"[schedule]\ndigest_at = {bad}\n")


def test_an_unknown_schedule_key_is_refused() -> None:
    with pytest.raises(ProjectFileError, match=r"schedule\.digest_time"):
        parse_project("p.toml", HEAD + '[schedule]\ndigest_time = "18:00"\n')


def test_local_moment_is_today_in_the_zone() -> None:
    zone = "America/New_York"
    now = datetime(2027, 1, 16, 3, 0, tzinfo=ZoneInfo("UTC")).timestamp()  # 22:00 on the 15th
    due, date = local_moment(now, zone, "18:00")
    assert date == "2027-01-15"
    assert due == datetime(2027, 1, 15, 18, 0, tzinfo=ZoneInfo(zone)).timestamp()


def test_the_scheduler_setting_turns_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAPMARK_SCHEDULER", raising=False)
    assert Settings().scheduler is True
    monkeypatch.setenv("TAPMARK_SCHEDULER", "off")
    assert Settings().scheduler is False
