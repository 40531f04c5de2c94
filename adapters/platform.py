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
from dataclasses import dataclass
from typing import Protocol

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


@dataclass(frozen=True)
class Wiring:
    """What the root hands every platform."""

    core: Core
    uploads: UploadRefs
    """Where the platform's references to files it uploaded are kept (in the database)."""
    listen: tuple[str, int]
    """TAPMARK_LISTEN, for a platform that serves HTTP."""


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
