"""Every state a thing in tapmark can be in, and every kind of button and typed reply.

The database stores these as their string values; comparing an enum member with such a string
is true when the values match (they are `StrEnum`s).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ANNOTATOR = "annotator"
    QA = "qa"
    MANAGER = "manager"


class BatchStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    CLOSED = "closed"


class ItemStatus(StrEnum):
    """Where an item is: wanting answers, settled, disputed (the answers disagree past the
    overlap cap), or held out of the task loop while QA looks at it."""

    OPEN = "open"
    DONE = "done"
    DISPUTED = "disputed"
    HELD = "held"


class LeaseStatus(StrEnum):
    """What became of one showing of an item to one person (an assignment)."""

    LEASED = "leased"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    REPORTED = "reported"


class RoleStatus(StrEnum):
    """An annotator's standing in a project."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REMOVED = "removed"


class FlagStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class FlagKind(StrEnum):
    """Why something is in the QA queue: an annotator's report about an item, a dispute, a
    suspension, or a pattern in someone's answers."""

    UNCLEAR = "unclear"
    BROKEN = "broken"
    OFFENSIVE = "offensive"
    OTHER = "other"
    DISPUTED = "disputed"
    SUSPENDED = "suspended"
    TOO_FAST = "too_fast"
    SAME_LABEL = "same_label"
    MANY_SKIPS = "many_skips"


class Qualification(StrEnum):
    """Where an annotator is with a project's qualification test."""

    NONE = "none"
    PENDING = "pending"
    PASSED = "passed"
    FAILED = "failed"


class TokenKind(StrEnum):
    """What a button's opaque token was issued for; each kind has one typed payload
    (`domain.tokens`) and one handler, declared by the wing that owns it (`bot.routing`)."""

    TASK = "task"
    REPORT = "report"
    MENU = "menu"
    BATCH = "batch"
    ACK = "ack"
    REVIEW = "review"
    BACK = "back"
    DRAFT = "draft"


class ReplyKind(StrEnum):
    """What a person's next typed message is, after a button asked them to type it."""

    ANSWER = "answer"
    REPORT = "report"
    PING = "ping"
    NOTE = "note"
    RESULT = "result"
    SENDBACK = "sendback"
    KEEP = "keep"
