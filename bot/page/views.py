"""What the annotation page is shown: a lease's task, nothing more to do, a refusal, a picture.

Plain data, shared by the core (`bot.page.service`) and the page's server (`adapters.web`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tasks.regions.answer import RegionRules

Person = str
"""Who calls: ``"<platform>:<user id>"`` (``"telegram:42"``, ``"slack:T1:U2"``,
``"console:ana"``), as the page's sign-in proves it."""
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
    layers: tuple[tuple[str, tuple[dict[str, Any], ...]], ...] = ()
    """For QA: each annotator's regions (a name, canonical regions), shown read-only in a
    colour of their own under the editable ones."""
    review: bool = False
    """A QA review: Submit sets the result, and the answer's ``"gold": true`` makes the item
    a gold question with it too."""


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
