"""The Tx operations around labeling rather than in it: figures and exports, the outbox, the
scheduler's records, health, media uploads and the audit log. `storage.contract.Tx` adds the
labeling operations; every engine implements both."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any

from domain.entities import AuditEntry, OutboxMessage
from storage.rows import AgreementCount, BatchPace, ExportRow, LiveCounts, MemberStats, ProjectStats


class ServiceTx(ABC):
    """Operations inside one transaction that serve reports, delivery and upkeep."""

    # figures and export
    @abstractmethod
    async def member_stats(self, project_id: int, member_id: int, since: float) -> MemberStats: ...
    @abstractmethod
    async def all_member_stats(self, project_id: int) -> dict[str, MemberStats]:
        """Figures per member of the project, keyed by pseudonym."""

    @abstractmethod
    async def project_stats(self, project_id: int) -> ProjectStats: ...
    @abstractmethod
    def export_rows(self, project_id: int) -> AsyncIterator[ExportRow]: ...
    @abstractmethod
    def answer_log(
        self, project_id: int, since: float, until: float | None = None
    ) -> AsyncIterator[tuple[int, float, int]]:
        """(member id, at, time_ms) of each answer in the project at or after `since` (and
        before `until`), every answer counted (gold, excluded), grouped by member, read in
        pages."""

    @abstractmethod
    async def agreement_counts(self, project_id: int) -> dict[int, AgreementCount]:
        """Per member id: their answers to finished (done) non-gold items, and how many of
        those match the item's result."""

    @abstractmethod
    async def counted_answers(self, project_id: int) -> list[tuple[int, int, int, str]]:
        """(batch id, item id, member id, value) of every answer to the project's non-gold
        items that the aggregation counts (none excluded), in the order they came: what
        agreement is measured on."""

    @abstractmethod
    async def batch_pace(self, project_id: int, since: float) -> dict[int, BatchPace]:
        """Per batch id (batches with neither recent answers nor open items left out): answers
        its non-gold items got at or after `since` that the aggregation keeps, the first of them,
        and the answers its open non-gold items still want."""

    # outbox: messages the core starts on its own, served by each platform's adapter
    @abstractmethod
    async def enqueue(
        self, member_id: int, platform: str, user_id: str, screen: dict[str, Any], now: float
    ) -> int: ...
    @abstractmethod
    async def claim_outbox(
        self, platform: str, limit: int, now: float, hold_s: float
    ) -> list[OutboxMessage]:
        """Unsent messages for this platform, oldest first, claimed for the caller: another
        claim gets other messages until `hold_s` has passed (then the sender is taken to have
        died and the message is offered again)."""

    @abstractmethod
    async def outbox_pending(self, platform: str, limit: int) -> list[OutboxMessage]:
        """Unsent messages for one platform, oldest first."""

    @abstractmethod
    async def mark_sent(self, message_ids: Sequence[int], now: float) -> None: ...

    # scheduled jobs: digests, reminders, deadline warnings
    @abstractmethod
    async def claim_run(self, job: str, key: str, now: float) -> bool:
        """Record that a scheduled job ran for `key` (such as a project and a local date).
        False when that run was already recorded (by an earlier tick, a process before a
        restart, or another worker), so whatever the caller would send goes out once: claim
        first, then queue the messages, in the same transaction."""

    @abstractmethod
    async def set_muted(self, project_id: int, member_id: int, muted: bool, now: float) -> bool:
        """Turn a member's quota reminders for a project off (muted) or on; whether it changed."""

    @abstractmethod
    async def muted_members(self, project_id: int) -> set[int]: ...
    @abstractmethod
    async def answer_counts(self, project_id: int, since: float) -> dict[int, int]:
        """Answers per member in the project at or after `since` (members with none left out)."""

    @abstractmethod
    async def prune(self, tokens_before: float, sent_before: float) -> int:
        """Delete button tokens issued before `tokens_before` (their buttons then answer as
        stale ones do) and outbox messages sent before `sent_before`; how many rows went."""

    # health
    @abstractmethod
    async def ping(self) -> None:
        """One trivial query: whether the database answers, at no cost."""

    @abstractmethod
    async def live_counts(self) -> LiveCounts:
        """Answers stored, leases open now, items of published batches that want answers."""

    # media: what a platform account gave back for a file uploaded once
    @abstractmethod
    async def media_upload(self, sha: str, platform: str) -> str | None:
        """The reference (a Telegram file_id, a Slack file id) stored for the file and the
        platform account, or None."""

    @abstractmethod
    async def save_media_upload(self, sha: str, platform: str, file_ref: str, now: float) -> None:
        """Store (or replace) the reference for the file and the platform account."""

    @abstractmethod
    async def forget_media_upload(self, sha: str, platform: str) -> None: ...
    @abstractmethod
    async def media_in_use(self) -> set[str]:
        """The content hashes of the stored files that items of every project name (their
        media and image grids), draft batches included."""

    # audit
    @abstractmethod
    async def audit(
        self,
        project_id: int | None,
        member_id: int | None,
        action: str,
        details: dict[str, Any],
        now: float,
    ) -> None: ...
    @abstractmethod
    def audit_log(self, project_id: int) -> AsyncIterator[AuditEntry]:
        """The project's audit log, oldest first, read in pages."""
