"""The `tapmark` console script: the composition root that wires the core to its adapters.

The platform-neutral subcommands live in `bot.cli` (and `bot.cli_quality`); this module adds the
ones that need an adapter (`demo`, `run`) and turns expected errors into one line and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path

from adapters.console.app import run_console
from adapters.console.crowd import EXAMPLE, example_items, simulate
from bot import cli as core_cli
from bot.config import ConfigError, load_settings
from bot.core import Core
from bot.manage import import_batch, make_invite, save_project
from bot.projectfile import ProjectFileError, load_project_file
from storage import open_store
from storage.contract import StoreError
from storage.models import Role
from tasks.readers import BatchFileError

EXPECTED_ERRORS = (ConfigError, ProjectFileError, BatchFileError, StoreError)


def _demo(args: argparse.Namespace) -> int:
    if args.crowd is not None:
        report = asyncio.run(simulate(args.crowd, args.items, args.seed, args.db))
        if args.json:
            print(json.dumps(report))
        else:
            print(f"{report['crowd']} simulated annotators labeled {report['items']} items of "
                  f"{report['project']!r}: {report['items_finished']} finished, "
                  f"{report['answers']} answers, accuracy {report['accuracy']}")
            for a in report["annotators"]:
                print(f"  {a['annotator']}  {a['simulated_as']:<9} answers {a['answers']:>4}  "
                      f"gold {a['gold_correct']}/{a['gold_answers']}")
        return 0
    return asyncio.run(_interactive_demo(args.db, args.items))


async def _interactive_demo(db_url: str | None, items: int) -> int:
    with tempfile.TemporaryDirectory(prefix="tapmark-demo-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        async with open_store(url) as store:
            project, _ = await save_project(
                store, load_project_file(EXAMPLE / "project.toml"), update=True
            )
            content, _ = example_items(items)
            await import_batch(store, project.name, "demo.jsonl", content, True,
                               batch_name=f"demo-{Path(tmp).name}")
            invite = await make_invite(store, project.name, Role.ANNOTATOR, None, None)
            print(f"tapmark demo: {project.title}. Type a button's number to press it, "
                  "/help for commands, /quit to leave.")
            await run_console(Core(store), first=(f"/start {invite.code}",))
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    want_telegram = args.telegram or not (args.telegram or args.slack)
    want_slack = args.slack or not (args.telegram or args.slack)
    missing = []
    if want_telegram and settings.telegram_token is None:
        missing.append("TAPMARK_TELEGRAM_TOKEN (Telegram)")
    if want_slack and (settings.slack_bot_token is None or settings.slack_signing_secret is None):
        missing.append("TAPMARK_SLACK_BOT_TOKEN and TAPMARK_SLACK_SIGNING_SECRET (Slack)")
    configured = len(missing) < int(want_telegram) + int(want_slack)
    if not configured or (args.telegram and args.slack and missing):
        print("tapmark run: no chat platform is configured. Set " + ", or ".join(missing)
              + ". To try tapmark without any, run `tapmark demo`.", file=sys.stderr)
        return 2
    if args.slack or settings.telegram_token is None:
        print("tapmark run: the Slack adapter is not part of this build yet.", file=sys.stderr)
        return 2
    # Imported here: the library takes a while to load, and the other commands never need it.
    from telegram.error import InvalidToken, TelegramError

    from adapters.telegram import TelegramAdapter, TelegramConfig
    from adapters.telegram.logsafe import protect_logs

    config = TelegramConfig.from_settings(settings)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    protect_logs(config.token, config.webhook_secret or "")
    log = logging.getLogger("tapmark.run")
    db_url = getattr(args, "db", None) or settings.database_url

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with open_store(db_url) as store:
            adapter = TelegramAdapter(Core(store), config)
            try:
                await adapter.start()
            except InvalidToken:
                print("tapmark run: Telegram rejected TAPMARK_TELEGRAM_TOKEN.", file=sys.stderr)
                return 1
            except TelegramError as exc:
                reason = exc.message.replace(config.token, "<token>")
                print(f"tapmark run: cannot reach the Telegram Bot API at {config.root}: "
                      f"{reason}", file=sys.stderr)
                return 1
            except OSError as exc:  # the webhook's port is taken, or the host is not ours
                print(f"tapmark run: cannot listen on {settings.listen}: {exc.strerror or exc}",
                      file=sys.stderr)
                return 1
            log.info("tapmark run: serving @%s with the %s database; stop with Ctrl-C",
                     adapter.username, db_url.partition(":")[0])
            try:
                await stop.wait()
            finally:
                await adapter.stop()
        log.info("tapmark run: stopped")
        return 0

    return asyncio.run(serve())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tapmark", description="A chat-based annotation workplace."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    core_cli.register(sub)
    try:
        from bot import cli_quality
    except ImportError:
        pass
    else:
        cli_quality.register(sub)

    demo = sub.add_parser("demo", help="try tapmark in the terminal, or simulate a crowd")
    demo.add_argument("--crowd", type=int, help="simulate this many annotators instead")
    demo.add_argument("--items", type=int, default=200, help="items to label (default 200)")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--json", action="store_true", help="print the report as one JSON object")
    core_cli.add_db(demo)
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run the bot on the configured chat platforms")
    run.add_argument("--telegram", action="store_true", help="only Telegram")
    run.add_argument("--slack", action="store_true", help="only Slack")
    core_cli.add_db(run)
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EXPECTED_ERRORS as exc:
        print(f"tapmark: {exc}" if isinstance(exc, StoreError | ConfigError) else str(exc),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
