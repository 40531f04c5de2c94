"""Events: what a person did, as plain frozen data, with no trace of the platform's objects.

Adapters build these from platform updates and hand them to `Core.handle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: the platform, the platform's user id there, and a display name.

    `user_id` is whatever uniquely names the person on that platform (for Slack, team and
    user joined as ``T0:U1``). The core maps it to a member through its identities.
    """

    platform: str
    user_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class MessageRef:
    """A message the platform already shows, named in the adapter's own terms.

    The core never looks inside `id`; it only hands it back in an `Edit`.
    """

    platform: str
    chat: str
    id: str


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command such as ``/start CODE``: `name` without the slash, `args` split on spaces."""

    actor: Actor
    name: str
    args: tuple[str, ...] = ()
    chat: str = ""


@dataclass(frozen=True, slots=True)
class Tap:
    """A button press: the opaque token the button carried and the message it sat on."""

    actor: Actor
    token: str
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """A plain text message (a reason, a comment, later free-text answers)."""

    actor: Actor
    text: str
    reply_to: MessageRef | None = None
    chat: str = ""


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the person sent into the chat."""

    actor: Actor
    filename: str
    content: bytes = field(repr=False)
    chat: str = ""


Event = Command | Tap | Text | Upload
