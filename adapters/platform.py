"""What the composition root (`cli.run`) needs of a chat platform, and nothing more.

Each platform folder declares one `PlatformEntry` (in its `platform` module): whether the
environment configures it, whether it would take TAPMARK_LISTEN, and how to launch it. Launching
builds the adapter from what the root hands every platform (`Wiring`), keeps its secrets out
of the logs, and starts it; a platform that cannot start raises `StartupFailure` with one line
for the operator, its own errors decoded and its secrets removed. The root then only
orchestrates: which platforms, start in turn, health probes, stop in reverse.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.chat.actions import Screen
from bot.core import Core
from bot.media.store import UploadRefs


class StartupFailure(Exception):
    """A platform could not start: the reason, as one line with no secret in it."""


class Adapter(Protocol):
    """A started platform: healthy while it serves; `description` names it in the log."""

    @property
    def description(self) -> str: ...

    def healthy(self) -> bool: ...

    async def stop(self) -> None: ...


class PageLinks(Protocol):
    """Addresses of the annotation page (`adapters.web`) for a task card's page button."""

    def mini_app(self, lease: str) -> str:
        """For a Telegram ``web_app`` button: the page proves the person by its initData."""
        ...

    def link(self, person: str, lease: str) -> str:
        """For a link button (Slack, the console): a signed, short-lived address for `person`
        (``"<platform>:<user id>"``) and `lease` only."""
        ...


def with_page_urls(screen: Screen, url_for: Callable[[str], str]) -> Screen:
    """The screen with the address of every page button filled in (`url_for` of its lease)."""
    if not any(b.page for row in screen.keyboard for b in row):
        return screen
    rows = tuple(
        tuple(replace(b, url=url_for(b.page)) if b.page else b for b in row)
        for row in screen.keyboard
    )
    return replace(screen, keyboard=rows)


@dataclass(frozen=True)
class Wiring:
    """What the root hands every platform."""

    core: Core
    uploads: UploadRefs
    """Where the platform's references to files it uploaded are kept (in the database)."""
    listen: tuple[str, int]
    """TAPMARK_LISTEN, for a platform that serves HTTP."""
    page: PageLinks | None = None
    """The annotation page, when it is set up (TAPMARK_WEB_URL): task cards link to it."""


@dataclass(frozen=True)
class PlatformEntry:
    name: str
    """The platform's short name: its ``--name`` flag, its health probe and its events."""
    title: str
    """Its name for people ("Telegram")."""
    needs: str
    """The settings that configure it, for the message when none is configured."""
    configured: Callable[[], bool]
    """Whether the environment holds what the platform needs (a bad value raises ConfigError)."""
    listener: Callable[[], str | None]
    """What would listen on TAPMARK_LISTEN once started (None: nothing), for the clash message."""
    launch: Callable[[Wiring], Awaitable[Adapter]]
    """Build, protect the logs, start; raises `StartupFailure`."""


def cannot_listen(listen: tuple[str, int], exc: OSError) -> StartupFailure:
    """The failure of a platform whose port is taken or whose host is not this machine's."""
    host, port = listen
    return StartupFailure(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
