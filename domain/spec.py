"""A project as its file describes it: labels, quality, quotas, schedule and pay."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(min_length=1, max_length=64)
    title: str = ""
    description: str = ""
    examples: tuple[str, ...] = Field(default=(), max_length=20)

    @property
    def shown(self) -> str:
        return self.title or self.value


class QualityPolicy(BaseModel):
    """How many answers an item gets and how gold questions are mixed in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_overlap: int = Field(3, ge=1, le=100)
    max_overlap: int = Field(5, ge=1, le=100)
    confidence: float = Field(0.9, gt=0.0, le=1.0)
    gold_rate: float = Field(0.1, ge=0.0, le=1.0)
    qualification: int = Field(0, ge=0, le=1000)
    min_gold_accuracy: float = Field(0.7, ge=0.0, le=1.0)
    gold_min: int = Field(5, ge=1, le=1000)
    gold_feedback: Literal["never", "mistake", "always"] = "mistake"
    min_seconds: float = Field(2.0, ge=0.0, le=3600.0)
    undo_seconds: float = Field(30.0, ge=0.0, le=3600.0)
    """How long after an answer the annotator may take it back (0: no undo)."""
    routing: Literal["skill", "arrival"] = "arrival"
    """Who gets which item: ``"skill"`` by each annotator's estimated skill (categorical task
    types; see `bot.labeling.routed`), ``"arrival"`` the item nearest done to whoever asks."""
    exploration: float = Field(0.05, ge=0.0, le=1.0)
    """With skill routing, the chance that a pick ignores the skill estimates (arrival order),
    so that newcomers are not judged by the prior alone."""

    @model_validator(mode="after")
    def _overlap_order(self) -> QualityPolicy:
        if self.max_overlap < self.min_overlap:
            raise ValueError("max_overlap must be at least min_overlap")
        return self


class QuotaPolicy(BaseModel):
    """Targets per annotator: answers a day and a week, and a gold accuracy to show against."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    daily: int | None = Field(None, ge=1, le=100_000)
    weekly: int | None = Field(None, ge=1, le=1_000_000)
    min_gold_accuracy: float | None = Field(None, ge=0.0, le=1.0)
    show_gold: bool = False


class SchedulePolicy(BaseModel):
    """What the scheduler sends, at local times of the project's time zone (``HH:MM``): the
    managers' daily digest, reminders to annotators behind their daily quota, and warnings to
    managers when a batch's deadline is near (`deadline_warning_hours` before) and when it passed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    digest: bool = True
    digest_at: str = "18:00"
    reminders: bool = True
    reminders_at: str = "15:00"
    deadline_warnings: bool = True
    deadline_warning_hours: float = Field(24.0, gt=0.0, le=24 * 365)

    @field_validator("digest_at", "reminders_at", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        """``"18:00"``, or a TOML local time (``18:00:00``), as ``HH:MM``."""
        if isinstance(value, time):
            return f"{value.hour:02d}:{value.minute:02d}"
        match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])", str(value).strip())
        if match is None:
            raise ValueError(f"{value!r} is not a time of day: use HH:MM, such as 18:00")
        return f"{int(match.group(1)):02d}:{match.group(2)}"


class PayRule(BaseModel):
    """How annotators are paid: per answer or per active hour."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_task: float | None = Field(None, ge=0.0)
    per_hour: float | None = Field(None, ge=0.0)
    currency: str = Field("USD", min_length=1, max_length=8)

    @model_validator(mode="after")
    def _one_rule(self) -> PayRule:
        if (self.per_task is None) == (self.per_hour is None):
            raise ValueError("give exactly one of per_task and per_hour")
        return self


class ProjectSpec(BaseModel):
    """A project as its TOML file describes it (the guideline body travels separately)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str = Field(min_length=1, max_length=200)
    task: str
    labels: tuple[LabelSpec, ...] = ()
    """The choices of choice-like tasks; rating, pairwise and free_text take none (the task
    type checks)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Settings of the task type (``[options]`` in the project file: a rating's `scale`, a grid's
    `rows` and `cols`, ...); the task type checks them."""
    instructions: str = ""
    guideline: str | None = None
    lease_minutes: int = Field(30, ge=1, le=24 * 60)
    timezone: str = "UTC"
    session_gap_minutes: float = Field(5.0, gt=0.0, le=24 * 60)
    quality: QualityPolicy = QualityPolicy()
    quota: QuotaPolicy = QuotaPolicy()
    schedule: SchedulePolicy = SchedulePolicy()
    pay: PayRule | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use a name like Europe/Berlin)"
            ) from None
        return value

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_from_strings(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [{"value": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _labels_unique(self) -> ProjectSpec:
        values = [label.value for label in self.labels]
        if len(set(values)) != len(values):
            raise ValueError("labels must be distinct")
        return self

    def label_values(self) -> list[str]:
        return [label.value for label in self.labels]
