"""The `tapmark` console script: the composition root that wires the core to its adapters.

The platform-neutral subcommands live in `cli.commands` (and `cli.quality`, `cli.report`);
this module adds the ones that need an adapter (`demo`, `run`) and turns expected errors into one
line and exit 1.
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
from collections.abc import Callable
from pathlib import Path

from adapters.console.app import run_console
from adapters.console.crowd import MAX_CROWD, demo_batch, example_items, example_size, simulate
from bot.config import ConfigError, Settings, load_settings
from bot.core import Core
from bot.managing.operations import make_invite
from bot.managing.projectfile import ProjectFileError
from bot.media.fetch import MediaFetcher
from bot.media.store import configured_media
from cli import commands as core_cli
from cli import common
from cli import report as cli_report
from cli.files import OutputError
from domain.enums import Role
from storage import open_store
from storage.contract import StoreError
from tasks.readers import BatchFileError

EXPECTED_ERRORS = (ConfigError, ProjectFileError, BatchFileError, StoreError, OutputError)


def _count(what: str, low: int, high: Callable[[], int], hint: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high()`, else a one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        top = high()
        if not low <= value <= top:
            raise argparse.ArgumentTypeError(f"{value} {what}: give {low} to {top}{hint}")
        return value

    return parse


def media_fetcher(settings: Settings) -> MediaFetcher:
    """What batch imports download media URLs with (aiohttp, imported only when needed)."""
    from adapters.fetch import HttpsFetcher

    return HttpsFetcher.from_settings(settings)


def _demo(args: argparse.Namespace) -> int:
    if args.json and args.crowd is None:
        return common.usage_error("demo", "--json goes with --crowd (the simulated crowd's report)")
    if args.crowd is not None:
        report = asyncio.run(simulate(args.crowd, args.items, args.seed, args.db))
        if args.json:
            print(json.dumps(report))
        else:
            again = " (resumed the earlier run on this database)" if report["resumed"] else ""
            print(
                f"{report['crowd']} simulated annotators labeled {report['items']} items of "
                f"{report['project']!r}{again}: {report['items_finished']} finished, "
                f"{report['answers']} answers, accuracy {report['accuracy']}"
            )
            for a in report["annotators"]:
                print(
                    f"  {a['annotator']}  {a['simulated_as']:<9} answers {a['answers']:>4}  "
                    f"gold {a['gold_correct']}/{a['gold_answers']}"
                )
        return 0
    return asyncio.run(_interactive_demo(args.db, args.items))


async def _interactive_demo(db_url: str | None, items: int) -> int:
    with tempfile.TemporaryDirectory(prefix="tapmark-demo-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        async with open_store(url) as store:
            name = f"demo-{items}"
            content, _ = example_items(items, name)
            project, _ = await demo_batch(store, content, name)
            invite = await make_invite(store, project.name, Role.ANNOTATOR, None, None)
            print(
                f"tapmark demo: {project.title}. Type a button's number to press it, "
                "/help for commands, /quit to leave."
            )
            await run_console(Core(store), first=(f"/start {invite.code}",))
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    want_telegram = args.telegram or not (args.telegram or args.slack)
    want_slack = args.slack or not (args.telegram or args.slack)
    slack_set = settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    missing = []
    if want_telegram and settings.telegram_token is None:
        missing.append("TAPMARK_TELEGRAM_TOKEN (Telegram)")
    if want_slack and not slack_set:
        missing.append("TAPMARK_SLACK_BOT_TOKEN and TAPMARK_SLACK_SIGNING_SECRET (Slack)")
    configured = len(missing) < int(want_telegram) + int(want_slack)
    if not configured or (args.telegram and args.slack and missing):
        print(
            "tapmark run: no chat platform is configured. Set "
            + ", or ".join(missing)
            + ". To try tapmark without any, run `tapmark demo`.",
            file=sys.stderr,
        )
        return 2
    run_telegram = want_telegram and settings.telegram_token is not None
    run_slack = want_slack and slack_set
    # Imported here: the libraries take a while to load, and the other commands never need them.
    from adapters.health import HealthServer
    from adapters.slack import SlackAdapter, SlackConfig
    from adapters.slack.logsafe import protect_logs as protect_slack_logs
    from adapters.telegram import TelegramAdapter, TelegramConfig
    from adapters.telegram.logsafe import protect_logs as protect_telegram_logs
    from bot.jobs.scheduler import Scheduler

    telegram = TelegramConfig.from_settings(settings) if run_telegram else None
    slack = SlackConfig.from_settings(settings) if run_slack else None
    both_listen = telegram is not None and bool(telegram.webhook_url)
    if both_listen and slack is not None and not slack.socket_mode:
        print(
            "tapmark run: the Telegram webhook and Slack's HTTP mode would both listen on "
            f"TAPMARK_LISTEN ({settings.listen}). Set TAPMARK_SLACK_APP_TOKEN for Socket Mode, "
            "or run two processes, `tapmark run --telegram` and `tapmark run --slack`, each "
            "with its own TAPMARK_LISTEN.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "DEBUG":  # APScheduler logs every tick at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if telegram is not None:
        protect_telegram_logs(telegram.token, telegram.webhook_secret or "")
    if slack is not None:
        protect_slack_logs(*slack.secrets())
    log = logging.getLogger("tapmark.run")
    db_url = getattr(args, "db", None) or settings.database_url

    async def start_telegram(adapter: TelegramAdapter, config: TelegramConfig) -> bool:
        from telegram.error import InvalidToken, TelegramError

        try:
            await adapter.start()
        except InvalidToken:
            print("tapmark run: Telegram rejected TAPMARK_TELEGRAM_TOKEN.", file=sys.stderr)
            return False
        except TelegramError as exc:
            reason = exc.message.replace(config.token, "<token>")
            print(
                f"tapmark run: cannot reach the Telegram Bot API at {config.root}: {reason}",
                file=sys.stderr,
            )
            return False
        except OSError as exc:  # the webhook's port is taken, or the host is not ours
            print(
                f"tapmark run: cannot listen on {settings.listen}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return False
        return True

    async def start_slack(adapter: SlackAdapter, config: SlackConfig) -> bool:
        import aiohttp
        from slack_sdk.errors import SlackApiError, SlackClientError

        from adapters.slack.logsafe import MIN_SECRET

        def clean(text: str) -> str:
            for secret in config.secrets():
                if len(secret) >= MIN_SECRET:  # a toy secret ("s") would eat every "s"
                    text = text.replace(secret, "<secret>")
            return text

        try:
            await adapter.start()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in {
                "invalid_auth",
                "not_authed",
                "token_revoked",
                "account_inactive",
                "token_expired",
            }:
                which = "TAPMARK_SLACK_BOT_TOKEN"
                if config.socket_mode and "apps.connections" in str(exc):
                    which = "TAPMARK_SLACK_APP_TOKEN"
                print(f"tapmark run: Slack rejected {which} ({error}).", file=sys.stderr)
            else:
                print(
                    f"tapmark run: the Slack Web API at {config.base_url} answered {clean(error)}.",
                    file=sys.stderr,
                )
            return False
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            reason = clean(str(exc) or type(exc).__name__)
            print(
                f"tapmark run: cannot reach the Slack Web API at {config.base_url}: {reason}",
                file=sys.stderr,
            )
            return False
        except OSError as exc:  # the port is taken, or the host is not ours
            print(
                f"tapmark run: cannot listen on {settings.listen}: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return False
        return True

    async def serve() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with open_store(db_url) as store:
            core = Core(
                store,
                admins=settings.admin_ids(),
                media=configured_media(settings, db_url),
                fetcher=media_fetcher(settings),
                limits=settings.batch_limits(),
            )
            scheduler = Scheduler(store, is_leader=store.try_lead) if settings.scheduler else None
            running: list[TelegramAdapter | SlackAdapter] = []
            health: HealthServer | None = None
            names: list[str] = []
            try:
                if telegram is not None:
                    tg_adapter = TelegramAdapter(core, telegram)
                    if not await start_telegram(tg_adapter, telegram):
                        return 1
                    running.append(tg_adapter)
                    names.append(f"@{tg_adapter.username} on Telegram")
                    named = settings.telegram_bot_name
                    if tg_adapter.username and (named or "").lower() != tg_adapter.username.lower():
                        log.warning(
                            "TAPMARK_TELEGRAM_BOT_NAME is %s, but this bot is @%s: set "
                            "TAPMARK_TELEGRAM_BOT_NAME=%s so that `tapmark invite` "
                            "prints its link",
                            named or "not set",
                            tg_adapter.username,
                            tg_adapter.username,
                        )
                if slack is not None:
                    slack_adapter = SlackAdapter(core, slack)
                    if not await start_slack(slack_adapter, slack):
                        return 1
                    running.append(slack_adapter)
                    names.append(f"@{slack_adapter.bot_name} on Slack")
                if scheduler is not None:
                    scheduler.start()
                if settings.health_listen != "off":
                    probes = {
                        type(a).__name__.removesuffix("Adapter").lower(): a.healthy for a in running
                    }
                    health = HealthServer(
                        store, probes, *settings.listen_host_port("health_listen")
                    )
                    try:
                        await health.start()
                    except OSError as exc:
                        print(
                            f"tapmark run: cannot listen on TAPMARK_HEALTH_LISTEN "
                            f"({settings.health_listen}): {exc.strerror or exc}",
                            file=sys.stderr,
                        )
                        return 1
                log.info(
                    "tapmark run: serving %s with the %s database, scheduled messages %s;"
                    " stop with Ctrl-C",
                    " and ".join(names),
                    db_url.partition(":")[0],
                    "on" if scheduler is not None else "off (TAPMARK_SCHEDULER)",
                )
                await stop.wait()
            finally:
                if health is not None:
                    await health.stop()
                if scheduler is not None:
                    await scheduler.stop()
                for adapter in reversed(running):
                    await adapter.stop()
        log.info("tapmark run: stopped")
        return 0

    return asyncio.run(serve())


def build_parser() -> argparse.ArgumentParser:
    parser = common.Parser(prog="tapmark", description="A chat-based annotation workplace.")
    sub: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", required=True, parser_class=common.Parser
    )
    core_cli.register(sub, fetcher=media_fetcher)
    try:
        from cli import quality as cli_quality
    except ImportError:
        pass
    else:
        cli_quality.register(sub)
    cli_report.register(sub)

    demo = sub.add_parser(
        "demo",
        help="try tapmark in the terminal, or simulate a crowd",
        description="Label the bundled example in the terminal, or watch a simulated crowd "
        "label it. With --db the run is kept, and the same run again on that "
        "database carries on where it stopped.",
    )
    demo.add_argument(
        "--crowd",
        type=_count("annotators", 1, lambda: MAX_CROWD),
        help=f"simulate this many annotators instead (1 to {MAX_CROWD})",
    )
    demo.add_argument(
        "--items",
        default=200,
        type=_count("items", 1, example_size, " (all the example holds)"),
        help="items to label (default 200; the example holds 1920)",
    )
    demo.add_argument("--seed", type=int, default=1, help="the simulation's seed (default 1)")
    demo.add_argument(
        "--json",
        action="store_true",
        help="with --crowd: print the report as one JSON object, and only that",
    )
    common.add_db(demo)
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="run the bot on the configured chat platforms")
    run.add_argument("--telegram", action="store_true", help="only Telegram")
    run.add_argument("--slack", action="store_true", help="only Slack")
    common.add_db(run)
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except EXPECTED_ERRORS as exc:
        print(
            f"tapmark: {exc}" if isinstance(exc, StoreError | ConfigError) else str(exc),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
