"""Whole conversations written down as a person reads them, for the transcript tests.

A `Transcript` drives console people through the real core and writes every message, edit and
toast they receive, with the buttons under it, in the order they arrive. Opaque values that
change from run to run (invite codes, pseudonyms) are replaced by stable names in order of first
appearance. The tests compare the result with a file kept beside them (`transcripts/`), so any
change in what a person is told (a word, a button, a count, a missing message) shows up as a
difference to read. Set ``TAPMARK_WRITE_TRANSCRIPTS=1`` to write the files anew after an
intended change, then read the difference before committing it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Action, Edit, Screen, Send, SendFile, Toast
from storage.contract import Store
from tests.conftest import raw

HERE = Path(__file__).parent / "transcripts"
WRITE = os.environ.get("TAPMARK_WRITE_TRANSCRIPTS") == "1"

_OPAQUE = (
    (re.compile(r"\ba-[0-9a-f]{10}\b"), "annotator"),
    (re.compile(r"\b[A-Z2-9]{8}\b"), "CODE"),
)


class Transcript:
    """What several console people read, in order, as one text."""

    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder = recorder
        self.path = HERE / f"{name}.txt"
        self.lines: list[str] = []
        self._names: dict[str, str] = {}
        self._codes: dict[str, str] = {}

    def stable(self, text: str) -> str:
        for pattern, kind in _OPAQUE:
            text = pattern.sub(lambda m, kind=kind: self._name(kind, m.group(0)), text)
        return text

    def _name(self, kind: str, value: str) -> str:
        names = self._names if kind == "annotator" else self._codes
        if value not in names:
            names[value] = f"<{kind} {len(names) + 1}>"
        return names[value]

    def note(self, text: str) -> None:
        self.lines.append(f"\n## {text}")

    def _screen(self, screen: Screen) -> list[str]:
        out = ["    | " + line for line in self.stable(screen.text).split("\n")]
        if screen.media is not None:
            out.append(f"    (media: {screen.media.kind})")
        for row in screen.keyboard:
            assert row, f"an empty row of buttons under {screen.text[:60]!r}"
            out.append("    " + " ".join(f"[{b.label}]" for b in row))
        return out

    def _actions(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                self.lines.append(f"  -> {action.to.user_id}: message")
                self.lines.extend(self._screen(action.screen))
            elif isinstance(action, Edit):
                self.lines.append(f"  -> {action.to.user_id}: edits message {action.message.id}")
                self.lines.extend(self._screen(action.screen))
            elif isinstance(action, Toast):
                self.lines.append(
                    f"  -> {action.tap.actor.user_id}: toast {self.stable(action.text)!r}"
                )
            elif isinstance(action, SendFile):
                self.lines.append(f"  -> {action.to.user_id}: file {action.name}")
        if WRITE:
            self.check()

    async def command(self, person: Person, name: str, *args: str) -> None:
        self.lines.append(
            self.stable(f"{person.actor.user_id} > /{name} {' '.join(args)}".rstrip())
        )
        self._actions(await person.command(name, *args))

    async def tap(self, person: Person, label: str) -> None:
        message = person.chat.last_with_buttons()
        where = "" if message is None else f" on message {message.id}"
        self.lines.append(f"{person.actor.user_id} taps [{label}]{where}")
        self._actions(await person.tap(label))

    def keep(self, person: Person, label: str) -> tuple[str, str, str]:
        """Remember a button on screen now, to press it later from a card that has moved on."""
        message = person.chat.last_with_buttons()
        if message is None:
            raise LookupError(f"{person.actor.user_id} has no buttons on screen")
        for button in message.screen.buttons():
            if button.label == label:
                return label, button.token, message.id
        raise LookupError(f"no button {label!r} on message {message.id}")

    async def tap_kept(self, person: Person, kept: tuple[str, str, str]) -> None:
        """Press a remembered button (a double tap, or a stale card still in the chat)."""
        label, token, message_id = kept
        self.lines.append(
            f"{person.actor.user_id} taps [{label}] as it was on message {message_id} earlier"
        )
        self._actions(await person.tap_token(token, message_id))

    async def answer(self, person: Person, label: str) -> None:
        """Tap `label` on the task, first pressing *Next task* when feedback stands before it."""
        if person.screen is not None and "Next task" in [b.label for b in person.screen.buttons()]:
            await self.tap(person, "Next task")
        await self.tap(person, label)

    async def upload(self, person: Person, filename: str, content: bytes, about: str = "") -> None:
        self.lines.append(f"{person.actor.user_id} uploads {filename}{about}")
        self._actions(await person.upload(filename, content))

    async def text(self, person: Person, text: str) -> None:
        self.lines.append(f"{person.actor.user_id} types {text!r}")
        self._actions(await person.text(text))

    async def deliver(self) -> None:
        """What the outbox sends now (wake-ups, notices to managers)."""
        before = len(self.recorder.log)
        await self.recorder.deliver()
        sent = self.recorder.log[before:]
        if sent:
            self.lines.append("(the outbox sends)")
            self._actions(sent)

    async def state(self, store: Store, project_name: str) -> None:
        """What the database holds of the project's work, as a manager's export would show."""
        async with store.transaction() as tx:
            project = await tx.project_by_name(project_name)
            assert project is not None
            items = await raw(
                tx,
                "SELECT ext_id, status, n_answers, n_target, n_load, gold IS NOT NULL "
                "FROM items WHERE project_id = ? ORDER BY id",
                project.id,
            )
            answers = await raw(
                tx,
                "SELECT i.ext_id, m.pseudonym, a.value, a.correct, a.excluded, a.time_ms "
                "FROM answers a JOIN items i ON i.id = a.item_id "
                "JOIN members m ON m.id = a.member_id WHERE a.project_id = ? ORDER BY a.id",
                project.id,
            )
            flags = await raw(
                tx,
                "SELECT f.kind, f.status, f.reason, i.ext_id FROM flags f "
                "LEFT JOIN items i ON i.id = f.item_id WHERE f.project_id = ? ORDER BY f.id",
                project.id,
            )
            results = await raw(
                tx,
                "SELECT i.ext_id, r.label, r.confidence, r.method FROM results r "
                "JOIN items i ON i.id = r.item_id WHERE i.project_id = ? ORDER BY i.id",
                project.id,
            )
            roles = await raw(
                tx,
                "SELECT m.pseudonym, r.role, r.status, r.qualification, "
                "r.waiting_since IS NOT NULL FROM roles r JOIN members m ON m.id = r.member_id "
                "WHERE r.project_id = ? ORDER BY r.member_id, r.role",
                project.id,
            )
        results = [(row[0], row[1], round(row[2], 3), row[3]) for row in results]
        self.lines.append("(the database holds)")
        # Gold questions are handed out in a random order: name them by their kind only.
        gold_ids = {row[0] for row in items if row[5]}
        real = [row for row in items if not row[5]]
        gold = [(f"{len(gold_ids)} gold, by kind only",)] if gold_ids else []
        answers = [("gold" if row[0] in gold_ids else row[0], *row[1:]) for row in answers]
        flags = [(*row[:3], "gold" if row[3] in gold_ids else row[3]) for row in flags]
        for title, rows in (
            ("item", real),
            ("gold item", gold),
            ("answer", answers),
            ("result", results),
            ("flag", flags),
            ("role", roles),
        ):
            for row in rows:
                self.lines.append(
                    self.stable(f"  {title}: " + " | ".join(_cell(value) for value in row))
                )

    def text_so_far(self) -> str:
        return "\n".join(self.lines).lstrip("\n") + "\n"

    def check(self) -> None:
        """Compare with the kept transcript (or write it, see the module's docstring)."""
        if WRITE:
            self.path.parent.mkdir(exist_ok=True)
            self.path.write_text(self.text_so_far(), encoding="utf-8")
            return
        kept = self.path.read_text(encoding="utf-8")
        assert self.text_so_far() == kept, (
            f"what people read differs from {self.path.name}; see the diff above"
        )


def _cell(value: object) -> str:
    """A value as SQLite shows it, whichever engine read it (PostgreSQL's booleans as 1/0)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(int(value))
    return str(value)
