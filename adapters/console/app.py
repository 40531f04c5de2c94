"""The interactive console: one person at a terminal, using the same core as the chat apps.

A screen prints with numbered buttons; type a number to press one, ``/command args`` for a
command, or any other text to send it as a message. ``/quit``, end of input or Ctrl-C leaves
at once, saying goodbye.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from adapters.console.recorder import Recorder
from adapters.markdown import render as render_markdown
from bot.chat.actions import Action, Edit, Send, SendFile, Toast
from bot.chat.markup import plain
from bot.core import Core

QUIT_HELP = "/quit — leave the console (Ctrl-C or end of input too)"
GOODBYE = "Goodbye! Your answers are saved; run the demo again to go on."


PageLink = Callable[[str], str]
"""The address of the annotation page for a page button's lease (see `adapters.web.links`)."""


def render(action: Action, page: PageLink | None = None) -> str:
    """The action as the terminal shows it; a page button with its link when `page` is given."""
    if isinstance(action, Send | Edit):
        text = action.screen.text
        shown = render_markdown(text, "plain") if action.screen.markdown else plain(text)
        lines = ["", "─" * 60, shown]
        if action.screen.media is not None:
            lines.append(f"[{action.screen.media.kind}: {action.screen.media.ref}]")
        numbered = action.screen.buttons()
        if numbered:
            lines.append("")
            lines.extend(
                f"  [{i}] {b.label}" + (f": {page(b.page)}" if page is not None and b.page else "")
                for i, b in enumerate(numbered, start=1)
            )
        return "\n".join(lines)
    if isinstance(action, Toast):
        return f"  ({action.text})"
    return f"  [file {action.name}, {len(action.data)} bytes]"


async def run_console(
    core: Core,
    user_id: str = "you",
    name: str = "You",
    first: tuple[str, ...] = (),
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    page: PageLink | None = None,
) -> None:
    """Read lines until /quit or end of input; `first` are lines handled before reading;
    `page`: how a page button's link is shown (else it is a button like the others).

    Lines are read by a daemon thread, so Ctrl-C (which cancels this coroutine) ends the
    program at once instead of waiting for a blocked read to see Enter."""
    try:
        await _session(core, user_id, name, first, stdin, stdout, page)
    finally:
        print(f"\n{GOODBYE}", file=stdout, flush=True)


def _reader(stdin: TextIO) -> asyncio.Queue[str]:
    """A queue of the lines typed, with ``""`` at end of input."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = stdin.readline()
            try:
                loop.call_soon_threadsafe(lines.put_nowait, line)
            except RuntimeError:
                return
            if not line:
                return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return lines


async def _session(
    core: Core,
    user_id: str,
    name: str,
    first: tuple[str, ...],
    stdin: TextIO,
    stdout: TextIO,
    page: PageLink | None = None,
) -> None:
    recorder = Recorder(core)
    person = recorder.person(user_id, name)
    pending = list(first)
    typed: asyncio.Queue[str] | None = None

    def out(actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, SendFile):
                continue
            print(render(action, page), file=stdout)
        stdout.flush()

    while True:
        if pending:
            line = pending.pop(0)
        else:
            print("\n> ", end="", file=stdout, flush=True)
            typed = typed or _reader(stdin)
            line = await typed.get()
            if not line:
                return
        line = line.strip()
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line.isdigit():
            message = person.chat.last_with_buttons()
            buttons = message.screen.buttons() if message else []
            index = int(line) - 1
            if not 0 <= index < len(buttons) or message is None:
                print(f"  (no button {line} on screen)", file=stdout)
                continue
            out(await person.tap_token(buttons[index].token, message.id))
        elif line.startswith("/"):
            name_, *args = line[1:].split()
            out(await person.command(name_, *args))
            if name_ == "help":
                print(QUIT_HELP, file=stdout)
        else:
            out(await person.text(line))
