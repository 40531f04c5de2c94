"""Messages the core starts on its own (QA pings, reminders, digests) wait in the outbox until
the member's adapter sends them. Delivery is at least once: an adapter marks a message sent after
the platform accepted it, so a crash in between sends it again rather than losing it.
"""

from __future__ import annotations

from typing import Any

from bot.chat.actions import Button, Media, Screen
from storage.contract import Tx


def screen_to_dict(screen: Screen) -> dict[str, Any]:
    return {
        "text": screen.text,
        "keyboard": [[[b.label, b.token] for b in row] for row in screen.keyboard],
        "media": None
        if screen.media is None
        else [screen.media.kind, screen.media.ref, screen.media.key],
        **({"markdown": True} if screen.markdown else {}),
    }


def screen_from_dict(data: dict[str, Any]) -> Screen:
    media = data.get("media")
    return Screen(
        text=str(data["text"]),
        keyboard=tuple(
            tuple(Button(str(label), str(token)) for label, token in row)
            for row in data.get("keyboard", [])
        ),
        media=None
        if not media
        else Media(str(media[0]), str(media[1]), str(media[2]) if len(media) > 2 else ""),
        markdown=bool(data.get("markdown", False)),
    )


async def notify(tx: Tx, member_id: int, screen: Screen, now: float) -> int:
    """Queue a message to a member on the platform they joined through first.

    Returns how many messages were queued (0 for a member with no identity left)."""
    identities = await tx.identities(member_id)
    if not identities:
        return 0
    first = identities[0]
    await tx.enqueue(member_id, first.platform, first.user_id, screen_to_dict(screen), now)
    return 1
