"""A whole workplace run from Telegram chats alone, through the real python-telegram-bot talking
HTTP to FakeTelegram: an admin sends the project and a batch, invites people, annotators label
and disagree, QA sends the item back and decides, the admin exports. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator

import pytest

from adapters.telegram import TelegramAdapter, TelegramConfig
from bot.core import Core
from bot.media.store import UploadRefs
from storage.contract import Store
from tests.adapters import workplace as wp
from tests.fakes.telegram_api import ChatMessage, FakeTelegram

ADMIN = 7_100_001
ANNOTATORS = [7_100_011, 7_100_012, 7_100_013]
QA = 7_100_021
NAMES = {
    ADMIN: "Olga Admiral",
    QA: "Quentin Reviewer",
    7_100_011: "Annika Quill",
    7_100_012: "Bertram Fenwick",
    7_100_013: "Cecilia Marsh",
}

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        for uid, name in NAMES.items():
            fake.add_user(
                uid, name.split()[0], last_name=name.split()[1], username=name.split()[0].lower()
            )
        yield fake


@pytest.fixture
async def adapter(tg: FakeTelegram, store: Store) -> AsyncIterator[TelegramAdapter]:
    core = Core(store, rng=random.Random(3), admins=frozenset({("telegram", str(ADMIN))}))
    config = TelegramConfig(token=tg.token, api_url=tg.root, backoff=0.05, outbox_interval=0.05)
    running = TelegramAdapter(core, config, UploadRefs(store))
    await running.start()
    yield running
    await running.stop()


# ------------------------------------------------------------------------------------------------
# Playing a person


async def say(tg: FakeTelegram, uid: int, text: str) -> str:
    """Write to the bot; the text of its answer."""
    tg.user_send_text(uid, text)
    return (await tg.wait_bot_message(uid)).text or ""


async def upload(tg: FakeTelegram, uid: int, name: str, content: bytes) -> ChatMessage:
    tg.user_send_document(uid, name, content)
    return await tg.wait_bot_message(uid)


async def press(tg: FakeTelegram, uid: int, message: ChatMessage, label: str) -> str | None:
    """Press the button; wait for the answer to the press and the edit; give the toast."""
    edits = message.edit_count
    query = tg.user_tap(uid, message.message_id, message.button(label).callback_data or "")
    answer = await tg.wait_answered(query)
    await tg.wait_for(lambda: message.edit_count > edits, what=f"edit of {message.message_id}")
    return answer.text


async def arrives(tg: FakeTelegram, uid: int, words: str) -> ChatMessage:
    """The bot message containing `words` (sent by the outbox pump in its own time)."""

    def found() -> ChatMessage | None:
        return next((m for m in reversed(tg.chat(uid).bot_messages()) if words in m.content), None)

    return await tg.wait_for(found, what=f"{words!r} in chat {uid}")


def card_of(tg: FakeTelegram, uid: int) -> ChatMessage:
    """The newest message with a task or the idle buttons."""
    for message in reversed(tg.chat(uid).bot_messages()):
        if message.labels and (message.labels[0] in wp.LABELS or message.labels == wp.IDLE):
            return message
    raise AssertionError(tg.chat(uid).transcript())


async def label_everything(tg: FakeTelegram, store: Store) -> int:
    """Annotators take turns on their cards until nothing is left; gives who reported."""
    reported: set[str] = set()
    reporter = None
    for _ in range(10):
        acted = False
        for n, uid in enumerate(ANNOTATORS):
            card = card_of(tg, uid)
            if card.labels == wp.IDLE:
                open_items = [
                    r for r in (await wp.records(store)).values() if r["status"] == "open"
                ]
                if open_items:
                    assert await press(tg, uid, card, "Check for tasks") == "OK"
                    acted = acted or card.labels != wp.IDLE
                continue
            acted = True
            choice = wp.choice(n, wp.item_on(card.content), reported)
            if choice == wp.REPORT:
                await press(tg, uid, card, "Report")
                assert "What is wrong with this item?" in card.content
                assert await press(tg, uid, card, "Unclear") == "Thanks, reported."
                reporter = uid
            else:
                assert await press(tg, uid, card, choice) == "Saved ✓"
        if not acted:
            break
    assert reporter is not None
    return reporter


# ------------------------------------------------------------------------------------------------


async def test_a_whole_workplace_runs_from_telegram_chats(
    tg: FakeTelegram, store: Store, adapter: TelegramAdapter
) -> None:
    # 1. The admin sends the project file.
    reply = await upload(tg, ADMIN, wp.PROJECT_FILE, wp.PROJECT)
    assert (reply.text or "").startswith(f"Project {wp.TITLE} ({wp.NAME}) created.")

    # 2. A batch with a mistake on line 2: named, and nothing stored; then the fixed one.
    reply = await upload(tg, ADMIN, wp.BATCH_FILE, wp.batch(bad=True))
    assert reply.text == (
        f"{wp.BATCH_FILE} was not imported: 1 problem. Nothing was stored.\n\n• {wp.BAD_PROBLEM}"
    )
    async with store.transaction() as tx:
        project = await tx.project_by_name(wp.NAME)
        assert project is not None and await tx.batches(project.id) == []
    draft = await upload(tg, ADMIN, wp.BATCH_FILE, wp.batch())
    assert f"{wp.BATCH_FILE} checked: 3 rows, 0 gold, no errors." in (draft.text or "")
    assert draft.labels == ["Publish", "Cancel"]
    assert await press(tg, ADMIN, draft, "Publish") == "Published"
    assert "desk-batch is published" in (draft.text or "")

    # 3. Invites made in chat; three annotators and a QA reviewer join with them.
    invite = await say(tg, ADMIN, "/invite annotator")
    assert f"Invite for {wp.TITLE} as annotator (any number of people)" in invite
    code = invite.split()[-1]
    assert f"/start {code}" in invite
    qa_code = (await say(tg, ADMIN, "/invite qa")).split()[-1]
    assert qa_code != code
    for uid in ANNOTATORS:
        tg.user_send_text(uid, f"/start {code}")
        await tg.wait_for(
            lambda uid=uid: any(  # type: ignore[misc]
                m.labels[:3] == list(wp.LABELS) for m in tg.chat(uid).bot_messages()
            ),
            what=f"a task for {uid}",
        )
    tg.user_send_text(QA, f"/start {qa_code}")
    welcome = await tg.wait_for(
        lambda: next(
            (m for m in tg.chat(QA).bot_messages() if "You joined as qa" in m.content), None
        )
    )
    assert welcome.text is not None and welcome.text.startswith(f"Welcome to {wp.TITLE}!")

    # 4. They label; two disagree on x1, one reports x3 as unclear.
    reporter = await label_everything(tg, store)
    state = await wp.records(store)
    assert {k: r["status"] for k, r in state.items()} == {
        "x1": "disputed",
        "x2": "done",
        "x3": "done",
    }
    assert await wp.open_flags(store) == 2
    for uid in ANNOTATORS:
        assert card_of(tg, uid).labels == wp.IDLE

    # 5. QA reviews the disputed item and sends it back with a comment.
    names = dict(
        zip(
            ANNOTATORS,
            await wp.pseudonyms(store, "telegram", [str(u) for u in ANNOTATORS]),
            strict=True,
        )
    )
    answered = {a["annotator"]: a["label"] for a in state["x1"]["answers"]}
    keeper = next(u for u in ANNOTATORS if answered.get(names[u]) == "pos")
    changer = next(u for u in ANNOTATORS if names[u] in answered and u != keeper)
    before = answered[names[changer]]
    tg.user_send_text(QA, "/review")
    card = await tg.wait_bot_message(QA)
    text = card.text or ""
    assert "disputed" in text and f"Item x1 (disputed): {wp.ITEMS['x1']}" in text
    assert f"{names[keeper]} pos" in text and f"{names[changer]} {before}" in text
    assert "Result so far: pos (confidence" in text and "2 open flags in the queue" in text
    assert not any(name in text for name in NAMES.values())
    assert card.labels == [
        "→ pos",
        "→ neg",
        "→ neu",
        "Accept",
        "Send back",
        "Gold",
        "Ping",
        "Guide note",
        "Skip",
    ]
    # Ping asks whom: both answerers by pseudonym, or all; the chosen one gets the item.
    await press(tg, QA, card, "Ping")
    assert (card.text or "").startswith("Whom should the message reach?")
    chooser = card.labels
    assert set(chooser[:2]) == {f"{names[keeper]} (pos)", f"{names[changer]} ({before})"}
    assert chooser[2:] == ["All of them", "Back"]
    await press(tg, QA, card, f"{names[changer]} ({before})")
    assert "Sent to 1 person." in await say(tg, QA, "Why that label?")
    pinged = await arrives(tg, changer, "Why that label?")
    assert f"about item x1:\n{wp.ITEMS['x1']}" in pinged.content
    assert not any("Why that label?" in m.content for m in tg.chat(keeper).bot_messages())
    tg.user_send_text(QA, "/review")
    card = await tg.wait_bot_message(QA)
    await press(tg, QA, card, "Send back")
    assert (card.text or "").startswith("Type the comment for the annotators in one message.")
    assert "Sent back to 2 annotators." in await say(tg, QA, wp.COMMENT)

    # The two who answered get the item, their answer and the comment, through the outbox.
    backs = {uid: await arrives(tg, uid, "QA sent an item back") for uid in (keeper, changer)}
    for uid, back in backs.items():
        mine = answered[names[uid]]
        assert wp.COMMENT in back.content and wp.ITEMS["x1"] in back.content
        assert f"Your answer: {mine}." in back.content
        assert back.labels == [("✓ " if label == mine else "") + label for label in wp.LABELS] + [
            "Keep my answer"
        ]
    [other] = [u for u in ANNOTATORS if u not in backs]  # did not answer x1: not asked
    assert not any("QA sent" in m.content for m in tg.chat(other).bot_messages())

    # One relabels, one keeps their answer and says why; QA hears of both.
    assert await press(tg, changer, backs[changer], "pos") == "Changed to pos"
    assert backs[changer].text == "Thanks. Your answer is now pos; QA is told."
    assert await press(tg, keeper, backs[keeper], "Keep my answer") == "OK"
    assert backs[keeper].text == "Tell QA in one message why you keep your answer."
    assert await say(tg, keeper, wp.KEEP_REASON) == "Thanks; QA has your reply."
    relabelled = await arrives(tg, QA, "relabelled it")
    assert relabelled.text == (
        f"{names[changer]} relabelled it on item x1 ({wp.TITLE}): "
        f"{before} → pos\n/review shows the flag again."
    )
    kept = await arrives(tg, QA, "keeps their answer")
    assert kept.text == (
        f"{names[keeper]} keeps their answer on item x1 ({wp.TITLE}): "
        f"{wp.KEEP_REASON}\n/review shows the flag again."
    )

    # The flag is back with its thread; QA accepts it, then sets the reported item's label.
    tg.user_send_text(QA, "/review")
    card = await tg.wait_bot_message(QA)
    text = card.text or ""
    assert "Item x1 (done)" in text and "Answers: " in text and f"{names[changer]} pos" in text
    assert f"QA (sent back): {wp.COMMENT}" in text
    assert f"{names[changer]} (relabelled): {before} → pos" in text
    assert f"{names[keeper]} (kept): {wp.KEEP_REASON}" in text
    assert await press(tg, QA, card, "Accept") == "Accepted"
    text = card.text or ""
    assert "unclear" in text and f"Raised by {names[reporter]}" in text
    assert f"Item x3 (done): {wp.ITEMS['x3']}" in text and "1 open flag in the queue" in text
    assert await press(tg, QA, card, f"→ {wp.QA_LABEL}") == f"Set to {wp.QA_LABEL}"
    assert card.text == "The review queue is empty. 🎉"
    assert await wp.open_flags(store) == 0

    # 6. The admin exports: a document whose JSONL shows every decision, pseudonymously.
    tg.user_send_text(ADMIN, "/export")
    document = await tg.wait_bot_message(ADMIN)
    assert document.document is not None and document.document.file_name == f"{wp.NAME}.jsonl"
    assert (document.caption or "").startswith(f"{wp.TITLE}: ")
    exported = document.document.content.decode()
    secrets = [
        *NAMES.values(),
        *(n.split()[0].lower() for n in NAMES.values()),
        *(str(uid) for uid in NAMES),
    ]
    wp.check_export(
        exported, list(names.values()), names[changer], names[keeper], names[reporter], secrets
    )
    stored = await wp.records(store)
    assert [json.loads(line) for line in exported.splitlines()] == list(stored.values())
    actions = await wp.audit_actions(store)
    assert actions[-6:] == [
        "review.send_back",
        "review.relabelled",
        "review.kept",
        "review",
        "review",
        "export",
    ]

    # 7. An annotator tries the tools of QA and managers: refused, and nothing changes.
    someone = ANNOTATORS[2]
    documents, sent = tg.calls["sendDocument"], tg.calls["sendMessage"]
    assert await say(tg, someone, "/review") == (
        "Only QA reviewers and managers of this project can review."
    )
    assert await say(tg, someone, "/export") == f"Only a manager of {wp.TITLE} can do that."
    assert await say(tg, someone, "/broadcast hi") == f"Only a manager of {wp.TITLE} can do that."
    await asyncio.sleep(0.3)  # time for a wrong broadcast to leave the outbox
    assert tg.calls["sendDocument"] == documents and tg.calls["sendMessage"] == sent + 3
    assert await wp.audit_actions(store) == actions
    assert await wp.records(store) == stored and await wp.open_flags(store) == 0
    async with store.transaction() as tx:
        assert await tx.outbox_pending("telegram", 10) == []
