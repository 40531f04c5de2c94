"""Actions: what the core asks an adapter to do, as plain data.

A `Screen` is text in a small Markdown subset (``*bold*``, ``_italic_``, backticked code), optional
media, and a keyboard: rows of buttons, each a label and an opaque token of at most 64 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.chat.events import Actor, MessageRef, Tap


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    token: str
    page: str = ""
    """For a button that opens the annotation page: the task card token naming the lease. An
    adapter with the page set up turns it into a Mini App or link button and fills `url`;
    without it, a press comes back to the core like any other (with the code ``PAGE``)."""
    url: str = ""
    """The page's address for this person and lease, filled in by the adapter."""


@dataclass(frozen=True, slots=True)
class Media:
    """A picture, sound or video to show with the text: a URL or a path the adapter can read.

    `kind` is ``image``, ``audio`` or ``video``. `key` is the content hash of a stored file
    (empty for a URL): adapters upload a file once per platform and reuse what the platform
    gave back for that key (see `bot.media.store.UploadRefs`)."""

    kind: str
    ref: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Screen:
    text: str
    keyboard: tuple[tuple[Button, ...], ...] = ()
    media: Media | None = None
    markdown: bool = False
    """The text is a CommonMark document (a guideline), not the screens' Markdown subset:
    adapters render it with a Markdown parser and split it at their own limits."""

    def buttons(self) -> list[Button]:
        return [b for row in self.keyboard for b in row]


@dataclass(frozen=True, slots=True)
class Send:
    """Send a new message to a person, named by a platform identity."""

    to: Actor
    screen: Screen


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the content of a message already shown (the adapter sends anew if it cannot)."""

    message: MessageRef
    screen: Screen
    to: Actor


@dataclass(frozen=True, slots=True)
class Toast:
    """A short confirmation attached to a button press (at most 200 characters)."""

    tap: Tap
    text: str


@dataclass(frozen=True, slots=True)
class SendFile:
    to: Actor
    name: str
    data: bytes = field(repr=False)
    caption: str = ""


Action = Send | Edit | Toast | SendFile
