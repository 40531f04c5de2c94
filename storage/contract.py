"""The Store contract: every engine (SQLite, PostgreSQL) implements these operations.

All work happens inside a transaction: ``async with store.transaction() as tx: ...``. Leaving the
block normally commits; an exception rolls everything back. The core runs one transaction per
event, so what a person is told has always been committed first.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from domain.entities import (
    Answer,
    Assignment,
    Batch,
    Flag,
    FlagNote,
    Guideline,
    Identity,
    Invite,
    Item,
    LeaseView,
    Member,
    NewItem,
    Project,
    Result,
    TokenRef,
)
from domain.enums import (
    BatchStatus,
    FlagKind,
    ItemStatus,
    LeaseStatus,
    Qualification,
    Role,
    RoleStatus,
)
from domain.spec import ProjectSpec
from storage.contract_services import ServiceTx
from storage.rows import (
    AnnotatorRole,
    BatchProgress,
    GoldCount,
    MemberRow,
    MemberStats,
    RouteView,
    StoredSkills,
)

PROMISE_S = 300.0
"""How long a wake holds the answer slot it told someone about (see `Tx.wake_waiting`)."""


class StoreError(Exception):
    """A request the data cannot satisfy, with a message fit to show a person."""


class Retryable(StoreError):
    """The engine rolled the transaction back for a reason that running it again may cure (a
    deadlock between concurrent transactions, a serialization failure). Nothing was written."""


class Busy(Retryable):
    """Work is there for the person, but other transactions hold every item of it for a moment
    (PostgreSQL row locks): raised by the core, not the engine, so the event runs again once
    they have committed instead of telling the person there is no task."""


class NotFound(StoreError):
    pass


class Conflict(StoreError):
    pass


class Tx(ServiceTx):
    """The operations available inside one transaction: the labeling ones here, the figures,
    outbox, schedule, health, media and audit ones in `storage.contract_services`."""

    freed: set[int]
    """The projects where this transaction made work available again: a lease ended unanswered
    (released, reclaimed, given back), an item reopened for answers, a batch went live. The
    core tells the annotators waiting there before it commits (`bot.labeling.waiting`)."""

    # projects and guidelines
    @abstractmethod
    async def create_project(self, spec: ProjectSpec, now: float) -> Project: ...
    @abstractmethod
    async def update_project(self, spec: ProjectSpec, now: float) -> Project: ...
    @abstractmethod
    async def project(self, project_id: int) -> Project: ...
    @abstractmethod
    async def project_by_name(self, name: str) -> Project | None: ...
    @abstractmethod
    async def projects(self) -> list[Project]: ...
    @abstractmethod
    async def add_guideline(self, project_id: int, body: str, now: float) -> Guideline:
        """The project's next guideline version; Retryable when a concurrent transaction
        added that version first (the event runs again and takes the one after)."""

    @abstractmethod
    async def guideline(self, project_id: int) -> Guideline | None: ...

    # batches and items
    @abstractmethod
    async def create_batch(
        self,
        project_id: int,
        name: str,
        items: Sequence[NewItem],
        status: BatchStatus,
        n_target: int,
        now: float,
    ) -> Batch:
        """Add a batch with all its items, or raise Conflict (duplicate name or item id)."""

    @abstractmethod
    async def add_items(self, batch_id: int, items: Sequence[NewItem], n_target: int) -> None:
        """Add more items to a batch (a large one goes in chunks, all in one transaction), or
        raise Conflict for ids that repeat or are in the project already; earlier chunks
        stay, so the caller lets the Conflict roll the transaction back."""

    @abstractmethod
    async def taken_ids(self, project_id: int, ids: Sequence[str]) -> list[str]:
        """Which of `ids` the project's items have already (to refuse a batch before any of
        it is written)."""

    @abstractmethod
    async def set_batch_status(self, batch_id: int, status: BatchStatus) -> None:
        """Change a batch's status; pausing or closing it also ends its unanswered leases."""

    @abstractmethod
    async def set_batch_deadline(self, batch_id: int, deadline: float | None) -> None:
        """Set or clear (None) a batch's deadline; NotFound for an unknown batch."""

    @abstractmethod
    async def batches(self, project_id: int) -> list[Batch]: ...
    @abstractmethod
    async def batch(self, batch_id: int) -> Batch | None: ...
    @abstractmethod
    async def batch_progress(self, project_id: int) -> list[BatchProgress]:
        """Each batch with its non-gold item counts, oldest first."""

    @abstractmethod
    async def delete_draft_batch(self, batch_id: int) -> None:
        """Drop a batch that was never published, with its items; Conflict otherwise."""

    @abstractmethod
    async def project_members(self, project_id: int) -> list[MemberRow]:
        """Everyone with a role in the project, in the order they joined."""

    @abstractmethod
    async def item(self, item_id: int) -> Item: ...
    @abstractmethod
    async def item_answers(self, item_id: int) -> list[Answer]: ...
    @abstractmethod
    async def set_item_outcome(
        self, item_id: int, status: ItemStatus, result: Result | None, now: float
    ) -> None:
        """Record an item's status (open, done, disputed, held) and its aggregated result."""

    @abstractmethod
    async def set_item_target(self, item_id: int, n_target: int) -> None: ...

    # members, identities, roles, invites
    @abstractmethod
    async def member_by_identity(self, platform: str, user_id: str) -> Member | None: ...
    @abstractmethod
    async def member(self, member_id: int) -> Member: ...
    @abstractmethod
    async def create_member(self, identity: Identity, now: float) -> Member:
        """Create a member with a fresh pseudonym for this identity (member_id is ignored)."""

    @abstractmethod
    async def identities(self, member_id: int) -> list[Identity]: ...
    @abstractmethod
    async def create_link_code(self, member_id: int, expires_at: float, now: float) -> str: ...
    @abstractmethod
    async def use_link_code(self, code: str, now: float) -> int:
        """Spend a link code; the member it belongs to, or NotFound (unknown or expired)."""

    @abstractmethod
    async def attach_identity(self, identity: Identity) -> None:
        """Point a platform account at a member, moving it from any member it had."""

    @abstractmethod
    async def has_work(self, member_id: int) -> bool:
        """Whether the member holds any role or has answered anything."""

    @abstractmethod
    async def delete_member(self, member_id: int) -> None: ...
    @abstractmethod
    async def forget_member(self, member_id: int) -> None:
        """Erase a person's platform identities and name; their answers stay, pseudonymous."""

    @abstractmethod
    async def set_current_project(self, member_id: int, project_id: int) -> None: ...
    @abstractmethod
    async def set_pending(self, member_id: int, pending: dict[str, Any] | None) -> None: ...
    @abstractmethod
    async def grant_role(self, project_id: int, member_id: int, role: Role, now: float) -> None: ...
    @abstractmethod
    async def roles(self, project_id: int, member_id: int) -> dict[Role, str]:
        """The member's roles in a project, each with its status (active, suspended, removed)."""

    @abstractmethod
    async def annotator_role(self, project_id: int, member_id: int) -> AnnotatorRole | None: ...
    @abstractmethod
    async def set_role_status(
        self, project_id: int, member_id: int, role: Role, status: RoleStatus
    ) -> None: ...
    @abstractmethod
    async def acknowledged_guideline(self, project_id: int, member_id: int) -> int: ...
    @abstractmethod
    async def acknowledge_guideline(self, project_id: int, member_id: int, version: int) -> None:
        """Record that the member read the guideline up to `version`."""

    @abstractmethod
    async def guideline_version(self, project_id: int, version: int) -> Guideline | None: ...
    @abstractmethod
    async def set_qualification(
        self, project_id: int, member_id: int, state: Qualification, since: float
    ) -> None: ...
    @abstractmethod
    async def members_with_role(self, project_id: int, role: Role) -> list[int]:
        """Ids of the project's active members in a role."""

    @abstractmethod
    async def member_by_pseudonym(self, pseudonym: str) -> Member | None: ...
    @abstractmethod
    async def create_invite(
        self, project_id: int, role: Role, uses: int | None, expires_at: float | None, now: float
    ) -> Invite: ...
    @abstractmethod
    async def use_invite(self, code: str, now: float) -> Invite:
        """Spend one use of an invite, or raise NotFound for an unknown, expired or spent code."""

    # work
    @abstractmethod
    async def reclaim_expired(self, project_id: int, now: float) -> int:
        """Drop unanswered leases that expired; their items can be handed out again."""

    @abstractmethod
    async def set_waiting(self, project_id: int, member_id: int, since: float) -> bool:
        """Note that an annotator found no task for them, so `wake_waiting` tells them when
        there is one; True when an open item for them is there after all (a transaction that
        freed it committed after this one's pick: worth another pick). Ordered against
        `wake_waiting` per project, so a wake never slips between a pick and a wait."""

    @abstractmethod
    async def wake_waiting(self, project_id: int, now: float) -> list[int]:
        """The waiting annotators of the project (active, allowed real work, holding no lease)
        to tell that there is work: each is promised one free answer slot of an item they may
        take, longest waiting first, and a slot promised within the last few minutes is not
        promised to anyone else (one skipped item wakes one person, not a hundred, and the
        one it wakes can take that item). They stop waiting, so each is told once; the others
        go on waiting. Ordered against `set_waiting` per project."""

    @abstractmethod
    async def stranded_items(self, project_id: int, item_id: int | None = None) -> list[int]:
        """Open items of published batches (only `item_id`, when given) that want an answer
        nobody can give (no lease on them is open, and every active annotator not failed in the
        qualification has answered, skipped or reported them) although enough people joined to
        reach their target without the active ones who skipped or reported them. In id order."""

    @abstractmethod
    async def reopen_stranded(self, project_id: int, member_id: int, resolution: str) -> list[int]:
        """Open again the items disputed short of their target (stranded ones, see
        `bot.judging.outcome`) that `member_id` has not been given, deleting their provisional
        results and resolving their open dispute flags with `resolution`; their ids."""

    @abstractmethod
    async def stop_waiting(
        self, project_id: int, member_id: int, taking: int | None = None
    ) -> None:
        """The member no longer waits for work in the project (they were told otherwise, or
        hold work: `taking`, the item they now hold). A wake's promise to them ends too: a slot
        it promised them and they did not take is open to the others again, so the project is
        noted in `freed` and whoever waits hears of it (a woken person who took another item,
        a gold question or nothing leaves no slot that nobody was told about)."""

    @abstractmethod
    async def step_away(self, project_id: int, member_id: int) -> bool:
        """The member stops for now: their open lease in the project ends as if it expired (the
        item goes to others at once, and may come back to them later) and they stop waiting
        for work; whether a lease was ended."""

    @abstractmethod
    async def open_assignment(self, project_id: int, member_id: int) -> Assignment | None:
        """The member's current unanswered lease in this project, if any."""

    @abstractmethod
    async def assign(
        self,
        project_id: int,
        member_id: int,
        gold: bool,
        now: float,
        lease_s: float,
        *,
        wait: bool = True,
    ) -> Assignment | None:
        """Lease the next item to an active annotator of the project (one whose qualification
        is pending gets only gold; one who failed it, nothing): a gold item they have not
        seen if `gold`, else the open item with most answers so far that still wants answers and
        that they have not had. None when there is none, or the member is not an active
        annotator, or has not acknowledged the latest guideline. A member holds at most one
        unanswered lease per project: Conflict if they already do. Where rows are locked
        (PostgreSQL), items other transactions hold are passed over, and then, with `wait`,
        waited for briefly; without it, never (a transaction holding the waiting list's lock
        must not wait for an item: see `Busy`)."""

    @abstractmethod
    async def assignment(self, assignment_id: int) -> Assignment | None: ...
    @abstractmethod
    async def lease_view(self, assignment_id: int) -> LeaseView | None:
        """An assignment with its item and project, in one read (the hot path of a tap)."""

    @abstractmethod
    async def screen_item(
        self, item_id: int, project_id: int, member_id: int, since: float, batch: bool = False
    ) -> tuple[Item, MemberStats]:
        """An item to show, with the member's figures for the progress line (answers in all,
        and since `since`, rounded down to the hour; with `batch`, also the real items of the
        item's batch and the member's answers to them)."""

    @abstractmethod
    async def answer_of(self, assignment_id: int) -> Answer | None: ...
    @abstractmethod
    async def record_answer(
        self, assignment: Assignment, value: str, now: float, correct: bool | None
    ) -> Answer:
        """Store the answer to a leased assignment (the assignment becomes answered)."""

    @abstractmethod
    async def last_answer(self, project_id: int, member_id: int) -> Answer | None:
        """The member's latest answer in the project that may still be withdrawn: None when
        they have none, or none since the last answer they withdrew."""

    @abstractmethod
    async def withdraw_answer(self, answer_id: int, now: float, lease_s: float) -> Assignment:
        """Take an answer back, as if it had not been given: the answer goes, with its count on
        the item and in the member's hours (so quotas, progress and gold counts go back), the
        item's target returns to what it was before the answer, the member's other open lease
        in the project (the card shown after the answer) is dropped, and the answered
        assignment is leased to them again from `now` for `lease_s`. Answers up to this one
        can no longer be withdrawn (see `last_answer`). Raises NotFound when the answer is
        gone, Conflict when its item is no longer open (done or disputed): nothing changes."""

    @abstractmethod
    async def release(self, assignment: Assignment, status: LeaseStatus) -> None:
        """End a lease without an answer (skipped or reported); the item is not offered again."""

    @abstractmethod
    async def add_flag(
        self,
        project_id: int,
        item_id: int | None,
        member_id: int | None,
        kind: FlagKind,
        reason: str,
        now: float,
    ) -> int: ...
    @abstractmethod
    async def open_flags(self, project_id: int) -> int: ...
    @abstractmethod
    async def next_flag(self, project_id: int, after_id: int = 0) -> Flag | None:
        """The oldest open flag of the project with an id above `after_id`."""

    @abstractmethod
    async def flag(self, flag_id: int) -> Flag | None: ...
    @abstractmethod
    async def resolve_flag(self, flag_id: int, resolution: str) -> None: ...
    @abstractmethod
    async def item_reporters(self, item_id: int) -> int:
        """How many distinct people have an open report on the item."""

    @abstractmethod
    async def has_open_flag(self, project_id: int, member_id: int, kind: FlagKind) -> bool: ...

    # skill routing (see `bot.labeling.routed`)
    @abstractmethod
    async def route_candidates(
        self, project_id: int, member_id: int, nearest: int, freshest: int, now: float
    ) -> RouteView:
        """Open items the member may take (as `assign` would lease them): the `nearest` with
        most answers and `freshest` of those with none, each once, with their counted answers;
        the stored skill model with the rows of the member and of those answerers; and the
        item a wake promised the member, while that promise holds at `now`."""

    @abstractmethod
    async def lease_item(
        self, project_id: int, member_id: int, item_id: int, now: float, lease_s: float
    ) -> Assignment | None:
        """Lease this one item to the member if they may still take it (the conditions of
        `assign`), else None; passes over an item another transaction holds."""

    @abstractmethod
    async def skill_answers(self, project_id: int) -> list[tuple[int, int, str, str | None]]:
        """(item id, member id, value, the item's gold label or None) of every answer the
        aggregation counts, gold items' too, oldest first."""

    @abstractmethod
    async def skill_stamp(self, project_id: int) -> tuple[int, int]:
        """The project's counted answers and its latest answer id: what a stored skill model
        compares with to know it is out of date."""

    @abstractmethod
    async def skill_model(self, project_id: int, member_ids: Sequence[int]) -> StoredSkills | None:
        """The project's stored skill model with the rows of these members (None if never
        estimated)."""

    @abstractmethod
    async def save_skill_model(self, project_id: int, model: StoredSkills) -> None:
        """Replace the project's skill model, every member's row with it."""

    # quality
    @abstractmethod
    async def gold_counts(
        self, project_id: int, member_ids: Sequence[int], since: float = 0.0
    ) -> dict[int, GoldCount]:
        """Each member's gold answers in the project (answered at or after `since`)."""

    @abstractmethod
    async def answer_times(
        self, project_id: int, member_id: int, since: float
    ) -> list[tuple[float, int]]:
        """(at, time_ms) of each of the member's answers since `since`, oldest first."""

    @abstractmethod
    async def recent_answers(self, project_id: int, member_id: int, limit: int) -> list[Answer]:
        """The member's latest answers to non-gold items, newest first."""

    @abstractmethod
    async def exclude_answers(self, project_id: int, member_id: int, reason: str) -> list[int]:
        """Leave a member's answers out of the aggregation (they stay, marked with the reason);
        their items count them no more. Returns the non-gold items that lost an answer."""

    # review: results, items sent back with a thread of replies, relabels, promotion to gold
    @abstractmethod
    async def result(self, item_id: int) -> Result | None: ...
    @abstractmethod
    async def set_flag_waiting(self, flag_id: int, since: float | None) -> None:
        """Mark a flag as waiting for annotators' replies (out of the queue), or None to put it
        back in the queue."""

    @abstractmethod
    async def add_flag_note(
        self, flag_id: int, member_id: int | None, kind: str, body: str, now: float
    ) -> int: ...
    @abstractmethod
    async def flag_notes(self, flag_id: int) -> list[FlagNote]:
        """The flag's thread, oldest first."""

    @abstractmethod
    async def relabel_answer(self, answer_id: int, value: str) -> None: ...
    @abstractmethod
    async def make_gold(self, item_id: int, label: str, explanation: str) -> None:
        """Turn an item into a gold question with this answer."""

    # tokens
    @abstractmethod
    async def issue_token(
        self, member_id: int, kind: str, ref: dict[str, Any], now: float
    ) -> str: ...
    @abstractmethod
    async def token(self, token: str) -> TokenRef | None: ...
    @abstractmethod
    async def tap_lookup(
        self, token: str, platform: str, user_id: str
    ) -> tuple[TokenRef | None, Member | None]:
        """A button token and the member who pressed it, in one read."""


class Store(ABC):
    """A database. Open it once, run transactions, close it."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema up to date (numbered migrations)."""

    @abstractmethod
    async def close(self) -> None: ...
    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...
    async def try_lead(self) -> bool:
        """Whether this process leads the scheduled jobs now, taking the lead when nobody
        holds it. An engine that serves one machine (SQLite) lets every process lead: the
        jobs' run keys keep them from sending anything twice. PostgreSQL holds an advisory
        lock on a connection of its own, freed when the process dies."""
        return True

    @abstractmethod
    async def schema_version(self) -> int: ...

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
