"""Where to reach a person: the id of their direct-message channel with the bot.

`conversations.open` gives it (and is idempotent: the same person, the same channel). The ids are
kept in memory only to save that call; a restarted process asks again, so nothing depends on
the cache. Ids seen in a person's own requests (a click, a DM) are remembered on the way in.
"""

from __future__ import annotations

from adapters.slack.translate import split_actor
from adapters.slack.workspaces import Workspaces
from bot.chat.events import Actor

MAX_CACHED = 100_000


class Directory:
    def __init__(self, workspaces: Workspaces) -> None:
        self.workspaces = workspaces
        self._channels: dict[str, str] = {}

    def remember(self, person: Actor, channel: str) -> None:
        """Note a DM channel (ids of direct messages start with D)."""
        if channel.startswith("D"):
            if len(self._channels) >= MAX_CACHED:
                self._channels.clear()
            self._channels[person.user_id] = channel

    def forget(self, person: Actor) -> None:
        self._channels.pop(person.user_id, None)

    async def channel(self, person: Actor) -> str:
        known = self._channels.get(person.user_id)
        if known is not None:
            return known
        _, user = split_actor(person)
        reply = await self.workspaces.client_for(person).conversations_open(users=user)
        channel = str(reply["channel"]["id"])
        self._channels[person.user_id] = channel
        return channel
