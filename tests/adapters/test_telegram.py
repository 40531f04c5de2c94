"""The Telegram adapter end to end: the real python-telegram-bot over HTTP on loopback against
FakeTelegram, the real core and a real SQLite file. Nothing of the library or of ours is mocked.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from adapters.telegram import TelegramAdapter, TelegramConfig
from adapters.telegram.executor import Executor
from adapters.telegram.retry import Retry
from bot.chat.actions import Button, Screen, Send, SendFile
from bot.chat.events import Actor, MessageRef
from bot.config import ConfigError
from bot.core import Core
from bot.media.store import UploadRefs
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tests.conftest import BOTH_ENGINES, break_answers, free_port
from tests.fakes.telegram_api import ChatMessage, FakeTelegram
from tests.fakes.telegram_state import NOT_MODIFIED

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("pos", "neg", "neu")
NOT_YOURS = "This task is no longer yours."
MakeProject = Callable[..., Awaitable[str]]

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


Start = Callable[..., Awaitable[TelegramAdapter]]


@pytest.fixture
async def start(tg: FakeTelegram, store: Store) -> AsyncIterator[Start]:
    """Start an adapter on the fake (stopped at the end of the test if still running)."""
    running: list[TelegramAdapter] = []

    async def go(core: Core | None = None, **options: Any) -> TelegramAdapter:
        config = TelegramConfig(token=tg.token, api_url=tg.root, backoff=0.05, **options)
        adapter = TelegramAdapter(
            core or Core(store, rng=random.Random(3)), config, UploadRefs(store)
        )
        await adapter.start()
        running.append(adapter)
        return adapter

    yield go
    for adapter in running:
        await adapter.stop()


# ------------------------------------------------------------------------------------------------
# Playing a person


def task_card(tg: FakeTelegram, uid: int) -> ChatMessage | None:
    """The newest bot message showing label buttons."""
    for message in reversed(tg.chat(uid).bot_messages()):
        if any(label in LABELS for label in message.labels):
            return message
    return None


def other_card(tg: FakeTelegram, uid: int, old: ChatMessage) -> ChatMessage | None:
    """The newest task card if it is a new message rather than `old`."""
    card = task_card(tg, uid)
    return card if card is not None and card is not old else None


async def join(tg: FakeTelegram, uid: int, code: str) -> ChatMessage:
    tg.user_send_text(uid, f"/start {code}", first_name=f"P{uid}", username=f"p{uid}")
    return await tg.wait_for(lambda: task_card(tg, uid), what=f"task card for {uid}")


async def press(tg: FakeTelegram, uid: int, message: ChatMessage, label: str) -> str:
    """Press label on message; wait for the toast and the edit; give the toast text."""
    edits = message.edit_count
    query = tg.user_tap(uid, message.message_id, message.button(label).callback_data or "")
    answer = await tg.wait_answered(query)
    await tg.wait_for(lambda: message.edit_count > edits, what=f"edit of {message.message_id}")
    return answer.text or ""


async def label_until_idle(tg: FakeTelegram, uid: int, rng: random.Random) -> list[str]:
    card = task_card(tg, uid)
    assert card is not None
    toasts = []
    while any(label in LABELS for label in card.labels):
        toasts.append(await press(tg, uid, card, rng.choice(LABELS)))
    assert card.labels == ["Check for tasks", "Progress", "Guide"], card.describe()
    return toasts


async def answers(store: Store, project: str = "t") -> dict[str, list[str]]:
    """Item id -> annotators who answered it."""
    async with store.transaction() as tx:
        found = await tx.project_by_name(project)
        assert found is not None
        return {
            row.item.ext_id: [a.annotator for a in row.answers]
            async for row in tx.export_rows(found.id)
        }


# ------------------------------------------------------------------------------------------------
# Scenarios


@BOTH_ENGINES
async def test_ten_people_label_a_batch_to_completion(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=10, overlap=3)
    await start()
    people = range(2001, 2011)
    cards = await asyncio.gather(*(join(tg, uid, code) for uid in people))
    toasts = await asyncio.gather(
        *(label_until_idle(tg, uid, random.Random(uid)) for uid in people)
    )

    done = await answers(store)
    assert len(done) == 10
    for item, annotators in done.items():
        assert len(annotators) == 3 and len(set(annotators)) == 3, item
    assert sorted(t for ts in toasts for t in ts) == ["Saved ✓"] * 30
    for uid, card in zip(people, cards, strict=True):
        # The welcome and one task card, edited in place for every answer: no growth.
        assert len(tg.chat(uid).bot_messages()) == 2
        assert card.edit_count == len(toasts[uid - 2001])
    assert tg.calls["sendMessage"] == 20 and tg.calls["editMessageText"] == 30
    commands = tg.bot().commands[(json.dumps({"type": "all_private_chats"}), "")]
    assert [c["command"] for c in commands] == [
        "start",
        "next",
        "undo",
        "progress",
        "guide",
        "mute",
        "unmute",
        "stop",
        "link",
        "help",
    ]


async def test_managers_get_their_commands_in_their_own_chat(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    from bot.managing.operations import make_invite
    from domain.enums import Role

    code = await make_project(items=2, overlap=1)
    manager_code = (await make_invite(store, "t", Role.MANAGER, 1, None)).code
    await start()
    await join(tg, 3801, code)
    tg.user_send_text(3802, f"/start {manager_code}", first_name="Mia")
    await tg.wait_bot_message(3802)
    key = (json.dumps({"chat_id": 3802, "type": "chat"}, sort_keys=True), "")
    await tg.wait_for(lambda: key in tg.bot().commands, what="the manager's menu after /start")
    menus = tg.bot().commands
    mine = menus[(json.dumps({"chat_id": 3802, "type": "chat"}, sort_keys=True), "")]
    names = [c["command"] for c in mine]
    assert {"batches", "invite", "members", "report", "export", "review"} <= set(names)
    assert {"next", "undo", "mute"} <= set(names)
    assert not any('"chat_id": 3801' in scope for scope, _ in menus), "annotators: no menu"
    everyone = menus[(json.dumps({"type": "all_private_chats"}), "")]
    assert "batches" not in [c["command"] for c in everyone]


async def test_a_double_tap_stores_one_answer(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(tg, 3001, code)
    data = card.button("neg").callback_data or ""
    first = tg.user_tap(3001, card.message_id, data)
    second = tg.user_tap(3001, card.message_id, data)
    toasts = [(await tg.wait_answered(q)).text for q in (first, second)]
    assert toasts == ["Saved ✓", "Already saved ✓"]
    await tg.wait_for(lambda: card.edit_count == 2)
    assert sum(len(a) for a in (await answers(store)).values()) == 1
    assert len(tg.chat(3001).bot_messages()) == 2


async def test_a_button_pressed_by_someone_else_changes_nothing(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=2)
    await start()
    ann, bob = await join(tg, 3101, code), await join(tg, 3102, code)
    stolen = ann.button("pos").callback_data or ""
    query = tg.user_tap(3102, bob.message_id, stolen, check=False)
    assert (await tg.wait_answered(query)).text == NOT_YOURS
    await asyncio.sleep(0.2)  # time for any wrong edit to arrive
    assert ann.edit_count == 0 and bob.edit_count == 0
    assert sum(len(a) for a in (await answers(store)).values()) == 0


async def test_restart_mid_batch_loses_nothing(
    tg: FakeTelegram, store: Store, db_url: str, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=4, overlap=2)
    first = await start()
    ann, bob = await join(tg, 3201, code), await join(tg, 3202, code)
    assert await press(tg, 3201, ann, "pos") == "Saved ✓"
    leased = ann.text
    await first.stop()

    # While nobody listens, Bob answers and Ann asks for her task: Telegram keeps the updates.
    query = tg.user_tap(3202, bob.message_id, bob.button("neg").callback_data or "")
    tg.user_send_text(3201, "/next")
    async with open_store(db_url) as reopened:
        await start(Core(reopened, rng=random.Random(5)))
        assert (await tg.wait_answered(query)).text == "Saved ✓"
        again = await tg.wait_for(lambda: other_card(tg, 3201, ann))
        assert again.text == leased  # the same leased task, shown anew
        # The old card's buttons still work: tokens live in the database, not in memory.
        assert await press(tg, 3201, ann, "neu") == "Saved ✓"
    done = await answers(store)
    assert sum(len(a) for a in done.values()) == 3


async def test_a_429_storm_delays_but_loses_and_duplicates_nothing(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=2)
    await start()
    tg.fail_next("sendMessage", 3, code=429, retry_after=1)
    tg.fail_next("sendMessage", 2, code=502)  # then 5xx: our own retry with backoff
    cards = await asyncio.gather(join(tg, 3301, code), join(tg, 3302, code))
    tg.fail_next("editMessageText", 3, code=429, retry_after=1)
    tg.fail_next("answerCallbackQuery", 1, code=500)
    toasts = await asyncio.gather(
        *(label_until_idle(tg, uid, random.Random(uid)) for uid in (3301, 3302))
    )
    assert sum(len(t) for t in toasts) == 6 and {t for ts in toasts for t in ts} == {"Saved ✓"}
    done = await answers(store)
    assert all(len(set(a)) == len(a) == 2 for a in done.values())
    for uid, card in zip((3301, 3302), cards, strict=True):
        assert len(tg.chat(uid).bot_messages()) == 2  # no message sent twice
        assert card.edit_count == 3
    assert tg.calls["sendMessage"] == 4 + 5 and tg.calls["editMessageText"] == 6 + 3


async def test_webhook_checks_the_secret(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    await start(webhook_url=url, webhook_secret="s3cret-Tok_en", listen=("127.0.0.1", port))
    webhook = tg.bot().webhook
    assert webhook is not None and webhook.url == url
    assert tg.calls["getUpdates"] == 0

    card = await join(tg, 3401, code)
    assert await press(tg, 3401, card, "pos") == "Saved ✓"
    genuine = tg.bot().updates[-1]
    sent = tg.calls["sendMessage"]

    # Forged: Ann's next button pressed again, and a stranger joining, with a wrong secret.
    tap = copy.deepcopy(genuine)
    tap["update_id"] = 90_001
    tap["callback_query"]["id"] = "90001"
    tap["callback_query"]["data"] = card.button("neg").callback_data
    join_update = copy.deepcopy(tg.bot().updates[0])
    join_update["update_id"] = 90_002
    join_update["message"]["from"]["id"] = join_update["message"]["chat"]["id"] = 3499
    for forged in (tap, join_update):
        assert await tg.post_update(forged, secret_token="wrong") == 403
        assert await tg.post_update(forged, secret_token=None) == 403
    await asyncio.sleep(0.2)
    assert sum(len(a) for a in (await answers(store)).values()) == 1
    assert tg.calls["sendMessage"] == sent and card.edit_count == 1

    # With the right secret the same request is taken (the platform itself sends it so).
    assert await tg.post_update(tap, secret_token="s3cret-Tok_en") == 200
    await tg.wait_for(lambda: card.edit_count == 2)
    assert sum(len(a) for a in (await answers(store)).values()) == 2
    assert [d.status for d in tg.deliveries()] == [200] * len(tg.deliveries())


def test_a_webhook_needs_a_secret() -> None:
    with pytest.raises(ConfigError, match="TAPMARK_TELEGRAM_WEBHOOK_SECRET"):
        TelegramConfig(token="1:x", webhook_url="https://example.org/hook")


@pytest.mark.parametrize(
    "failure",
    ["Bad Request: message to edit not found", "Bad Request: message can't be edited"],
)
async def test_a_failed_edit_falls_back_to_a_new_message(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start, failure: str
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(tg, 3501, code)
    tg.fail_next("editMessageText", 1, code=400, description=failure)
    query = tg.user_tap(3501, card.message_id, card.button("pos").callback_data or "")
    assert (await tg.wait_answered(query)).text == "Saved ✓"
    fresh = await tg.wait_for(lambda: other_card(tg, 3501, card))
    assert fresh.text != card.text and card.edit_count == 0
    assert sum(len(a) for a in (await answers(store)).values()) == 1

    # "Not modified" means the screen is already there: no new message.
    tg.fail_next("editMessageText", 1, code=400, description=NOT_MODIFIED)
    sent = tg.calls["sendMessage"]
    query = tg.user_tap(3501, fresh.message_id, fresh.button("neg").callback_data or "")
    assert (await tg.wait_answered(query)).text == "Saved ✓"
    await tg.wait_for(lambda: tg.calls["editMessageText"] == 2)
    await asyncio.sleep(0.1)
    assert tg.calls["sendMessage"] == sent and fresh.edit_count == 0


async def test_commands_text_and_files(
    tg: FakeTelegram, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()
    tg.user_send_text(3601, "/next", first_name="Ann")
    assert "not in a project" in ((await tg.wait_bot_message(3601)).text or "")
    await join(tg, 3601, code)

    async def reply(text: str) -> str:
        tg.user_send_text(3601, text)
        return (await tg.wait_bot_message(3601)).text or ""

    assert "do not know /frobnicate" in await reply("/frobnicate x")
    assert "/progress" in await reply("/help@tapmark_test_bot")
    shown = tg.chat(3601).last_bot_message()
    assert shown is not None and (shown.text or "").startswith("tapmark — label")
    assert shown.entities[0]["type"] == "bold"  # the core's *bold*, sent as HTML
    assert "Your progress" in await reply("/progress")
    assert "Use the buttons" in await reply("hello")
    tg.user_send_document(3601, "b.jsonl", b'{"id": 1}\n')
    upload = (await tg.wait_bot_message(3601)).text or ""
    assert "Only a manager" in upload and tg.calls["getFile"] == 1


async def test_executor_splits_long_screens_and_sends_files(tg: FakeTelegram) -> None:
    tg.add_user(3701, "Ann")
    ann = Actor("telegram", "3701", "Ann")
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        executor = Executor(bot)
        long = "\n\n".join(f"*Paragraph {i}* " + "word " * 150 for i in range(12))
        keys = ((Button("A", "tok:a"), Button("B", "tok:b")),)
        await executor.apply([Send(ann, Screen(long, keys))])
        parts = tg.chat(3701).bot_messages()
        assert len(parts) > 1 and all(len(p.text or "") <= 4096 for p in parts)
        assert [p.labels for p in parts] == [[]] * (len(parts) - 1) + [["A", "B"]]
        assert parts[0].entities[0]["type"] == "bold"

        csv = b"id,label\n1,pos\n"
        sent = await executor.apply([SendFile(ann, "answers.csv", csv, "*Export*")])
        doc = tg.chat(3701).last_bot_message()
        assert sent and doc is not None and doc.document is not None and doc.caption == "Export"
        assert doc.document.content == csv

        tg.user_block(3701)  # a failure is reported (for a caller that must know), not raised
        assert await executor.apply([Send(ann, Screen("still there?"))]) is False


async def test_timeouts_repeat_edits_but_never_a_send(tg: FakeTelegram) -> None:
    tg.add_user(3801, "Ann")
    ann = Actor("telegram", "3801", "Ann")
    request = HTTPXRequest(read_timeout=0.3)
    async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
        executor = Executor(bot, Retry(attempts=3, backoff=0.2))
        tg.delay("sendMessage", 0.6)
        await executor.apply([Send(ann, Screen("hello"))])  # timed out: may have arrived
        tg.delay("sendMessage", 0)
        await tg.wait_for(lambda: tg.chat(3801).last_bot_message())
        await asyncio.sleep(0.5)
        assert [m.text for m in tg.chat(3801).bot_messages()] == ["hello"]
        assert tg.calls["sendMessage"] == 1

        shown = tg.chat(3801).bot_messages()[0]
        ref = MessageRef("telegram", "3801", str(shown.message_id))
        tg.delay("editMessageText", 0.6)
        edit = asyncio.create_task(executor.edit(ref, Screen("hello again"), ann))
        await tg.wait_for(lambda: tg.calls["editMessageText"] == 1)
        tg.delay("editMessageText", 0)
        await edit  # the second attempt edits, or finds it done ("not modified")
        assert shown.text == "hello again" and tg.calls["editMessageText"] >= 2
        assert tg.calls["sendMessage"] == 1


# ------------------------------------------------------------------------------------------------
# The console script


def cli(*args: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


async def test_tapmark_run_telegram_as_a_process(tg: FakeTelegram, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'run.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPMARK_")}
    batch = tmp_path / "small.jsonl"
    batch.write_text(
        "".join(
            json.dumps({"id": f"s{i}", "data": {"text": f"Review number {i}."}}) + "\n"
            for i in range(3)
        )
    )
    example = (ROOT / "examples/reviews/project.toml").read_text()
    project_file = tmp_path / "project.toml"
    project_file.write_text(
        example.replace('guideline = "guideline.md"\n', "").replace(
            "qualification = 4", "qualification = 0"
        )
    )
    cli("project", "create", str(project_file), "--db", db, env=env)
    cli("batch", "import", "reviews", str(batch), "--publish", "--db", db, env=env)
    code = cli("invite", "reviews", "--role", "annotator", "--db", db, env=env).split()[-1]

    run_env = {
        **env,
        "TAPMARK_TELEGRAM_TOKEN": tg.token,
        "TAPMARK_TELEGRAM_API_URL": tg.root,
        "TAPMARK_DATABASE_URL": db,
        "TAPMARK_HEALTH_LISTEN": f"127.0.0.1:{free_port()}",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "run",
        "--telegram",
        cwd=ROOT,
        env=run_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await tg.wait_for(lambda: tg.calls["getUpdates"], timeout=20, what="polling")
        tg.user_send_text(4001, f"/start {code}", first_name="Ann")
        await tg.wait_for(lambda: len(tg.chat(4001).bot_messages()) == 2, what="task card")
        card = tg.chat(4001).bot_messages()[-1]
        query = tg.user_press(4001, "👎 Negative", message_id=card.message_id)
        assert (await tg.wait_answered(query)).text == "Saved ✓"
        await tg.wait_for(lambda: card.edit_count == 1)
        health = f"http://{run_env['TAPMARK_HEALTH_LISTEN']}"
        async with httpx.AsyncClient() as client:
            status = (await client.get(f"{health}/healthz")).json()
            page = (await client.get(f"{health}/metrics")).text
        assert status == {"healthy": True, "database": "ok", "telegram": "up"}
        assert "\ntapmark_answers 1.0\n" in page
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = err.decode()
    assert proc.returncode == 0, log
    assert time.monotonic() - started < 5
    assert "is up (long polling)" in log and "stopped" in log
    assert "set TAPMARK_TELEGRAM_BOT_NAME=tapmark_test_bot so that `tapmark invite`" in log
    assert tg.token not in log and tg.token.split(":")[1] not in log + out.decode()

    records = [
        json.loads(line) for line in cli("export", "reviews", "--db", db, env=env).splitlines()
    ]
    given = [(r["id"], a["label"]) for r in records for a in r["answers"]]
    assert len(given) == 1 and given[0][1] == "negative"


async def test_the_outbox_reaches_the_person_once(
    tg: FakeTelegram, store: Store, start: Start, make_project: MakeProject
) -> None:
    from bot.chat.actions import Screen
    from bot.chat.outbox import notify

    code = await make_project(items=2)
    await start(outbox_interval=0.05)
    await join(tg, 7, code)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("telegram", "7")
        assert member is not None
        await notify(tx, member.id, Screen("*QA* has a question about item 3"), 1.0)
    message = await tg.wait_for(
        lambda: next((m for m in tg.chat(7).bot_messages() if "QA" in (m.text or "")), None),
        what="the outbox message",
    )
    assert message.text == "QA has a question about item 3"
    await asyncio.sleep(0.3)
    assert sum("QA" in (m.text or "") for m in tg.chat(7).bot_messages()) == 1
    async with store.transaction() as tx:
        assert await tx.outbox_pending("telegram", 10) == []


async def set_status(store: Store, user_id: str, status: str) -> None:
    """Change the annotator's role as another worker would, while their lease stays open."""
    async with store.transaction() as tx:
        member = await tx.member_by_identity("telegram", user_id)
        project = await tx.project_by_name("t")
        assert member is not None and project is not None
        await tx.set_role_status(project.id, member.id, Role.ANNOTATOR, status)
        assert await tx.open_assignment(project.id, member.id) is not None


@pytest.mark.parametrize("status", ["suspended", "removed"])
async def test_a_press_after_losing_the_role_stores_nothing_though_the_lease_is_open(
    tg: FakeTelegram, store: Store, make_project: MakeProject, start: Start, status: str
) -> None:
    code = await make_project(items=3, overlap=2)
    await start()
    card = await join(tg, 3201, code)
    await set_status(store, "3201", status)
    edits = card.edit_count
    query = tg.user_tap(3201, card.message_id, card.button("pos").callback_data or "")
    assert (await tg.wait_answered(query)).text == NOT_YOURS
    await tg.wait_for(lambda: card.edit_count > edits, what="the card says why")
    assert ("paused" in card.text) if status == "suspended" else ("no longer" in card.text)
    assert not any(label in LABELS for label in card.labels)
    assert sum(len(a) for a in (await answers(store)).values()) == 0


async def test_when_the_core_fails_the_person_is_told_and_the_card_still_works(
    tg: FakeTelegram, store: Store, db_url: str, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()
    card = await join(tg, 3301, code)
    break_answers(db_url, broken=True)
    query = tg.user_tap(3301, card.message_id, card.button("pos").callback_data or "")
    assert (await tg.wait_answered(query)).text == (
        "Something went wrong on my side. Please try again in a moment."
    )
    before = len(tg.chat(3301).bot_messages())
    tg.user_send_text(3301, "/progress")
    reply = await tg.wait_for(
        lambda: tg.chat(3301).bot_messages()[before:] or None, what="the apology"
    )
    assert reply[0].text.startswith("Something went wrong on my side.")
    assert card.edit_count == 0
    break_answers(db_url, broken=False)
    assert await press(tg, 3301, card, "pos") == "Saved ✓"
    assert sum(len(a) for a in (await answers(store)).values()) == 1
