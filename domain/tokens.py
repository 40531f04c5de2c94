"""What a button's token and a pending typed reply carry, as typed payloads.

A screen's buttons share one stored token whose payload says what the screen was about (the
lease on a task card, the flag on a review card); the button adds its own short code. A button
that asks for typed text leaves a reply payload on the member, so their next message is read
as what was asked. Both are stored as small JSON objects; the one-letter keys they use there
(``{"a": 12}``) are a storage detail of this module: everywhere else a payload is a typed value
(``TaskCard(assignment_id=12)``).

A payload that does not decode (an old or tampered row) is `None` from `decode`: the press or
the message is then treated as stale, never as an error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from domain.enums import ReplyKind, TokenKind

KEY = "key"


def _key(name: str, *, optional: bool = False) -> Any:
    if optional:
        return field(default=None, metadata={KEY: name})
    return field(metadata={KEY: name})


@dataclass(frozen=True)
class Payload:
    """A payload's fields are ints, optional ints, or a tuple of ints (which may be None)."""

    def to_ref(self) -> dict[str, Any]:
        ref: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            ref[f.metadata[KEY]] = list(value) if isinstance(value, tuple) else value
        return ref


P = TypeVar("P", bound=Payload)


def decode(cls: type[P], ref: dict[str, Any]) -> P | None:
    """The payload stored as `ref`, or None when it does not decode as a `cls`."""
    values: dict[str, Any] = {}
    try:
        for f in dataclasses.fields(cls):
            raw = ref.get(f.metadata[KEY])
            if raw is None:
                if f.default is dataclasses.MISSING:
                    return None
                values[f.name] = None
            elif isinstance(raw, list):
                values[f.name] = tuple(int(x) for x in raw)
            else:
                values[f.name] = int(raw)
    except (TypeError, ValueError):
        return None
    return cls(**values)


@dataclass(frozen=True)
class ButtonPayload(Payload):
    KIND: ClassVar[TokenKind]


@dataclass(frozen=True)
class TaskCard(ButtonPayload):
    """A task card: the lease it shows, and the answer its Undo button takes back."""

    KIND: ClassVar[TokenKind] = TokenKind.TASK
    assignment_id: int = _key("a")
    undo_answer_id: int | None = _key("u", optional=True)


@dataclass(frozen=True)
class ReportMenu(ButtonPayload):
    """The menu of reasons to report the item on a lease."""

    KIND: ClassVar[TokenKind] = TokenKind.REPORT
    assignment_id: int = _key("a")


@dataclass(frozen=True)
class IdleMenu(ButtonPayload):
    """The buttons of a message with no task on it; `project_id` names the project that the
    message is about (work came back there), else the person's current project is meant."""

    KIND: ClassVar[TokenKind] = TokenKind.MENU
    project_id: int | None = _key("p", optional=True)


@dataclass(frozen=True)
class BatchCard(ButtonPayload):
    KIND: ClassVar[TokenKind] = TokenKind.BATCH
    batch_id: int = _key("b")


@dataclass(frozen=True)
class GuideAck(ButtonPayload):
    """A changed guideline's acknowledgement: the project and the version it acknowledges."""

    KIND: ClassVar[TokenKind] = TokenKind.ACK
    project_id: int = _key("p")
    version: int = _key("v")


@dataclass(frozen=True)
class ReviewCard(ButtonPayload):
    KIND: ClassVar[TokenKind] = TokenKind.REVIEW
    flag_id: int = _key("f")


@dataclass(frozen=True)
class SentBack(ButtonPayload):
    """An item QA sent back to one of its annotators: the flag, and that person's answer."""

    KIND: ClassVar[TokenKind] = TokenKind.BACK
    flag_id: int = _key("f")
    answer_id: int = _key("a")


@dataclass(frozen=True)
class DraftCard(ButtonPayload):
    """An uploaded batch not yet published."""

    KIND: ClassVar[TokenKind] = TokenKind.DRAFT
    batch_id: int = _key("b")


@dataclass(frozen=True)
class ReplyPayload(Payload):
    KIND: ClassVar[ReplyKind]

    def to_pending(self) -> dict[str, Any]:
        """The member's stored ``pending``: the kind and the payload."""
        return {"kind": self.KIND.value, **self.to_ref()}


@dataclass(frozen=True)
class TypedAnswer(ReplyPayload):
    KIND: ClassVar[ReplyKind] = ReplyKind.ANSWER
    assignment_id: int = _key("a")


@dataclass(frozen=True)
class ReportReason(ReplyPayload):
    KIND: ClassVar[ReplyKind] = ReplyKind.REPORT
    assignment_id: int = _key("a")


@dataclass(frozen=True)
class PingText(ReplyPayload):
    """QA's message to an item's annotators; `to` the members chosen, None: all of them."""

    KIND: ClassVar[ReplyKind] = ReplyKind.PING
    flag_id: int = _key("f")
    to: tuple[int, ...] | None = _key("to", optional=True)


@dataclass(frozen=True)
class NoteText(ReplyPayload):
    KIND: ClassVar[ReplyKind] = ReplyKind.NOTE
    flag_id: int = _key("f")


@dataclass(frozen=True)
class ResultText(ReplyPayload):
    KIND: ClassVar[ReplyKind] = ReplyKind.RESULT
    flag_id: int = _key("f")


@dataclass(frozen=True)
class SendBackComment(ReplyPayload):
    KIND: ClassVar[ReplyKind] = ReplyKind.SENDBACK
    flag_id: int = _key("f")


@dataclass(frozen=True)
class KeepReason(ReplyPayload):
    """An annotator's reason to keep the answer QA sent back."""

    KIND: ClassVar[ReplyKind] = ReplyKind.KEEP
    flag_id: int = _key("f")
