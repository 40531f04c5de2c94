"""What a handler works with: the transaction, the clock, the person, their project."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bot.chat.actions import Action, Edit, Screen, Send
from bot.chat.events import Actor, Tap
from bot.media.store import MediaStore
from domain.entities import Member, Project
from storage.contract import Tx


@dataclass
class Ctx:
    tx: Tx
    now: float
    actor: Actor
    rng: random.Random
    member: Member | None = None
    is_admin: bool = False
    sweep: bool = True
    """Whether to reclaim expired leases before handing out work (the core does so now and
    then, and always when it finds nothing to hand out)."""
    actions: list[Action] = field(default_factory=list)
    media: MediaStore | None = None
    """Where media files are stored (None: this bot was given no media folder)."""
    last_try: bool = True
    """Whether this is the event's last attempt: before it, a handler may raise `Busy` to
    run the event again once other transactions let go of the rows it needs."""

    def send(self, screen: Screen) -> None:
        self.actions.append(Send(to=self.actor, screen=screen))

    def say(self, text: str) -> None:
        self.send(Screen(text=text))

    async def project(self) -> Project | None:
        if self.member is None or self.member.project_id is None:
            return None
        return await self.tx.project(self.member.project_id)


def show(ctx: Ctx, tap: Tap, screen: Screen) -> None:
    """Put a screen where the tapped message was, or send it anew when there is none."""
    if tap.message is not None:
        ctx.actions.append(Edit(message=tap.message, screen=screen, to=tap.actor))
    else:
        ctx.send(screen)
