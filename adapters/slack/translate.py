"""Slack requests as core events: who did what, with nothing of Bolt or the payloads left.

A person is named per workspace, ``<team_id>:<user_id>``: the same Slack user id in another
workspace is another identity. The workspace is the one the request came from.
"""

from __future__ import annotations

from typing import Any

from bot.chat.events import Actor, Command, MessageRef, Tap, Text

PLATFORM = "slack"
HELP = "help"

Body = dict[str, Any]


def actor(team_id: str, user_id: str, name: str = "") -> Actor:
    return Actor(PLATFORM, f"{team_id}:{user_id}", name)


def split_actor(person: Actor) -> tuple[str, str]:
    """The (team id, user id) an actor's user_id names."""
    team, _, user = person.user_id.rpartition(":")
    return team, user


def parse_command(text: str) -> tuple[str, tuple[str, ...]]:
    """``start CODE`` -> ("start", ("CODE",)); nothing at all is help."""
    words = text.split()
    if not words:
        return HELP, ()
    return words[0].lstrip("/").lower(), tuple(words[1:])


def command_event(body: Body) -> Command:
    """A ``/tapmark <subcommand> <args>`` slash command."""
    name, args = parse_command(str(body.get("text") or ""))
    person = actor(str(body["team_id"]), str(body["user_id"]), str(body.get("user_name") or ""))
    return Command(person, name, args, chat=str(body.get("channel_id") or ""))


def _team_of(body: Body) -> str:
    team = body.get("team") or {}
    user = body.get("user") or {}
    return str(team.get("id") or user.get("team_id") or body.get("team_id") or "")


def tap_actor(body: Body) -> Actor:
    user = body["user"]
    name = str(user.get("name") or user.get("username") or "")
    return actor(_team_of(body), str(user["id"]), name)


def tapped_message(body: Body) -> MessageRef | None:
    """The message a button sat on (None for a button in the App Home tab)."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        return None
    return MessageRef(PLATFORM, str(channel), str(ts))


def tap_event(body: Body, action: Body) -> Tap:
    return Tap(tap_actor(body), str(action.get("value") or ""), tapped_message(body))


def event_actor(body: Body, event: Body) -> Actor:
    team = body.get("team_id") or event.get("team") or ""
    return actor(str(team), str(event["user"]))


def is_person_dm(event: Body) -> bool:
    """A person's own plain message in a direct message with the bot (no edits, joins, bots)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(event.get("text"))
    )


def text_event(body: Body, event: Body) -> Text:
    return Text(event_actor(body, event), str(event["text"]), chat=str(event.get("channel") or ""))
