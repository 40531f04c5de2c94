"""How a wing declares what it answers: its commands, its buttons and its typed replies.

Each wing exports one `Routes` value (in its `routes` module) naming the commands it handles,
the button kinds whose presses it handles with the typed payload it issued them with, and the
kinds of typed text it asked a person for. `Router` merges them into three tables, refusing a
name or kind declared twice, and dispatches an event by a lookup, never by testing kinds in turn.

A wing that shows buttons issues their token through `issue_button` and asks for text through
`ask_reply`, so the kind stored with the token is always the payload's own: a press decodes to
the payload type its handler was declared with, or is refused as stale.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.chat.actions import Toast
from bot.chat.events import Tap
from bot.context import Ctx
from domain.entities import Member, TokenRef
from domain.enums import ReplyKind, TokenKind
from domain.tokens import ButtonPayload, ReplyPayload, decode
from storage.contract import Tx

B = TypeVar("B", bound=ButtonPayload)
R = TypeVar("R", bound=ReplyPayload)

CommandHandler = Callable[[Ctx, tuple[str, ...]], Awaitable[None]]
"""A command's handler: the context and the words after the command."""

STALE = "This task is no longer yours."
"""The toast on a press whose token is unknown, someone else's or undecodable."""
UNKNOWN_COMMAND = "I do not know /{name}. /help lists what I understand."
NO_REPLY_EXPECTED = "Use the buttons to answer, or send /help to see what I can do."


@dataclass(frozen=True)
class Button(Generic[B]):
    """A button kind: presses of a token issued with a `payload` go to `handle` with the
    decoded payload and the pressed button's code."""

    payload: type[B]
    handle: Callable[[Ctx, Tap, Member, B, str], Awaitable[None]]


@dataclass(frozen=True)
class Reply(Generic[R]):
    """A typed-reply kind: a person's next message, after a button left `payload` pending on
    them, goes to `handle` with the payload and the text."""

    payload: type[R]
    handle: Callable[[Ctx, Member, R, str], Awaitable[None]]


@dataclass(frozen=True)
class Routes:
    """What one wing answers."""

    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    buttons: Iterable[Button[Any]] = ()
    replies: Iterable[Reply[Any]] = ()


class Router:
    """The three tables, merged from every wing's `Routes`."""

    def __init__(self, *wings: Routes) -> None:
        self.commands: dict[str, CommandHandler] = {}
        self.buttons: dict[TokenKind, Button[Any]] = {}
        self.replies: dict[ReplyKind, Reply[Any]] = {}
        for wing in wings:
            for name, handler in wing.commands.items():
                _add(self.commands, name.lower(), handler, f"command /{name.lower()}")
            for button in wing.buttons:
                kind = button.payload.KIND
                _add(self.buttons, kind, button, f"button kind {kind}")
            for reply in wing.replies:
                _add(self.replies, reply.payload.KIND, reply, f"reply kind {reply.payload.KIND}")

    async def command(self, ctx: Ctx, name: str, args: tuple[str, ...]) -> None:
        handler = self.commands.get(name.lower())
        if handler is None:
            ctx.say(UNKNOWN_COMMAND.format(name=name))
            return
        await handler(ctx, args)

    async def tap(self, ctx: Ctx, tap: Tap, ref: TokenRef | None, code: str) -> None:
        """A press of a button whose token `ref` the store found (None: it found none)."""
        member = ctx.member
        if ref is None or member is None or ref.member_id != member.id:
            ctx.actions.append(Toast(tap, STALE))
            return
        kind = _enum(TokenKind, ref.kind)
        button = None if kind is None else self.buttons.get(kind)
        payload = None if button is None else decode(button.payload, ref.ref)
        if button is None or payload is None:
            ctx.actions.append(Toast(tap, STALE))
            return
        await button.handle(ctx, tap, member, payload, code)

    async def text(self, ctx: Ctx, text: str) -> None:
        member = ctx.member
        stored = None if member is None else member.pending
        asked = None if stored is None else _enum(ReplyKind, str(stored.get("kind")))
        reply = None if asked is None else self.replies.get(asked)
        payload = None if stored is None or reply is None else decode(reply.payload, stored)
        if member is None or reply is None or payload is None:
            ctx.say(NO_REPLY_EXPECTED)
            return
        await reply.handle(ctx, member, payload, text)


E = TypeVar("E", TokenKind, ReplyKind)


def _enum(kind: type[E], stored: str) -> E | None:
    try:
        return kind(stored)
    except ValueError:
        return None


def _add(table: dict[Any, Any], key: Any, value: Any, what: str) -> None:
    if key in table:
        raise ValueError(f"{what} is declared twice")
    table[key] = value


async def issue_button(tx: Tx, member_id: int, payload: ButtonPayload, now: float) -> str:
    """A new token for a screen's buttons, shown to `member_id`, carrying `payload`."""
    return await tx.issue_token(member_id, payload.KIND.value, payload.to_ref(), now)


async def ask_reply(tx: Tx, member_id: int, payload: ReplyPayload | None) -> None:
    """Read the person's next message as `payload` says (None: as nothing asked for)."""
    await tx.set_pending(member_id, None if payload is None else payload.to_pending())
