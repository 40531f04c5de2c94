"""``tapmark report PROJECT [--json] [--png FILE]``: the managers' report from the command line.

Text by default (what /report says in chat, without the markup); ``--json`` the same figures as
one JSON object (and nothing else on standard output); ``--png out/report.png`` also writes the
three charts next to that name, as ``report-answers.png``, ``report-batches.png`` and
``report-quality.png``, making the folder when it is missing; all three or none.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from bot.chat.markup import plain
from bot.managing.operations import require_project
from bot.reports.report import draw_charts, summary, summary_json, summary_text
from cli.common import Commands, Heading, add_db, with_store
from cli.files import replace_files
from storage.contract import Store


def chart_paths(png: str, names: list[str]) -> list[Path]:
    """``out/report.png`` (or ``out/report``) and chart names as ``out/report-NAME.png``."""
    base = Path(png)
    stem = base.stem if base.suffix.lower() == ".png" else base.name
    return [base.with_name(f"{stem}-{name}.png") for name in names]


async def _report(store: Store, args: argparse.Namespace) -> int:
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        report = await summary(tx, project, time.time())
    if args.json:
        print(json.dumps(summary_json(report), ensure_ascii=False))
    else:
        print(plain(summary_text(report)))
    if args.png:
        charts = await asyncio.to_thread(draw_charts, report)
        paths = chart_paths(args.png, [c.name for c in charts])
        replace_files({path: chart.png for path, chart in zip(paths, charts, strict=True)})
        for path in paths:
            print(f"wrote {path}", file=sys.stderr)
    return 0


def register(sub: Commands) -> None:
    report = sub.add(
        Heading.RESULTS,
        "report",
        help="a project's report: batches and deadlines, today, agreement, quality",
    )
    report.add_argument("project")
    report.add_argument("--json", action="store_true", help="the figures as one JSON object")
    report.add_argument(
        "--png",
        metavar="FILE",
        help="also write the charts: FILE-answers.png, FILE-batches.png, "
        "FILE-quality.png (FILE without its .png)",
    )
    add_db(report)
    report.set_defaults(func=with_store(_report))
