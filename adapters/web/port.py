"""What the annotation page needs from the core: one `PagePort`, and the views it passes.

The views are the core's (`bot.page.views`); the core's `bot.page.service.PageService` is the
port. The page never sees the store. The core behind the port keeps every guarantee a tap has: the
lease and its token are checked against the person on every call, one answer per assignment,
a resubmission of an answered lease stores nothing twice.

People are named by `Person` strings ``"<platform>:<id>"`` (``"telegram:42"``,
``"slack:U123"``, ``"console:ana"``): the page proves who they are (see `adapters.web.auth`),
the port decides what they may do.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.page.views import (
    Media,
    Next,
    NoTask,
    PageImage,
    PageTask,
    Person,
    Refusal,
    RefusalKind,
)

__all__ = [
    "Media",
    "Next",
    "NoTask",
    "PageImage",
    "PagePort",
    "PageTask",
    "Person",
    "Refusal",
    "RefusalKind",
]


class PagePort(Protocol):
    """The core, as the page uses it. Every method checks that `lease` is `person`'s live
    lease first and answers a `Refusal` (changing nothing) when it is not."""

    async def task(self, person: Person, lease: str) -> Next:
        """The task of this lease; for a lease done already, the person's task now (or
        nothing more), as a chat card opened again after a session in the page has it."""
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
