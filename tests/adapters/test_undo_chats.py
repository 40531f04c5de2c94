"""Undo on Telegram and Slack, through the real python-telegram-bot and slack-bolt talking HTTP
to the fakes, on both engines: the mis-tapped task comes back on the card and the counts go
back; refused once the answer settled the item; an old or another person's Undo is refused."""

from __future__ import annotations

import html
import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter, SlackConfig
from adapters.telegram import TelegramAdapter, TelegramConfig
from bot.core import Core
from bot.labeling.undo import ALREADY, NOTHING, SETTLED, STALE
from bot.media.store import UploadRefs
from storage import open_store
from storage.contract import Store
from tests.fakes.slack_api import FakeSlack, SlackMessage
from tests.fakes.telegram_api import ChatMessage, FakeTelegram
from tests.storage.engines import ENGINES

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

MakeProject = Callable[..., Any]
ALICE, BOB = 7_200_001, 7_200_002
TEAM, S_ALICE, S_BOB = "T9", "UALICE1", "UBOBBY2"
UNDONE = "Undone: answer this one again."
NOT_YOURS = "This task is no longer yours."


@pytest.fixture(params=sorted(ENGINES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with ENGINES[request.param](tmp_path) as engine, open_store(engine.url) as s:
        yield s


async def counts(store: Store) -> tuple[int, list[int], list[tuple[str, int, int]]]:
    """Answers in all, each person's answers, and per item: status, answers, target."""
    async with store.transaction() as tx:
        project = await tx.project_by_name("t")
        assert project is not None
        stats = await tx.project_stats(project.id)
        people = await tx.all_member_stats(project.id)
        items = [await tx.item(i) for i in range(1, stats.items + stats.gold_items + 1)]
    return (
        stats.answers,
        [m.answers for _, m in sorted(people.items())],
        [(i.status, i.n_answers, i.n_target) for i in items],
    )


def item_line(text: str) -> str:
    return next(line for line in text.splitlines() if "item number" in line)


# ------------------------------------------------------------------------------------------------
# Telegram


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.add_user(ALICE, "Alice")
        fake.add_user(BOB, "Bob")
        yield fake


@pytest.fixture
async def telegram(tg: FakeTelegram, store: Store) -> AsyncIterator[TelegramAdapter]:
    core = Core(store, rng=random.Random(3))
    config = TelegramConfig(token=tg.token, api_url=tg.root, backoff=0.05, outbox_interval=0.05)
    running = TelegramAdapter(core, config, UploadRefs(store))
    await running.start()
    yield running
    await running.stop()


async def tg_card(tg: FakeTelegram, uid: int, code: str) -> ChatMessage:
    tg.user_send_text(uid, f"/start {code}")
    return await tg.wait_for(
        lambda: next((m for m in tg.chat(uid).bot_messages() if "pos" in m.labels), None),
        what=f"a task for {uid}",
    )


async def tg_press(
    tg: FakeTelegram, uid: int, message: ChatMessage, data: str, edited: bool = True
) -> str | None:
    edits = message.edit_count
    answer = await tg.wait_answered(tg.user_tap(uid, message.message_id, data, check=False))
    if edited:
        await tg.wait_for(lambda: message.edit_count > edits, what="edit of the card")
    return answer.text


async def test_telegram_undo_brings_the_task_back_and_the_counts(
    tg: FakeTelegram, store: Store, telegram: TelegramAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4)
    card = await tg_card(tg, ALICE, code)
    first = item_line(card.content)
    before = await counts(store)
    assert "Undo" not in card.labels
    assert await tg_press(tg, ALICE, card, card.button("pos").callback_data or "") == "Saved ✓"
    assert item_line(card.content) != first and "Undo" in card.labels
    assert (await counts(store))[:2] == (1, [1])
    undo = card.button("Undo").callback_data or ""
    assert await tg_press(tg, ALICE, card, undo) == UNDONE
    assert item_line(card.content) == first and "Undo" not in card.labels
    assert await counts(store) == before
    assert await tg_press(tg, ALICE, card, undo) == ALREADY  # a double tap: nothing more
    assert item_line(card.content) == first and await counts(store) == before
    tg.user_send_text(ALICE, "/undo")
    assert (await tg.wait_bot_message(ALICE)).text == NOTHING
    assert await counts(store) == before


async def test_telegram_refuses_an_old_undo_and_another_persons(
    tg: FakeTelegram, store: Store, telegram: TelegramAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4)
    card = await tg_card(tg, ALICE, code)
    bobs = await tg_card(tg, BOB, code)
    await tg_press(tg, ALICE, card, card.button("pos").callback_data or "")
    old = card.button("Undo").callback_data or ""
    await tg_press(tg, ALICE, card, card.button("neg").callback_data or "")
    answered = await counts(store)
    assert await tg_press(tg, ALICE, card, old, edited=False) == STALE
    newest = card.button("Undo").callback_data or ""
    assert await tg_press(tg, BOB, bobs, newest, edited=False) == NOT_YOURS
    assert await counts(store) == answered


async def test_telegram_undo_refused_once_the_answer_settled_the_item(
    tg: FakeTelegram, store: Store, telegram: TelegramAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4, overlap=1)
    card = await tg_card(tg, ALICE, code)
    await tg_press(tg, ALICE, card, card.button("pos").callback_data or "")
    assert "Undo" not in card.labels  # nothing it could do
    settled = await counts(store)
    tg.user_send_text(ALICE, "/undo")
    assert (await tg.wait_bot_message(ALICE)).text == SETTLED
    assert await counts(store) == settled


# ------------------------------------------------------------------------------------------------
# Slack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(teams=(TEAM,)) as fake:
        fake.add_user(TEAM, S_ALICE, name="alice", real_name="Alice Doe")
        fake.add_user(TEAM, S_BOB, name="bob", real_name="Bob Roe")
        yield fake


@pytest.fixture
async def slack_app(slack: FakeSlack, store: Store) -> AsyncIterator[SlackAdapter]:
    core = Core(store, rng=random.Random(3))
    config = SlackConfig(
        bot_token=slack.token, signing_secret=slack.signing_secret, api_url=slack.api_url,
        listen=("127.0.0.1", 0), outbox_interval=0.05,
    )  # fmt: skip
    running = SlackAdapter(core, config, UploadRefs(store))
    await running.start()
    slack.connect_app(f"http://127.0.0.1:{running.port}/slack/events")
    yield running
    await running.stop()


def shown(message: SlackMessage) -> str:
    return html.unescape(message.text)


def labels(message: SlackMessage) -> list[str]:
    return [b.text for b in message.buttons]


def note(message: SlackMessage) -> str:
    first = message.blocks[0] if message.blocks else {}
    return str(first["elements"][0]["text"]) if first.get("type") == "context" else ""


async def s_card(slack: FakeSlack, user: str, code: str) -> SlackMessage:
    await slack.slash_command(TEAM, user, "/tapmark", f"start {code}")
    return await slack.wait_for(
        lambda: next(
            (m for m in slack.dm(TEAM, user).bot_messages(ephemeral=False) if "pos" in labels(m)),
            None,
        ),
        what=f"a task for {user}",
        person=(TEAM, user),
    )


async def s_press(slack: FakeSlack, user: str, message: SlackMessage, label: str) -> str:
    edits = message.edits
    assert (await slack.click(TEAM, user, message, label)).status == 200
    await slack.wait_for(
        lambda: message.edits > edits, what="update of the card", person=(TEAM, user)
    )
    return note(message)


async def s_refused(slack: FakeSlack, user: str, message: SlackMessage, button: Any) -> str:
    """Click a button that changes nothing; the ephemeral note that answers it."""
    mark = slack.seq
    assert (await slack.click(TEAM, user, message, button)).status == 200
    return shown(await slack.wait_bot_message(TEAM, user, since=mark))


async def test_slack_undo_brings_the_task_back_and_the_counts(
    slack: FakeSlack, store: Store, slack_app: SlackAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4)
    card = await s_card(slack, S_ALICE, code)
    first = item_line(shown(card))
    before = await counts(store)
    assert await s_press(slack, S_ALICE, card, "pos") == "Saved ✓"
    assert item_line(shown(card)) != first and "Undo" in labels(card)
    undo = card.button("Undo")
    assert await s_press(slack, S_ALICE, card, "Undo") == UNDONE
    assert item_line(shown(card)) == first and "Undo" not in labels(card)
    assert await counts(store) == before
    assert await s_press(slack, S_ALICE, card, undo) == ALREADY  # type: ignore[arg-type]
    assert await counts(store) == before
    mark = slack.seq
    await slack.slash_command(TEAM, S_ALICE, "/tapmark", "undo")
    assert shown(await slack.wait_bot_message(TEAM, S_ALICE, since=mark)) == NOTHING
    assert await counts(store) == before


async def test_slack_refuses_an_old_undo_and_another_persons(
    slack: FakeSlack, store: Store, slack_app: SlackAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4)
    card = await s_card(slack, S_ALICE, code)
    bobs = await s_card(slack, S_BOB, code)
    await s_press(slack, S_ALICE, card, "pos")
    old = card.button("Undo")
    await s_press(slack, S_ALICE, card, "neg")
    answered = await counts(store)
    assert await s_refused(slack, S_ALICE, card, old) == STALE
    assert await s_refused(slack, S_BOB, bobs, card.button("Undo")) == NOT_YOURS
    assert await counts(store) == answered


async def test_slack_undo_refused_once_the_answer_settled_the_item(
    slack: FakeSlack, store: Store, slack_app: SlackAdapter, make_project: MakeProject
) -> None:
    code = await make_project(items=4, overlap=1)
    card = await s_card(slack, S_ALICE, code)
    await s_press(slack, S_ALICE, card, "pos")
    assert "Undo" not in labels(card)  # nothing it could do
    settled = await counts(store)
    mark = slack.seq
    await slack.slash_command(TEAM, S_ALICE, "/tapmark", "undo")
    assert shown(await slack.wait_bot_message(TEAM, S_ALICE, since=mark)) == SETTLED
    assert await counts(store) == settled
