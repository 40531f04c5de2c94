"""The things tapmark keeps: projects, batches, items, members, leases, answers, flags."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from domain.enums import (
    BatchStatus,
    FlagKind,
    FlagStatus,
    ItemStatus,
    LeaseStatus,
    Role,
    RoleStatus,
)
from domain.spec import ProjectSpec


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
    status: ItemStatus
    n_answers: int
    n_target: int
    n_load: int = 0
    """Slots taken: open leases and answers still counted."""


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
    status: LeaseStatus
    is_gold: bool
    shown_at: float
    expires_at: float


class LeaseView(BaseModel):
    assignment: Assignment
    item: Item
    project: Project
    role_status: RoleStatus | None = None
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
    kind: FlagKind
    reason: str
    status: FlagStatus
    created_at: float
    waiting_since: float | None = None
    """Set while the item is sent back to its annotators; such a flag is out of the queue."""


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
