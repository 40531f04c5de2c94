"""What the annotation page needs from the core: one `PagePort`, and the views it passes.

The page never sees the store. The core behind the port keeps every guarantee a tap has: the
lease and its token are checked against the person on every call, one answer per assignment,
a resubmission of an answered lease stores nothing twice.

People are named by `Person` strings ``"<platform>:<id>"`` (``"telegram:42"``,
``"slack:U123"``, ``"console:ana"``): the page proves who they are (see `adapters.web.auth`),
the port decides what they may do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from tasks.regions.answer import RegionRules

Person = str
RefusalKind = Literal["expired", "not_yours", "invalid", "unknown", "gone"]


@dataclass(frozen=True, slots=True)
class PageImage:
    """One picture of the item, as stored: its number in the item and its size in pixels."""

    index: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PageTask:
    """The task shown in the page for one lease."""

    lease: str
    """The lease token: every later call names it."""
    item_id: str
    prompt: str
    texts: tuple[tuple[str, str], ...]
    """(name, text) pairs shown under the picture, as text, never as HTML."""
    images: tuple[PageImage, ...]
    rules: RegionRules
    pre: tuple[dict[str, Any], ...] = ()
    """Pre-annotations in canonical region form (``{"image", "label", "type", ...}``)."""
    done: int = 0
    total: int | None = None
    note: str = ""
    """A line for the person, e.g. "Saved. Next task." after a submit."""


@dataclass(frozen=True, slots=True)
class NoTask:
    """Nothing more to do for now."""

    message: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """The call changed nothing; `message` says why in words for the person."""

    kind: RefusalKind
    message: str


@dataclass(frozen=True, slots=True)
class Media:
    """A picture's bytes for the lease holder."""

    body: bytes
    content_type: str


Next = PageTask | NoTask | Refusal


class PagePort(Protocol):
    """The core, as the page uses it. Every method checks that `lease` is `person`'s live
    lease first and answers a `Refusal` (changing nothing) when it is not."""

    async def task(self, person: Person, lease: str) -> PageTask | Refusal:
        """The task of this lease."""
        ...

    async def submit(self, person: Person, lease: str, answer: Any) -> Next:
        """Store `answer` (``{"regions": [...]}`` as the page sends it) through the task type's
        canonical check, then the person's next task. An answer that breaks the project's
        rules is a Refusal of kind ``"invalid"`` naming the rule. Submitting an answered lease
        again stores nothing and answers the next task (idempotent)."""
        ...

    async def skip(self, person: Person, lease: str) -> Next:
        """Give the lease back and move on to the next task."""
        ...

    async def report(self, person: Person, lease: str, reason: str) -> Next:
        """Flag the item as broken (with the person's words) and move on."""
        ...

    async def media(self, person: Person, lease: str, image: int) -> Media | Refusal:
        """Picture `image` of the lease's item."""
        ...
