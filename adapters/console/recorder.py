"""A console "platform" kept in memory: people send events, the chats keep what the core showed.

Tests and the crowd simulation use it to drive the real core exactly as a chat would: a Send adds
a message, an Edit replaces one in place, a Toast is remembered against the tap.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.chat.actions import Action, Edit, Screen, Send, SendFile, Toast
from bot.chat.events import Actor, Command, Event, MessageRef, Tap, Text, Upload
from bot.core import Core

PLATFORM = "console"


@dataclass
class Message:
    id: str
    screen: Screen


@dataclass
class Chat:
    messages: list[Message] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)

    def last(self) -> Screen | None:
        return self.messages[-1].screen if self.messages else None

    def last_with_buttons(self) -> Message | None:
        for message in reversed(self.messages):
            if message.screen.keyboard:
                return message
        return None


class Recorder:
    """Runs the core for many console people and applies its actions to their chats."""

    def __init__(self, core: Core, platform: str = PLATFORM) -> None:
        self.core = core
        self.platform = platform
        self.chats: dict[str, Chat] = {}
        self.log: list[Action] = []
        self._ids = itertools.count(1)

    def person(self, user_id: str, name: str = "") -> Person:
        self.chats.setdefault(user_id, Chat())
        return Person(self, Actor(self.platform, user_id, name or user_id))

    async def dispatch(self, event: Event) -> list[Action]:
        actions = await self.core.handle(event)
        self.log.extend(actions)
        for action in actions:
            self.apply(action)
        return actions

    async def deliver(self) -> int:
        """Send what waits in the outbox into people's chats, as an adapter's pump would."""
        pending = await self.core.outbox(self.platform, limit=1000)
        for _, send in pending:
            self.log.append(send)
            self.apply(send)
        await self.core.outbox_sent([message_id for message_id, _ in pending])
        return len(pending)

    def apply(self, action: Action) -> None:
        if isinstance(action, Send):
            chat = self.chats.setdefault(action.to.user_id, Chat())
            chat.messages.append(Message(str(next(self._ids)), action.screen))
        elif isinstance(action, Edit):
            chat = self.chats.setdefault(action.to.user_id, Chat())
            for message in chat.messages:
                if message.id == action.message.id:
                    message.screen = action.screen
                    break
            else:
                chat.messages.append(Message(str(next(self._ids)), action.screen))
        elif isinstance(action, Toast):
            self.chats.setdefault(action.tap.actor.user_id, Chat()).toasts.append(action.text)
        elif isinstance(action, SendFile):
            self.chats.setdefault(action.to.user_id, Chat()).files.append(
                (action.name, action.data)
            )


@dataclass
class Person:
    recorder: Recorder
    actor: Actor

    @property
    def chat(self) -> Chat:
        return self.recorder.chats[self.actor.user_id]

    @property
    def screen(self) -> Screen | None:
        """The latest message with buttons (what a person would tap next), else the latest."""
        message = self.chat.last_with_buttons()
        return message.screen if message else self.chat.last()

    async def command(self, name: str, *args: str) -> list[Action]:
        return await self.recorder.dispatch(Command(self.actor, name, tuple(args)))

    async def text(self, text: str) -> list[Action]:
        return await self.recorder.dispatch(Text(self.actor, text))

    async def upload(self, filename: str, content: bytes) -> list[Action]:
        return await self.recorder.dispatch(Upload(self.actor, filename, content))

    async def tap(self, label: str) -> list[Action]:
        """Press the button with this label on the latest message that has buttons."""
        message = self.chat.last_with_buttons()
        if message is None:
            raise LookupError(f"{self.actor.user_id} has no buttons on screen")
        for button in message.screen.buttons():
            if button.label == label:
                return await self.tap_token(button.token, message.id)
        labels = [b.label for b in message.screen.buttons()]
        raise LookupError(f"no button {label!r} on screen (there are {labels})")

    async def tap_token(self, token: str, message_id: str | None = None) -> list[Action]:
        ref = (
            None
            if message_id is None
            else MessageRef(self.recorder.platform, self.actor.user_id, message_id)
        )
        return await self.recorder.dispatch(Tap(self.actor, token, ref))
