"""What every subcommand shares: one-line usage errors, the database option, running an async
command against the store."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

from bot.config import load_settings
from storage import open_store
from storage.contract import Store


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: what is wrong and where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
