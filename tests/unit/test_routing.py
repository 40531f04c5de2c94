"""The router: wings declare commands, button kinds and reply kinds; the core looks them up."""

from __future__ import annotations

import random
from typing import Any, cast

import pytest

from bot.chat.actions import Send, Toast
from bot.chat.events import Actor, Tap
from bot.context import Ctx
from bot.core import ROUTER
from bot.routing import (
    NO_REPLY_EXPECTED,
    STALE,
    Button,
    Reply,
    Router,
    Routes,
)
from domain.entities import Member, TokenRef
from domain.enums import ReplyKind, TokenKind
from domain.tokens import NoteText, PingText, ReviewCard, SentBack
from storage.contract import Tx

ME = Actor("console", "u1")


def ctx(member: Member | None) -> Ctx:
    return Ctx(tx=cast(Tx, None), now=0.0, actor=ME, rng=random.Random(0), member=member)


def member(pending: dict[str, Any] | None = None) -> Member:
    return Member(id=7, pseudonym="a1", name="Ann", project_id=None, pending=pending)


def token(kind: str, ref: dict[str, Any], member_id: int = 7) -> TokenRef:
    return TokenRef(token="t", member_id=member_id, kind=kind, ref=ref, created_at=0.0)


class Seen:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def back(self, c: Ctx, tap: Tap, m: Member, card: SentBack, code: str) -> None:
        self.calls.append(("back", m.id, card, code))

    async def note(self, c: Ctx, m: Member, reply: NoteText, text: str) -> None:
        self.calls.append(("note", m.id, reply, text))

    async def ping(self, c: Ctx, m: Member, reply: PingText, text: str) -> None:
        self.calls.append(("ping", m.id, reply, text))

    async def hello(self, c: Ctx, args: tuple[str, ...]) -> None:
        self.calls.append(("hello", args))


def wing(seen: Seen) -> Routes:
    return Routes(
        commands={"Hello": seen.hello},
        buttons=(Button(SentBack, seen.back),),
        replies=(Reply(NoteText, seen.note), Reply(PingText, seen.ping)),
    )


async def test_a_declared_button_gets_its_typed_payload_and_the_pressed_code() -> None:
    seen = Seen()
    router = Router(wing(seen))
    c = ctx(member())
    tap = Tap(ME, "t:k")
    await router.tap(c, tap, token("back", {"f": 3, "a": 9}), "k")
    assert seen.calls == [("back", 7, SentBack(flag_id=3, answer_id=9), "k")]
    assert c.actions == []


@pytest.mark.parametrize(
    ("ref", "member_id"),
    [
        (token("back", {"f": 3, "a": 9}, member_id=8), 7),  # issued to someone else
        (token("review", {"f": 3}), 7),  # a kind this router was not given
        (token("gone", {"f": 3}), 7),  # a kind that no longer exists
        (token("back", {"f": 3}), 7),  # a payload missing a field
        (token("back", {"f": "x", "a": 9}), 7),  # a payload that is not a number
        (None, 7),  # no such token
    ],
)
async def test_a_press_that_does_not_fit_is_stale_and_reaches_no_handler(
    ref: TokenRef | None, member_id: int
) -> None:
    seen = Seen()
    router = Router(wing(seen))
    c = ctx(member())
    tap = Tap(ME, "t:k")
    await router.tap(c, tap, ref, "k")
    assert seen.calls == []
    assert c.actions == [Toast(tap, STALE)]


async def test_a_press_by_someone_unknown_is_stale() -> None:
    seen = Seen()
    c = ctx(None)
    tap = Tap(ME, "t:k")
    await Router(wing(seen)).tap(c, tap, token("back", {"f": 3, "a": 9}), "k")
    assert seen.calls == [] and c.actions == [Toast(tap, STALE)]


async def test_typed_text_goes_to_the_reply_that_was_asked_for() -> None:
    seen = Seen()
    router = Router(wing(seen))
    await router.text(ctx(member(PingText(4, to=(1, 2)).to_pending())), "hi")
    await router.text(ctx(member(PingText(5).to_pending())), "all")
    await router.text(ctx(member(NoteText(6).to_pending())), "note")
    assert seen.calls == [
        ("ping", 7, PingText(flag_id=4, to=(1, 2)), "hi"),
        ("ping", 7, PingText(flag_id=5, to=None), "all"),
        ("note", 7, NoteText(flag_id=6), "note"),
    ]


@pytest.mark.parametrize(
    "pending", [None, {"kind": "result", "f": 1}, {"kind": "note"}, {"kind": "nonsense"}, {}]
)
async def test_text_nobody_asked_for_gets_the_hint(pending: dict[str, Any] | None) -> None:
    seen = Seen()
    c = ctx(member(pending))
    await Router(wing(seen)).text(c, "hello")
    assert seen.calls == []
    assert [a.screen.text for a in c.actions if isinstance(a, Send)] == [NO_REPLY_EXPECTED]


async def test_commands_are_found_whatever_their_case_and_unknown_ones_say_so() -> None:
    seen = Seen()
    router = Router(wing(seen))
    await router.command(ctx(member()), "HELLO", ("a",))
    c = ctx(member())
    await router.command(c, "nope", ())
    assert seen.calls == [("hello", ("a",))]
    assert [a.screen.text for a in c.actions if isinstance(a, Send)] == [
        "I do not know /nope. /help lists what I understand."
    ]


def test_a_name_or_kind_declared_by_two_wings_is_refused() -> None:
    seen = Seen()
    with pytest.raises(ValueError, match="command /hello is declared twice"):
        Router(Routes(commands={"hello": seen.hello}), Routes(commands={"HELLO": seen.hello}))
    with pytest.raises(ValueError, match="button kind back is declared twice"):
        Router(wing(seen), Routes(buttons=(Button(SentBack, seen.back),)))
    with pytest.raises(ValueError, match="reply kind note is declared twice"):
        note = Routes(replies=(Reply(NoteText, seen.note),))
        Router(note, note)


def test_the_core_routes_every_button_kind_and_reply_kind_exactly_once() -> None:
    assert set(ROUTER.buttons) == set(TokenKind)
    assert set(ROUTER.replies) == set(ReplyKind)
    assert all(b.payload.KIND == kind for kind, b in ROUTER.buttons.items())
    assert ROUTER.buttons[TokenKind.REVIEW].payload is ReviewCard


def test_the_core_knows_the_commands_the_help_and_the_platforms_list() -> None:
    assert {"start", "next", "undo", "review", "batches", "link", "mute", "export"} <= set(
        ROUTER.commands
    )
