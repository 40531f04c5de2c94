"""An in-memory `PagePort` for the page's tests: leases, answers and refusals as the core gives
them, with the real canonical check of `tasks.regions.answer`."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

from adapters.web.port import Media, NoTask, PageImage, PageTask, Person, Refusal
from tasks.base import AnswerError
from tasks.regions.answer import RegionRules, canonical_answer


def picture(width: int, height: int, seed: int = 0) -> bytes:
    """A PNG with a grid and a filled rectangle, so screenshots show where things are."""
    img = Image.new("RGB", (width, height), (40 + seed * 30 % 200, 90, 120))
    draw = ImageDraw.Draw(img)
    for x in range(0, width, 50):
        draw.line([(x, 0), (x, height)], fill=(200, 200, 200))
    for y in range(0, height, 50):
        draw.line([(0, y), (width, y)], fill=(200, 200, 200))
    draw.rectangle([width // 4, height // 4, width // 2, height // 2], fill=(230, 180, 40))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@dataclass
class MemoryItem:
    item_id: str
    sizes: list[tuple[int, int]]
    rules: RegionRules
    prompt: str = "Mark every object."
    texts: tuple[tuple[str, str], ...] = ()
    pre: tuple[dict[str, Any], ...] = ()
    pictures: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.pictures:
            self.pictures = [picture(w, h, i) for i, (w, h) in enumerate(self.sizes)]


@dataclass
class Lease:
    person: Person
    item: int
    expires: float
    answer: str | None = None
    closed: bool = False
    next_lease: str | None = None


class MemoryPort:
    """Items handed out in order, one lease at a time per person, `lease_seconds` long."""

    def __init__(
        self, items: list[MemoryItem], clock: Callable[[], float], lease_seconds: float = 600.0
    ) -> None:
        self.items = items
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.leases: dict[str, Lease] = {}
        self.answers: list[tuple[Person, str, str]] = []
        self.skips: list[tuple[Person, str]] = []
        self.reports: list[tuple[Person, str, str]] = []
        self.finished: dict[Person, set[int]] = {}

    def open(self, person: Person) -> str:
        """A first lease for `person` (what the chat card would hold)."""
        got = self._next(person)
        assert isinstance(got, PageTask)
        return got.lease

    def expire(self, lease: str) -> None:
        self.leases[lease].expires = self.clock() - 1

    def hand_to(self, lease: str, other: Person) -> None:
        self.leases[lease].person = other

    def _view(self, lease: str, note: str = "") -> PageTask:
        held = self.leases[lease]
        item = self.items[held.item]
        done = len(self.finished.get(held.person, set()))
        return PageTask(
            lease=lease,
            item_id=item.item_id,
            prompt=item.prompt,
            texts=item.texts,
            images=tuple(PageImage(i, w, h) for i, (w, h) in enumerate(item.sizes)),
            rules=item.rules,
            pre=item.pre,
            done=done,
            total=len(self.items),
            note=note,
        )

    def _next(self, person: Person, note: str = "") -> PageTask | NoTask:
        done = self.finished.setdefault(person, set())
        for number in range(len(self.items)):
            if number not in done:
                lease = secrets.token_urlsafe(12)
                self.leases[lease] = Lease(person, number, self.clock() + self.lease_seconds)
                return self._view(lease, note)
        return NoTask("All done for now. Thank you!")

    def _check(self, person: Person, lease: str) -> Lease | Refusal:
        held = self.leases.get(lease)
        if held is None:
            return Refusal("unknown", "This task is not known: open the next one from the chat.")
        if held.person != person:
            return Refusal(
                "not_yours", "This task is now someone else's: it was given to another annotator."
            )
        if held.closed:
            return held
        if self.clock() > held.expires:
            return Refusal(
                "expired",
                "Your time for this task ran out, so nothing was saved. "
                "Open the next task from the chat.",
            )
        return held

    def _after(self, held: Lease, note: str) -> PageTask | NoTask:
        if held.next_lease is not None and held.next_lease in self.leases:
            return self._view(held.next_lease, note)
        got = self._next(held.person, note)
        if isinstance(got, PageTask):
            held.next_lease = got.lease
        return got

    def _close(self, held: Lease, note: str) -> PageTask | NoTask:
        held.closed = True
        self.finished.setdefault(held.person, set()).add(held.item)
        return self._after(held, note)

    async def task(self, person: Person, lease: str) -> PageTask | Refusal:
        held = self._check(person, lease)
        if isinstance(held, Refusal):
            return held
        if held.closed:
            return Refusal("gone", "This task is already answered.")
        return self._view(lease)

    async def submit(self, person: Person, lease: str, answer: Any) -> PageTask | NoTask | Refusal:
        held = self._check(person, lease)
        if isinstance(held, Refusal):
            return held
        item = self.items[held.item]
        try:
            stored = canonical_answer(answer, item.rules, item.sizes)
        except AnswerError as e:
            return Refusal("invalid", f"Not saved: {e}.")
        if held.closed:
            if held.answer == stored:
                return self._after(held, "Already saved. Next task.")
            return Refusal("gone", "This task is already answered.")
        held.answer = stored
        self.answers.append((person, item.item_id, stored))
        return self._close(held, "Saved. Next task.")

    async def skip(self, person: Person, lease: str) -> PageTask | NoTask | Refusal:
        held = self._check(person, lease)
        if isinstance(held, Refusal):
            return held
        if not held.closed:
            self.skips.append((person, self.items[held.item].item_id))
        return self._close(held, "Skipped. Next task.")

    async def report(self, person: Person, lease: str, reason: str) -> PageTask | NoTask | Refusal:
        held = self._check(person, lease)
        if isinstance(held, Refusal):
            return held
        if not held.closed:
            self.reports.append((person, self.items[held.item].item_id, reason))
        return self._close(held, "Reported. Next task.")

    async def media(self, person: Person, lease: str, image: int) -> Media | Refusal:
        held = self._check(person, lease)
        if isinstance(held, Refusal):
            return held
        pictures = self.items[held.item].pictures
        if not 0 <= image < len(pictures):
            return Refusal("unknown", "No such picture.")
        return Media(pictures[image], "image/png")
