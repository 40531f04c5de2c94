"""What every subcommand shares: one-line usage errors, the database option, running an async
command against the store, and the headings `tapmark --help` files the commands under."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NoReturn

from bot.config import load_settings
from storage import open_store
from storage.contract import Store

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.web.settings import WebSettings
    from bot.core import Core


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: what is wrong and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class Heading(StrEnum):
    """The sections of `tapmark --help`, in the order it shows them."""

    PEOPLE = "projects and people"
    BATCHES = "batches and media"
    RESULTS = "results and quality"
    RUNNING = "running tapmark"


class Commands:
    """The top-level subcommands. Each module that registers one files it under a `Heading`,
    and the top-level help lists them under their headings."""

    def __init__(self, sub: argparse._SubParsersAction[Parser]) -> None:
        self._sub = sub
        self._filed: dict[Heading, list[argparse.Action]] = {heading: [] for heading in Heading}

    def add(self, heading: Heading, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the subcommand `name` (`kwargs` as for `add_parser`) under `heading`."""
        self._filed[heading].append(
            argparse.Action(option_strings=[], dest=name, help=kwargs.get("help"))
        )
        return self._sub.add_parser(name, **kwargs)

    def sections(self) -> list[tuple[Heading, list[argparse.Action]]]:
        """Each heading with its commands, in the order they were added; empty headings left out."""
        return [(heading, actions) for heading, actions in self._filed.items() if actions]


class TopParser(Parser):
    """The `tapmark` parser: its help lists the subcommands under their headings."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        sub = self.add_subparsers(
            dest="command", required=True, metavar="COMMAND", parser_class=Parser
        )
        self.commands = Commands(sub)

    def format_help(self) -> str:
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups)
        formatter.add_text(self.description)
        for heading, actions in self.commands.sections():
            formatter.start_section(heading)
            formatter.add_arguments(actions)
            formatter.end_section()
        formatter.start_section("options")
        formatter.add_arguments([a for a in self._actions if a.option_strings])
        formatter.end_section()
        formatter.add_text(f"{self.prog} COMMAND --help says more about one command.")
        return formatter.format_help()


def usage_error(command: str, message: str) -> int:
    """Say what is wrong with the command's arguments, in one line, and give exit status 2."""
    print(f"tapmark {command}: {message}", file=sys.stderr)
    return 2


def database_url(args: argparse.Namespace) -> str:
    return args.db or load_settings().database_url


def with_store(
    fn: Callable[[Store, argparse.Namespace], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    """Run an async command against the database named by --db."""

    def run(args: argparse.Namespace) -> int:
        async def go() -> int:
            async with open_store(database_url(args)) as store:
                return await fn(store, args)

        return asyncio.run(go())

    return run


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="database URL (sqlite:///PATH or postgresql://USER@HOST/DB)"
    )


async def serve_page(command: str, core: Core, settings: WebSettings) -> web.AppRunner | None:
    """Start the annotation page's server for `core`, or say in one line why it cannot listen
    (None)."""
    from adapters.web.server import PageServer, serve
    from bot.page.service import PageService

    try:
        return await serve(PageServer(PageService(core), settings))
    except OSError as exc:
        print(
            f"tapmark {command}: cannot listen on TAPMARK_WEB_LISTEN "
            f"({settings.host}:{settings.port}): {exc.strerror or exc}",
            file=sys.stderr,
        )
        return None
