"""`tapmark run`: the composition root. It builds the store and the core, hands each chosen
platform the same wiring, and runs them with the scheduler and the health server until asked
to stop. What a platform is, how it starts and how its start-up fails is its own folder's
business (`adapters.<name>.platform`); adding one is one line in `PLATFORMS`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from adapters.platform import Adapter, PlatformEntry, StartupFailure, Wiring
from adapters.slack.platform import SLACK
from adapters.telegram.platform import TELEGRAM
from adapters.web.settings import SettingsError, WebSettings, web_settings
from bot.config import Settings, load_settings
from bot.core import Core
from bot.media.fetch import MediaFetcher
from bot.media.store import UploadRefs, configured_media
from cli import common
from storage import open_store

PLATFORMS: tuple[PlatformEntry, ...] = (TELEGRAM, SLACK)
"""Every platform `tapmark run` can serve, in the order they start."""

log = logging.getLogger("tapmark.run")


def register(sub: common.Commands) -> None:
    run = sub.add(
        common.Heading.RUNNING, "run", help="run the bot on the configured chat platforms"
    )
    for entry in PLATFORMS:
        run.add_argument(f"--{entry.name}", action="store_true", help=f"only {entry.title}")
    common.add_db(run)
    run.set_defaults(func=run_command)


def chosen(
    args: argparse.Namespace, platforms: tuple[PlatformEntry, ...] = PLATFORMS
) -> list[PlatformEntry] | str:
    """The platforms to run, or why none can: those named by flags (every one when none is
    named) that are configured; any named one that is not makes the whole run refuse, and so
    do two that would listen on the same address."""
    named = [e for e in platforms if getattr(args, e.name, False)]
    wanted = named or list(platforms)
    missing = [e for e in wanted if not e.configured()]
    ready = [e for e in wanted if e not in missing]
    if not ready or (named and missing):
        return (
            "no chat platform is configured. Set "
            + ", or ".join(e.needs for e in missing)
            + ". To try tapmark without any, run `tapmark demo`."
        )
    listening = [what for e in ready if (what := e.listener()) is not None]
    if len(listening) > 1:
        return (
            f"{' and '.join(listening)} would {'both' if len(listening) == 2 else 'all'} listen"
            " on TAPMARK_LISTEN. Run one process "
            f"per platform ({', '.join(f'`tapmark run --{e.name}`' for e in ready)}), each with "
            "its own TAPMARK_LISTEN, or set up the others not to listen (Slack: "
            "TAPMARK_SLACK_APP_TOKEN for Socket Mode)."
        )
    return ready


def run_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    platforms = chosen(args)
    if isinstance(platforms, str):
        print(f"tapmark run: {platforms}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_level != "DEBUG":  # APScheduler logs every tick at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    db_url = getattr(args, "db", None) or settings.database_url
    page = None
    if os.environ.get("TAPMARK_WEB_URL"):
        try:
            page = web_settings()
        except SettingsError as exc:
            print(f"tapmark run: {exc}", file=sys.stderr)
            return 2
    return asyncio.run(_serve(settings, db_url, platforms, page))


def media_fetcher(settings: Settings) -> MediaFetcher:
    """What batch imports download media URLs with (aiohttp, imported only when needed)."""
    from adapters.fetch import HttpsFetcher

    return HttpsFetcher.from_settings(settings)


async def _serve(
    settings: Settings,
    db_url: str,
    platforms: list[PlatformEntry],
    page: WebSettings | None = None,
) -> int:
    from aiohttp import web

    from adapters.health import HealthServer
    from adapters.web.links import Links
    from bot.jobs.scheduler import Scheduler

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
        wiring = Wiring(
            core=core,
            uploads=UploadRefs(store),
            listen=settings.listen_host_port(),
            page=None if page is None else Links(page),
        )
        scheduler = Scheduler(store, is_leader=store.try_lead) if settings.scheduler else None
        running: list[tuple[str, Adapter]] = []
        health: HealthServer | None = None
        pages: web.AppRunner | None = None
        try:
            if page is not None:
                pages = await common.serve_page("run", core, page)
                if pages is None:
                    return 1
            for entry in platforms:
                try:
                    running.append((entry.name, await entry.launch(wiring)))
                except StartupFailure as failure:
                    print(f"tapmark run: {failure}", file=sys.stderr)
                    return 1
            if scheduler is not None:
                scheduler.start()
            if settings.health_listen != "off":
                probes = {name: adapter.healthy for name, adapter in running}
                health = HealthServer(store, probes, *settings.listen_host_port("health_listen"))
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
                "tapmark run: serving %s with the %s database, scheduled messages %s,"
                " the annotation page %s; stop with Ctrl-C",
                " and ".join(adapter.description for _, adapter in running),
                db_url.partition(":")[0],
                "on" if scheduler is not None else "off (TAPMARK_SCHEDULER)",
                "off (TAPMARK_WEB_URL)" if page is None else f"at {page.public_url}",
            )
            await stop.wait()
        finally:
            if pages is not None:
                await pages.cleanup()
            if health is not None:
                await health.stop()
            if scheduler is not None:
                await scheduler.stop()
            for _, adapter in reversed(running):
                await adapter.stop()
    log.info("tapmark run: stopped")
    return 0
