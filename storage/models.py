"""Domain models shared by the core and the storage engines."""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Role(StrEnum):
    ANNOTATOR = "annotator"
    QA = "qa"
    MANAGER = "manager"


class BatchStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    CLOSED = "closed"


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


class Project(BaseModel):
    id: int
    name: str
    title: str
    spec: ProjectSpec


class Guideline(BaseModel):
    project_id: int
    version: int
    body: str
    created_at: float


class Batch(BaseModel):
    id: int
    project_id: int
    name: str
    status: BatchStatus
    created_at: float
    deadline: float | None = None


class NewItem(BaseModel):
    """An item as a batch file gives it."""

    model_config = ConfigDict(frozen=True)

    ext_id: str
    data: dict[str, Any]
    gold: str | None = None
    explanation: str | None = None


class Item(BaseModel):
    id: int
    project_id: int
    batch_id: int
    ext_id: str
    data: dict[str, Any]
    gold: str | None
    explanation: str | None
    status: str
    n_answers: int
    n_target: int


class Member(BaseModel):
    id: int
    pseudonym: str
    name: str
    project_id: int | None
    pending: dict[str, Any] | None = None


class Identity(BaseModel):
    platform: str
    user_id: str
    member_id: int
    name: str = ""


class Invite(BaseModel):
    code: str
    project_id: int
    role: Role
    uses_left: int | None
    expires_at: float | None


class Assignment(BaseModel):
    id: int
    project_id: int
    item_id: int
    member_id: int
    status: str
    is_gold: bool
    shown_at: float
    expires_at: float


class LeaseView(BaseModel):
    assignment: Assignment
    item: Item
    project: Project
    role_status: str | None = None
    """The lease holder's annotator role in the project now ("active", "suspended",
    "removed"; None without one), read with the lease, so every tap checks who taps now."""


class Answer(BaseModel):
    id: int
    assignment_id: int
    item_id: int
    member_id: int
    value: str
    time_ms: int
    at: float
    correct: bool | None
    excluded: str | None = None


class Flag(BaseModel):
    id: int
    project_id: int
    item_id: int | None
    member_id: int | None
    kind: str
    reason: str
    status: str
    created_at: float
    waiting_since: float | None = None
    """Set while the item is sent back to its annotators; such a flag is out of the queue."""


class LiveCounts(BaseModel):
    """Whole-database figures for metrics."""

    answers: int
    open_leases: int
    items_waiting: int
    annotators_waiting: int = 0
    """Annotators told there is no task for them and not yet told that work came back."""


class AuditEntry(BaseModel):
    """One line of the audit log; ``who`` is the member's pseudonym (None: the CLI or the bot)."""

    at: float
    who: str | None
    action: str
    details: dict[str, Any]


class FlagNote(BaseModel):
    """One entry in a flag's thread: QA sending it back, an annotator's relabel or reply."""

    id: int
    flag_id: int
    member_id: int | None
    kind: str
    body: str
    at: float


class Result(BaseModel):
    item_id: int
    label: str
    confidence: float
    method: str


class TokenRef(BaseModel):
    """What an opaque button token was issued for, and to whom."""

    token: str
    member_id: int
    kind: str
    ref: dict[str, Any]
    created_at: float


class OutboxMessage(BaseModel):
    id: int
    member_id: int
    platform: str
    user_id: str
    screen: dict[str, Any]
    created_at: float


class BatchProgress(BaseModel):
    """A batch's non-gold items (`items`, `done`, `disputed` and their `answers`); its gold
    questions are counted apart, in `gold`."""

    batch: Batch
    items: int
    done: int
    disputed: int
    answers: int
    gold: int = 0


class MemberRow(BaseModel):
    member: Member
    role: Role
    status: str
    answers: int
    waiting_since: float | None = None
    """When an annotator was told there is no task for them, while they wait (else None)."""


class MemberStats(BaseModel):
    answers: int = 0
    answers_since: int = 0
    batch_items: int = 0
    batch_answers: int = 0
    skipped: int = 0
    gold_total: int = 0
    gold_correct: int = 0


class ProjectStats(BaseModel):
    items: int = 0
    gold_items: int = 0
    done: int = 0
    disputed: int = 0
    answers: int = 0
    members: int = 0


class ExportAnswer(BaseModel):
    annotator: str
    label: str
    time_ms: int
    at: float
    excluded: str | None = None


class AnnotatorRole(BaseModel):
    """An annotator's standing in a project: active, suspended or removed, and where they are
    with the qualification test (none, pending, passed, failed) since `qual_since`."""

    status: str
    qualification: str
    qual_since: float


class GoldCount(BaseModel):
    correct: int = 0
    total: int = 0


class ExportRow(BaseModel):
    item: Item
    result: Result | None
    answers: list[ExportAnswer]


class AgreementCount(BaseModel):
    """A member's answers to finished non-gold items, and how many match the item's result."""

    agreed: int = 0
    compared: int = 0


class BatchPace(BaseModel):
    """How fast a batch moves: answers its non-gold items got since a moment (the first of them
    at `first_recent`), and the answers its open items still want."""

    recent_answers: int = 0
    first_recent: float | None = None
    needed: int = 0
