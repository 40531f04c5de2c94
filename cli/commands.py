"""The platform-neutral half of the `tapmark` command: projects, batches, invites, exports,
migrations. The console script itself lives in `cli/main.py`, the one place that wires the
adapters in, so that `bot/` never imports one.

Every subcommand that reads the database takes ``--db URL``; the default is
TAPMARK_DATABASE_URL, else ``sqlite:///./tapmark.db``. A command returns its exit status: 0 done,
1 bad input (nothing written), 2 bad usage (one line, from `Parser.error`).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path

from adapters.telegram.config import TelegramSettings
from bot.config import Settings, load_settings, read_settings
from bot.exports.annotators import export_annotators, period
from bot.exports.formats import FORMATS
from bot.exports.region_sets import ARCHIVES, export_region_files
from bot.managing.operations import (
    allow_retry,
    forget,
    import_batch,
    invite_lines,
    make_invite,
    require_project,
    save_project,
)
from bot.managing.projectfile import load_project_file
from bot.media.fetch import MediaFetcher
from bot.media.importing import Source
from bot.media.prune import prune_media
from bot.media.store import configured_media
from cli import manage as cli_manage
from cli.audit import print_audit
from cli.common import Commands, Heading, add_db, database_url, usage_error, with_store
from cli.files import replace_files, replace_text
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from storage.transfer import copy_database

BATCH_FORMATS = (
    "CSV, JSONL, Label Studio task JSON (.json), or a ZIP of one of those and its media; for "
    "a region project also COCO JSON, or a ZIP of a COCO, YOLO or Pascal VOC dataset"
)


async def _project_create(store: Store, args: argparse.Namespace) -> int:
    pf = load_project_file(Path(args.file))
    project, created = await save_project(store, pf, update=args.update)
    verb = "created" if created else "updated"
    print(
        f"project {project.name!r} {verb}: {project.title} ({project.spec.task}, "
        f"{len(project.spec.labels)} labels)"
    )
    return 0


async def _batch_import(store: Store, args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"{path}: cannot read ({exc.strerror})", file=sys.stderr)
        return 1
    settings = load_settings()
    files = Path(args.files) if args.files else path.parent
    if not files.is_dir():
        print(f"--files {files}: not a folder", file=sys.stderr)
        return 1
    fetcher = args.fetcher(settings) if args.fetcher is not None else None
    summary = await import_batch(
        store,
        args.project,
        path.name,
        content,
        args.publish,
        args.name,
        args.deadline,
        media=configured_media(settings, database_url(args)),
        source=Source(base_dir=files, fetcher=fetcher, fetch_seconds=settings.media_fetch_seconds),
        limits=settings.batch_limits(),
        regions_as="gold" if args.regions_gold else "regions",
    )
    state = "published" if args.publish else "draft (not visible until published)"
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.label_counts.items()))
    print(
        f"batch {summary.batch.name!r}: {summary.items} items, {summary.gold} gold"
        f"{f' ({counts})' if counts else ''}; {state}"
    )
    return 0


async def _invite(store: Store, args: argparse.Namespace) -> int:
    if args.uses is not None and args.uses < 1:
        return usage_error("invite", "--uses must be 1 or more (leave it out for the default)")
    if args.expires_days is not None and not args.expires_days > 0:
        return usage_error("invite", "--expires-days must be more than 0")
    bot_name = read_settings(TelegramSettings).bot_name
    invite = await make_invite(store, args.project, Role(args.role), args.uses, args.expires_days)
    uses = (
        "unlimited uses"
        if invite.uses_left is None
        else f"{invite.uses_left} use{'s' if invite.uses_left != 1 else ''}"
    )
    expiry = "" if args.expires_days is None else f", expires in {args.expires_days:g} days"
    print(f"invite for {args.role}s of {args.project!r} ({uses}{expiry}); people join with:")
    for line in invite_lines(invite.code, bot_name):
        print(f"  {line}")
    print(invite.code)
    return 0


async def _forget(store: Store, args: argparse.Namespace) -> int:
    await forget(store, args.member)
    print(f"{args.member}: identities and name erased; answers kept under the pseudonym")
    return 0


async def _member_retry(store: Store, args: argparse.Namespace) -> int:
    await allow_retry(store, args.project, args.annotator)
    print(f"{args.annotator} may take the qualification for {args.project!r} again")
    return 0


async def _export(store: Store, args: argparse.Namespace) -> int:
    """Written as the rows are read: to standard output, or with --out through a temporary file
    that replaces the old one only when the whole export is written (a refused export, say a
    COCO file of a project without pictures, leaves it as it was)."""
    if args.format in ARCHIVES:
        return await _export_archive(store, args)
    fmt = FORMATS[args.format]
    if (args.since or args.until) and args.format != "annotators":
        return usage_error("export", "--since and --until go with --format annotators")
    if args.bom and not fmt.sheet:
        return usage_error("export", f"--bom is for the CSV formats, not {args.format}")
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        chunks = fmt.write
        if args.since or args.until:
            try:
                since, until = period(args.since, args.until, project.spec.timezone)
            except ValueError as exc:
                return usage_error("export", str(exc))
            chunks = functools.partial(export_annotators, since=since, until=until)
        if args.out:
            with replace_text(args.out, bom=args.bom) as out:
                async for chunk in chunks(tx, project.id):
                    out.write(chunk)
            print(f"wrote {args.out}", file=sys.stderr)
        else:
            if args.bom:
                sys.stdout.write("\ufeff")
            async for chunk in chunks(tx, project.id):
                sys.stdout.write(chunk)
        await tx.audit(
            project.id, None, "export", {"format": args.format, "via": "cli"}, time.time()
        )
    return 0


async def _export_archive(store: Store, args: argparse.Namespace) -> int:
    """A YOLO or VOC dataset: a ZIP, so only into a file (--out), written whole or not at all."""
    if not args.out:
        return usage_error("export", f"--format {args.format} writes a ZIP: give --out FILE.zip")
    if args.since or args.until or args.bom:
        return usage_error("export", f"--since, --until and --bom do not go with {args.format}")
    media = configured_media(load_settings(), database_url(args))
    async with store.transaction() as tx:
        project = await require_project(tx, args.project)
        data = await export_region_files(tx, project.id, args.format, media)
        replace_files({Path(args.out): data})
        await tx.audit(
            project.id, None, "export", {"format": args.format, "via": "cli"}, time.time()
        )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


async def _migrate(store: Store, args: argparse.Namespace) -> int:
    print(f"schema at version {await store.schema_version()}")
    return 0


def _migrate_command(args: argparse.Namespace) -> int:
    """Bring one database's schema up to date or, with --from and --to, copy every row of one
    database into another, empty one (SQLite to PostgreSQL, or back), ids and all."""
    if args.source is None and args.target is None:
        return with_store(_migrate)(args)
    if args.source is None or args.target is None or args.db is not None:
        print(
            "tapmark migrate: give --from URL and --to URL together, without --db", file=sys.stderr
        )
        return 2
    if args.source == args.target:
        print("tapmark migrate: --from and --to name the same database", file=sys.stderr)
        return 2
    missing = args.source.removeprefix("sqlite:///")
    if args.source.startswith("sqlite:///") and not Path(missing).expanduser().exists():
        print(f"tapmark migrate: there is no database at {missing}", file=sys.stderr)
        return 1
    return asyncio.run(_copy(args.source, args.target))


async def _copy(source_url: str, target_url: str) -> int:
    async with open_store(source_url) as source, open_store(target_url) as target:
        copied = await copy_database(source, target)
        version = await target.schema_version()
    rows = ", ".join(f"{table} {n}" for table, n in copied.items() if n) or "no rows"
    print(
        f"copied {sum(copied.values())} rows ({rows}); the target's schema is at version {version}"
    )
    return 0


async def _media_prune(store: Store, args: argparse.Namespace) -> int:
    media = configured_media(load_settings(), database_url(args))
    pruned = await prune_media(
        store, media, dry_run=args.dry_run, min_age=args.min_age_hours * 3600
    )
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"{media.root}: {verb} {pruned.files} files no item names "
        f"({pruned.bytes / 1e6:.1f} MB); kept {pruned.kept}"
    )
    return 0


def register(
    sub: Commands,
    fetcher: Callable[[Settings], MediaFetcher] | None = None,
) -> None:
    """Add the subcommands; `fetcher` makes what `batch import` downloads URLs with (the
    composition root gives it: the core has no HTTP client)."""

    project = sub.add(
        Heading.PEOPLE,
        "project",
        help="create or update a project from a TOML file, or list the projects",
    )
    project_sub = project.add_subparsers(dest="action", required=True)
    create = project_sub.add_parser("create", help="create (or with --update, update) a project")
    create.add_argument("file", help="project file (TOML)")
    create.add_argument("--update", action="store_true", help="update it if it exists")
    add_db(create)
    create.set_defaults(func=with_store(_project_create))
    cli_manage.register_project(project_sub)

    batch = sub.add(Heading.BATCHES, "batch", help="import task batches, list them and steer them")
    batch_sub = batch.add_subparsers(dest="action", required=True)
    imp = batch_sub.add_parser(
        "import",
        help=f"import a batch, all or nothing: {BATCH_FORMATS}",
        description=f"Import a batch file whole or not at all. Formats: {BATCH_FORMATS}. It is a "
        "draft nobody sees until it is published (--publish, or `tapmark batch "
        "publish`).",
    )
    imp.add_argument("project")
    imp.add_argument("file", help="the batch file (.csv, .jsonl, .json or .zip)")
    imp.add_argument("--publish", action="store_true", help="make it visible to annotators now")
    imp.add_argument("--name", help="batch name (default: the file name)")
    imp.add_argument(
        "--deadline",
        metavar="DATE",
        help="when it is due: YYYY-MM-DD or 'YYYY-MM-DD HH:MM', project time zone",
    )
    imp.add_argument(
        "--files",
        metavar="DIR",
        help="the folder local media paths in the batch are read from, and must "
        "stay inside (default: the batch file's folder)",
    )
    imp.add_argument(
        "--regions-gold",
        action="store_true",
        help="a region project's COCO, YOLO or VOC dataset: its regions are the gold answers "
        "(default: pre-annotations to correct; Label Studio tasks say which themselves)",
    )
    add_db(imp)
    imp.set_defaults(func=with_store(_batch_import), fetcher=fetcher)
    cli_manage.register_batch(batch_sub)

    cli_manage.register(sub)

    invite = sub.add(Heading.PEOPLE, "invite", help="create an invite code")
    invite.add_argument("project")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument(
        "--uses",
        type=int,
        help="how many people may use it (default: 1 for a manager invite, else any number)",
    )
    invite.add_argument("--expires-days", type=float, help="days until it expires")
    add_db(invite)
    invite.set_defaults(func=with_store(_invite))

    member = sub.add(
        Heading.PEOPLE, "member", help="give an annotator another try at the qualification"
    )
    member_sub = member.add_subparsers(dest="action", required=True)
    retry = member_sub.add_parser("retry", help="allow another try at the qualification")
    retry.add_argument("project")
    retry.add_argument("annotator", help="the annotator's pseudonymous id (a-...)")
    add_db(retry)
    retry.set_defaults(func=with_store(_member_retry))

    forget_cmd = sub.add(
        Heading.PEOPLE,
        "forget",
        help="erase a person's identities and name (answers stay, pseudonymous)",
    )
    forget_cmd.add_argument("member", help="the member's pseudonymous id (a-...)")
    add_db(forget_cmd)
    forget_cmd.set_defaults(func=with_store(_forget))

    names = [*FORMATS, *ARCHIVES]
    formats = "; ".join(f"{f.name}: {f.what}" for f in FORMATS.values())
    export = sub.add(
        Heading.RESULTS,
        "export",
        help=f"export items, answers and results ({', '.join(names)})",
        description=f"Export a project. Formats: {formats}; yolo and voc: a region project's "
        "finished items as a YOLO or Pascal VOC dataset, a ZIP with the pictures (--out).",
    )
    export.add_argument("project")
    export.add_argument(
        "--format",
        choices=names,
        default="jsonl",
        help=f"one of {', '.join(names)} (default jsonl)",
    )
    export.add_argument(
        "--out",
        help="file to write (default: standard output); replaced "
        "only once the whole export is written",
    )
    export.add_argument(
        "--bom",
        action="store_true",
        help="CSV formats: start with a UTF-8 byte order mark, so that Excel "
        "reads the accents right",
    )
    export.add_argument(
        "--since",
        metavar="DATE",
        help="annotators: count work from this day (YYYY-MM-DD, project time zone)",
    )
    export.add_argument("--until", metavar="DATE", help="annotators: up to this day, included")
    add_db(export)
    export.set_defaults(func=with_store(_export))

    migrate = sub.add(
        Heading.RUNNING,
        "migrate",
        help="bring the database schema up to date, or copy one database into another",
    )
    add_db(migrate)
    migrate.add_argument(
        "--from", dest="source", metavar="URL", help="copy every row of this database (with --to)"
    )
    migrate.add_argument(
        "--to",
        dest="target",
        metavar="URL",
        help="into this empty database, such as postgresql://USER@HOST/DB",
    )
    migrate.set_defaults(func=_migrate_command)

    media = sub.add(Heading.BATCHES, "media", help="look after the stored media files")
    media_sub = media.add_subparsers(dest="action", required=True)
    prune = media_sub.add_parser(
        "prune", help="delete stored files no item names (from cancelled or failed imports)"
    )
    prune.add_argument("--dry-run", action="store_true", help="only say what would go")
    prune.add_argument(
        "--min-age-hours",
        type=float,
        default=1.0,
        help="keep files younger than this, which an import under way may need",
    )
    add_db(prune)
    prune.set_defaults(func=with_store(_media_prune))

    audit = sub.add(Heading.RESULTS, "audit", help="print a project's audit log")
    audit.add_argument("project")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    add_db(audit)
    audit.set_defaults(func=with_store(print_audit))
