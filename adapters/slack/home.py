"""The App Home tab: a Start labeling button and the person's progress.

The progress is the core's own answer to ``progress``, run as a command (it only reads), so the
tab says what ``/tapmark progress`` would, including "you are not in a project yet" to someone who
has not joined. The view is published with views.publish whenever the person opens the tab.
"""

from __future__ import annotations

from adapters.running import run_core
from adapters.slack.render import home_view
from adapters.slack.translate import split_actor
from adapters.slack.workspaces import Workspaces
from bot.chat.actions import Send
from bot.chat.events import Actor, Command
from bot.core import Core

UNAVAILABLE = "Your progress cannot be shown right now."


class Home:
    def __init__(self, core: Core, workspaces: Workspaces) -> None:
        self.core = core
        self.workspaces = workspaces

    async def progress(self, person: Actor) -> str:
        actions = await run_core(self.core, Command(person, "progress"))
        if actions is None:
            return UNAVAILABLE
        return "\n\n".join(a.screen.text for a in actions if isinstance(a, Send)) or UNAVAILABLE

    async def publish(self, person: Actor) -> None:
        text = await self.progress(person)
        _, user = split_actor(person)
        await self.workspaces.client_for(person).views_publish(user_id=user, view=home_view(text))
