"""What every chat adapter does around the core, written once: run it or say sorry, and the
toast rule.

The core never raises on a person's event by design, but a bug or a lost database must not
leave the person with silence: the failure is logged (its type only, never the event's text)
and the person is told to try again. A button press answers with at most one toast, the first
the core gave; the others are logged and dropped (a platform shows one popup per press).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.chat.actions import Action, Screen, Send, Toast
from bot.chat.events import Event
from bot.core import Core

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side. Please try again in a moment."
TOO_BIG = "That file is too big for me to download (20 MB at most)."


async def run_core(core: Core, event: Event) -> list[Action] | None:
    """The core's actions for the event, or None when the core failed (logged)."""
    try:
        return await core.handle(event)
    except Exception:
        log.exception("the core failed on %s", type(event).__name__)
        return None


async def reply_actions(core: Core, event: Event) -> list[Action]:
    """The core's actions for a message, command or upload; on a failure, the apology."""
    actions = await run_core(core, event)
    return actions if actions is not None else [sorry(event)]


def sorry(event: Event) -> Send:
    return Send(event.actor, Screen(text=SORRY))


@dataclass(frozen=True)
class PressAnswer:
    """What a button press comes to: the one toast to show (None: none) and the rest."""

    toast: Toast | None
    rest: list[Action]


def press_answer(actions: Sequence[Action]) -> PressAnswer:
    """The toast rule: the first toast answers the press; the others are dropped."""
    toasts = [a for a in actions if isinstance(a, Toast)]
    if len(toasts) > 1:
        log.debug("%d toasts for one button press; showing the first", len(toasts))
    return PressAnswer(
        toasts[0] if toasts else None, [a for a in actions if not isinstance(a, Toast)]
    )
