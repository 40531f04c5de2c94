"""Benchmark of the whole Telegram stack in webhook mode against the local Bot API stand-in.

    python -m bench.telegram --people 200 --json

Every person joins with an invite, then keeps pressing a label on their task card; the fake Bot
API posts each press to the adapter's webhook, and the latency is from the press to the moment
the card was edited into the next task. By default tapmark runs as `tapmark run --telegram` in a
process of its own, as deployed, while the fake and the people run in the benchmark's process;
``--in-process`` puts everything on one event loop instead. A fresh SQLite file each run.

Telegram lets one bot make about 30 calls a second, and the adapter's rate limiter keeps to
that; the benchmark turns the limit off (``--bot-rate 0``) to measure what the stack itself can
carry, which is what several bot tokens on one project would need.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.telegram import TelegramAdapter, TelegramConfig
from bench.common import summary
from bench.core import PROJECT, batch
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import UploadRefs
from domain.enums import Role
from storage import open_store
from tests.fakes.telegram_api import FakeTelegram

LABELS = ("a", "b", "c")
SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Edits:
    """Futures resolved when the fake answers an edit of a given message (no polling)."""

    def __init__(self, tg: FakeTelegram) -> None:
        self.waiting: dict[tuple[str, str], asyncio.Future[None]] = {}
        tg.listeners.append(self.seen)

    def expect(self, chat: int, message_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[(str(chat), str(message_id))] = future
        return future

    def seen(self, call: Any) -> None:
        if call.method == "editMessageText" and call.status == 200:
            key = (str(call.params.get("chat_id")), str(call.params.get("message_id")))
            future = self.waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(None)


async def person(
    tg: FakeTelegram,
    edits: Edits,
    uid: int,
    code: str,
    rng: random.Random,
    latencies: list[float],
    think_s: float,
) -> None:
    tg.user_send_text(uid, f"/start {code}", first_name=f"P{uid}")

    def card() -> Any:
        for message in reversed(tg.chat(uid).bot_messages()):
            if message.labels and message.labels[0] in LABELS:
                return message
        return None

    message = await tg.wait_for(card, timeout=60, what=f"first task of {uid}")
    while message.labels and message.labels[0] in LABELS:
        if think_s:
            await asyncio.sleep(rng.expovariate(1 / think_s))
        data = message.button(rng.choice(LABELS)).callback_data or ""
        edited = edits.expect(uid, message.message_id)
        started = time.perf_counter()
        tg.user_tap(uid, message.message_id, data)
        await asyncio.wait_for(edited, 60)
        latencies.append(time.perf_counter() - started)


async def serve_in_process(
    tg: FakeTelegram, db_url: str, port: int, bot_rate: float
) -> AsyncIterator[None]:
    store = open_store(db_url)
    await store.open()
    config = TelegramConfig(
        token=tg.token,
        api_url=tg.root,
        webhook_url=f"http://127.0.0.1:{port}/tg",
        webhook_secret=SECRET,
        listen=("127.0.0.1", port),
        overall_max_rate=bot_rate,
    )
    adapter = TelegramAdapter(Core(store, rng=random.Random(1)), config, UploadRefs(store))
    await adapter.start()
    try:
        yield
    finally:
        await adapter.stop()
        await store.close()


async def serve_as_process(
    tg: FakeTelegram, db_url: str, port: int, bot_rate: float
) -> AsyncIterator[None]:
    """`tapmark run --telegram` in webhook mode, as deployed: a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPMARK_")}
    env.update(
        {
            "TAPMARK_TELEGRAM_TOKEN": tg.token,
            "TAPMARK_TELEGRAM_API_URL": tg.root,
            "TAPMARK_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
            "TAPMARK_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TAPMARK_LISTEN": f"127.0.0.1:{port}",
            "TAPMARK_DATABASE_URL": db_url,
            "TAPMARK_TELEGRAM_RATE": str(bot_rate),
            "TAPMARK_LOG_LEVEL": "WARNING",
        }
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--telegram",
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await tg.wait_for(lambda: tg.calls["setWebhook"], timeout=30, what="the webhook")
        await asyncio.sleep(0.5)
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await proc.communicate()
        if proc.returncode:
            print(err.decode(), file=sys.stderr)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    with tempfile.TemporaryDirectory(prefix="tapmark-bench-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'b.db'}"
        async with open_store(db_url) as store:
            spec = parse_project("bench.toml", PROJECT.format(overlap=args.overlap, gold_rate=0))
            await save_project(store, spec, update=False)
            await import_batch(store, "bench", "b.jsonl", batch(args.items, 0), True)
            invite = await make_invite(store, "bench", Role.ANNOTATOR, None, None)
        serve = serve_in_process if args.in_process else serve_as_process
        async with (
            FakeTelegram() as tg,
            asynccontextmanager(serve)(tg, db_url, free_port(), args.bot_rate),
        ):
            latencies: list[float] = []
            edits = Edits(tg)
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    person(
                        tg,
                        edits,
                        1000 + i,
                        invite.code,
                        random.Random(i),
                        latencies,
                        args.think_ms / 1000,
                    )
                    for i in range(args.people)
                )
            )
            elapsed = time.perf_counter() - started
    return {
        "benchmark": "telegram",
        "mode": "webhook",
        "tapmark": "in the benchmark's process" if args.in_process else "its own process",
        "bot_rate": args.bot_rate,
        "people": args.people,
        "items": args.items,
        "overlap": args.overlap,
        "think_ms": args.think_ms,
        **summary(latencies, elapsed, "labels"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--overlap", type=int, default=3)
    parser.add_argument(
        "--bot-rate",
        type=float,
        default=0,
        help="the adapter's overall calls a second (default 0: unthrottled, to measure the stack;"
        " Telegram itself allows about 30 for one bot)",
    )
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause before each press (default 0: flat out)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the adapter inside the benchmark's process (default: `tapmark run` apart)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
