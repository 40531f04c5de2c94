"""Report rows: what the store's read-only queries return for progress, members and exports.

The entities they hold live in `domain`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from domain.entities import Batch, Item, Member, Result
from domain.enums import Qualification, Role, RoleStatus


class LiveCounts(BaseModel):
    """Whole-database figures for metrics."""

    answers: int
    open_leases: int
    items_waiting: int
    annotators_waiting: int = 0
    """Annotators told there is no task for them and not yet told that work came back."""


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
    status: RoleStatus
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

    status: RoleStatus
    qualification: Qualification
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


class StoredSkills(BaseModel):
    """A project's skill model as stored (see `bot.quality.skills`): its classes and class
    prior, the answers it was estimated from (``answers`` counted, ``last_answer`` the latest
    id), and per member id their expected answer counts ``[true][answered]`` and gold answers
    (only the members asked for, when read)."""

    labels: list[str]
    class_prior: list[float]
    answers: int
    last_answer: int
    refreshed_at: float
    counts: dict[int, list[list[float]]] = {}
    gold_answers: dict[int, int] = {}


@dataclass(slots=True)
class RouteCandidate:
    """An open item someone may take, for routing: its answer count, load and target, and its
    counted answers as (member id, value). (A dataclass, not a model: routing reads a dozen on
    every pick.)"""

    item_id: int
    n_answers: int
    n_load: int
    n_target: int
    answers: list[tuple[int, str]]


@dataclass(slots=True)
class RouteView:
    """What routing reads for one pick: the candidates, the project's stored skill model
    with the rows of the person asking and of everyone who answered a candidate (None when
    the model was never estimated), and the item a wake promised the person, if the promise
    still holds (`Tx.wake_waiting`)."""

    candidates: list[RouteCandidate]
    skills: StoredSkills | None
    promised: int | None = None
