"""The `tapmark` console script: its parser, and expected errors as one line and exit 1.

The platform-neutral subcommands live in `cli.commands` (and `cli.quality`, `cli.report`); `demo`
is here; `run`, the composition root that wires the core to the chat platforms, is `cli.run`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from adapters.console.app import run_console
from adapters.console.crowd import MAX_CROWD, demo_batch, example_items, example_size, simulate
from adapters.console.region_crowd import (
    MAX_REGION_ITEMS,
    REGION_TASKS,
    region_project,
    simulate_regions,
)
from bot.config import ConfigError
from bot.core import Core
from bot.managing.operations import make_invite
from bot.managing.projectfile import ProjectFileError
from bot.media.store import MediaStore
from cli import commands as core_cli
from cli import common
from cli import report as cli_report
from cli import run as cli_run
from cli.files import OutputError
from cli.run import media_fetcher
from domain.enums import Role
from storage import open_store
from storage.contract import StoreError
from tasks.readers import BatchFileError
from tasks.regions.synth import TaskName, example_set

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


def _demo(args: argparse.Namespace) -> int:
    if args.json and args.crowd is None:
        return common.usage_error("demo", "--json goes with --crowd (the simulated crowd's report)")
    if args.task != "reviews":
        if args.crowd is None:
            return asyncio.run(_interactive_region_demo(args.db, args.task, args.items))
        return _region_demo(args)
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


def _region_demo(args: argparse.Namespace) -> int:
    items = min(args.items, MAX_REGION_ITEMS)
    report = asyncio.run(simulate_regions(args.task, args.crowd, items, args.seed, args.db))
    if args.json:
        print(json.dumps(report))
        return 0
    print(
        f"{report['crowd']} simulated annotators marked {report['items']} pictures of "
        f"{report['project']!r} in the annotation page: {report['items_finished']} finished "
        f"({report['disputed']} disputed), {report['answers_per_item']} answers a picture, "
        f"the consensus's mean IoU with the truth {report['consensus_mean_iou']}"
    )
    for a in report["annotators"]:
        print(
            f"  {a['annotator']}  {a['simulated_as']:<9} answers {a['answers']:>4}  "
            f"gold {a['gold_correct']}/{a['gold_answers']}  {a['status']}, "
            f"qualification {a['qualification']}"
        )
    return 0


async def _interactive_region_demo(db_url: str | None, task: TaskName, items: int) -> int:
    """The region demo for one person: the console for the chat, and the annotation page
    served on this machine (TAPMARK_WEB_LISTEN, 127.0.0.1:8088), each task card's button
    printed as a link that opens it."""
    from adapters.web.links import Links
    from adapters.web.settings import SettingsError, local_settings

    try:
        page = local_settings()
    except SettingsError as exc:
        return common.usage_error("demo", str(exc))
    with tempfile.TemporaryDirectory(prefix="tapmark-demo-") as tmp:
        url = db_url or f"sqlite:///{Path(tmp) / 'demo.db'}"
        media = MediaStore(Path(tmp) / "media")
        async with open_store(url) as store:
            name = f"{task}-demo-{min(items, MAX_REGION_ITEMS)}"
            scenes = example_set(task, min(items, MAX_REGION_ITEMS))
            code = await region_project(store, media, task, name, scenes, qualification=0)
            core = Core(store, media=media)
            runner = await common.serve_page("demo", core, page)
            if runner is None:
                return 1
            links = Links(page)
            print(
                f"tapmark demo: mark the shapes on {len(scenes)} pictures. Each task's link "
                "opens the annotation page in a browser on this machine; type a button's "
                "number to press it, /quit to leave."
            )
            try:
                await run_console(
                    core,
                    first=(f"/start {code}",),
                    page=lambda lease: links.link("console:you", lease),
                )
            finally:
                await runner.cleanup()
    return 0


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


def build_parser() -> argparse.ArgumentParser:
    parser = common.TopParser(prog="tapmark", description="A chat-based annotation workplace.")
    sub = parser.commands
    core_cli.register(sub, fetcher=media_fetcher)
    try:
        from cli import quality as cli_quality
    except ImportError:
        pass
    else:
        cli_quality.register(sub)
    cli_report.register(sub)

    demo = sub.add(
        common.Heading.RUNNING,
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
        "--task",
        choices=("reviews", *REGION_TASKS),
        default="reviews",
        help="label the review sentiments (default), or draw boxes or polygons on synthetic "
        f"pictures in the annotation page (at most {MAX_REGION_ITEMS}): with --crowd a "
        "simulated crowd does, else you do, the page served on TAPMARK_WEB_LISTEN",
    )
    demo.add_argument(
        "--json",
        action="store_true",
        help="with --crowd: print the report as one JSON object, and only that",
    )
    common.add_db(demo)
    demo.set_defaults(func=_demo)

    cli_run.register(sub)
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
