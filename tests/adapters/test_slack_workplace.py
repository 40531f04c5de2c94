"""A whole workplace run from Slack DMs alone, through the real slack-bolt and slack_sdk talking
HTTP to FakeSlack (signed requests in, Web API calls out): an admin sends the project and a batch
as files, invites people, annotators label and disagree, QA sends the item back and decides, the
admin exports. Nothing is mocked.
"""

from __future__ import annotations

import asyncio
import html
import json
import random
from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter, SlackConfig
from bot.core import Core
from bot.media.store import UploadRefs
from storage.contract import Store
from tests.adapters import workplace as wp
from tests.fakes.slack_api import FakeSlack, SlackMessage

TEAM = "T1"
ADMIN = "UOLGA01"
ANNOTATORS = ["UANNI11", "UBERT12", "UCECI13"]
QA = "UQUEN21"
NAMES = {
    ADMIN: "Olga Admiral",
    QA: "Quentin Reviewer",
    "UANNI11": "Annika Quill",
    "UBERT12": "Bertram Fenwick",
    "UCECI13": "Cecilia Marsh",
}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(teams=(TEAM,)) as fake:
        for user, name in NAMES.items():
            fake.add_user(TEAM, user, name=name.split()[0].lower(), real_name=name)
        yield fake


@pytest.fixture
async def adapter(slack: FakeSlack, store: Store) -> AsyncIterator[SlackAdapter]:
    core = Core(store, rng=random.Random(3), admins=frozenset({("slack", f"{TEAM}:{ADMIN}")}))
    config = SlackConfig(
        bot_token=slack.token, signing_secret=slack.signing_secret, api_url=slack.api_url,
        listen=("127.0.0.1", 0), outbox_interval=0.05,
    )  # fmt: skip
    running = SlackAdapter(core, config, UploadRefs(store))
    await running.start()
    slack.connect_app(f"http://127.0.0.1:{running.port}/slack/events")
    yield running
    await running.stop()


# ------------------------------------------------------------------------------------------------
# Playing a person


def shown(message: SlackMessage) -> str:
    """What the message says, as plain text (its notification text, entities resolved)."""
    return html.unescape(message.text)


def labels_of(message: SlackMessage) -> list[str]:
    return [b.text for b in message.buttons]


def note_of(message: SlackMessage) -> str:
    """The toast, shown as a context line on top of the message it changed ("" if none)."""
    first = message.blocks[0] if message.blocks else {}
    return str(first["elements"][0]["text"]) if first.get("type") == "context" else ""


async def command(slack: FakeSlack, user: str, text: str) -> SlackMessage:
    """``/tapmark TEXT``; the bot's answer in the DM."""
    mark = slack.seq
    reply = await slack.slash_command(TEAM, user, "/tapmark", text)
    assert reply.status == 200 and reply.body == ""  # acknowledged; the answer goes to the DM
    return await slack.wait_bot_message(TEAM, user, since=mark)


async def write(slack: FakeSlack, user: str, text: str) -> SlackMessage:
    """A message in the DM; the bot's answer."""
    mark = slack.seq
    assert (await slack.message(TEAM, user, text)).status == 200
    return await slack.wait_bot_message(TEAM, user, since=mark)


async def upload(slack: FakeSlack, user: str, name: str, content: bytes) -> SlackMessage:
    """A file shared in the DM; the bot's answer."""
    mark = slack.seq
    assert (await slack.share_file(TEAM, user, name, content)).status == 200
    return await slack.wait_bot_message(TEAM, user, since=mark)


async def press(slack: FakeSlack, user: str, message: SlackMessage, label: str) -> str:
    """Click the button, wait for the message to change; give the toast on top of it."""
    edits = message.edits
    assert (await slack.click(TEAM, user, message, label)).status == 200
    await slack.wait_for(
        lambda: message.edits > edits, what=f"update of {message.ts}", person=(TEAM, user)
    )
    return note_of(message)


async def arrives(slack: FakeSlack, user: str, words: str) -> SlackMessage:
    """The bot message containing `words` (sent by the outbox pump in its own time)."""

    def found() -> SlackMessage | None:
        return next(
            (m for m in reversed(slack.dm(TEAM, user).bot_messages()) if words in shown(m)), None
        )

    return await slack.wait_for(found, what=f"{words!r} for {user}", person=(TEAM, user))


def card_of(slack: FakeSlack, user: str) -> SlackMessage:
    """The newest message with a task or the idle buttons."""
    for message in reversed(slack.dm(TEAM, user).bot_messages(ephemeral=False)):
        labels = labels_of(message)
        if labels and (labels[0] in wp.LABELS or labels == wp.IDLE):
            return message
    raise AssertionError(slack.dm(TEAM, user).transcript())


async def label_everything(slack: FakeSlack, store: Store) -> str:
    """Annotators take turns on their cards until nothing is left; gives who reported."""
    reported: set[str] = set()
    reporter = None
    for _ in range(10):
        acted = False
        for n, user in enumerate(ANNOTATORS):
            card = card_of(slack, user)
            if labels_of(card) == wp.IDLE:
                open_items = [
                    r for r in (await wp.records(store)).values() if r["status"] == "open"
                ]
                if open_items:
                    assert await press(slack, user, card, "Check for tasks") == "OK"
                    acted = acted or labels_of(card) != wp.IDLE
                continue
            acted = True
            choice = wp.choice(n, wp.item_on(shown(card)), reported)
            if choice == wp.REPORT:
                await press(slack, user, card, "Report")
                assert "What is wrong with this item?" in shown(card)
                assert await press(slack, user, card, "Unclear") == "Thanks, reported."
                reporter = user
            else:
                assert await press(slack, user, card, choice) == "Saved ✓"
        if not acted:
            break
    assert reporter is not None
    return reporter


# ------------------------------------------------------------------------------------------------


async def test_a_whole_workplace_runs_from_slack_dms(
    slack: FakeSlack, store: Store, adapter: SlackAdapter
) -> None:
    # 1. The admin shares the project file in the DM.
    reply = await upload(slack, ADMIN, wp.PROJECT_FILE, wp.PROJECT)
    assert shown(reply).startswith(f"Project {wp.TITLE} ({wp.NAME}) created.")
    assert slack.calls["conversations.open"] == 0  # answered in the DM the file came from

    # 2. A batch with a mistake on line 2: named, and nothing stored; then the fixed one.
    reply = await upload(slack, ADMIN, wp.BATCH_FILE, wp.batch(bad=True))
    assert shown(reply) == (
        f"{wp.BATCH_FILE} was not imported: 1 problem. Nothing was stored.\n\n• {wp.BAD_PROBLEM}"
    )
    async with store.transaction() as tx:
        project = await tx.project_by_name(wp.NAME)
        assert project is not None and await tx.batches(project.id) == []
    draft = await upload(slack, ADMIN, wp.BATCH_FILE, wp.batch())
    assert f"{wp.BATCH_FILE} checked: 3 rows, 0 gold, no errors." in shown(draft)
    assert labels_of(draft) == ["Publish", "Cancel"]
    assert await press(slack, ADMIN, draft, "Publish") == "Published"
    assert "desk-batch is published" in shown(draft)

    # 3. Invites made in the DM; three annotators and a QA reviewer join with them.
    invite = shown(await command(slack, ADMIN, "invite annotator"))
    assert f"Invite for {wp.TITLE} as annotator (any number of people)" in invite
    code = invite.split()[-1]
    assert f"/tapmark start {code}" in invite  # the command as typed in Slack
    qa_code = shown(await command(slack, ADMIN, "invite qa")).split()[-1]
    assert qa_code != code
    for user in ANNOTATORS:
        assert (await slack.slash_command(TEAM, user, "/tapmark", f"start {code}")).status == 200
        await slack.wait_for(
            lambda user=user: any(  # type: ignore[misc]
                labels_of(m)[:3] == list(wp.LABELS) for m in slack.dm(TEAM, user).bot_messages()
            ),
            what=f"a task for {user}",
            person=(TEAM, user),
        )
    await slack.slash_command(TEAM, QA, "/tapmark", f"start {qa_code}")
    welcome = await arrives(slack, QA, "You joined as qa")
    assert shown(welcome).startswith(f"Welcome to {wp.TITLE}!")

    # 4. They label; two disagree on x1, one reports x3 as unclear.
    reporter = await label_everything(slack, store)
    state = await wp.records(store)
    assert {k: r["status"] for k, r in state.items()} == {
        "x1": "disputed",
        "x2": "done",
        "x3": "done",
    }
    assert await wp.open_flags(store) == 2
    for user in ANNOTATORS:
        assert labels_of(card_of(slack, user)) == wp.IDLE

    # 5. QA reviews the disputed item and sends it back with a comment.
    ids = [f"{TEAM}:{u}" for u in ANNOTATORS]
    names = dict(zip(ANNOTATORS, await wp.pseudonyms(store, "slack", ids), strict=True))
    answered = {a["annotator"]: a["label"] for a in state["x1"]["answers"]}
    keeper = next(u for u in ANNOTATORS if answered.get(names[u]) == "pos")
    changer = next(u for u in ANNOTATORS if names[u] in answered and u != keeper)
    before = answered[names[changer]]
    card = await command(slack, QA, "review")
    text = shown(card)
    assert "disputed" in text and f"Item x1 (disputed): {wp.ITEMS['x1']}" in text
    assert f"{names[keeper]} pos" in text and f"{names[changer]} {before}" in text
    assert "Result so far: pos (confidence" in text and "2 open flags in the queue" in text
    assert not any(name in card.all_text for name in NAMES.values())
    assert labels_of(card) == [
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
    await press(slack, QA, card, "Ping")
    assert shown(card).startswith("Whom should the message reach?")
    chooser = labels_of(card)
    assert set(chooser[:2]) == {f"{names[keeper]} (pos)", f"{names[changer]} ({before})"}
    assert chooser[2:] == ["All of them", "Back"]
    await press(slack, QA, card, f"{names[changer]} ({before})")
    assert "Sent to 1 person." in shown(await write(slack, QA, "Why that label?"))
    pinged = await arrives(slack, changer, "Why that label?")
    assert "about item x1:" in shown(pinged) and wp.ITEMS["x1"] in shown(pinged)
    assert not any("Why that label?" in shown(m) for m in slack.dm(TEAM, keeper).bot_messages())
    card = await command(slack, QA, "review")
    await press(slack, QA, card, "Send back")
    assert shown(card).startswith("Type the comment for the annotators in one message.")
    assert "Sent back to 2 annotators." in shown(await write(slack, QA, wp.COMMENT))

    # The two who answered get the item, their answer and the comment, through the outbox.
    backs = {user: await arrives(slack, user, "QA sent an item back") for user in (keeper, changer)}
    for user, back in backs.items():
        mine = answered[names[user]]
        assert wp.COMMENT in shown(back) and wp.ITEMS["x1"] in shown(back)
        assert f"Your answer: {mine}." in shown(back)
        assert labels_of(back) == [
            *(("✓ " if label == mine else "") + label for label in wp.LABELS),
            "Keep my answer",
        ]
    [other] = [u for u in ANNOTATORS if u not in backs]  # did not answer x1: not asked
    assert not any("QA sent" in shown(m) for m in slack.dm(TEAM, other).bot_messages())

    # One relabels, one keeps their answer and says why; QA hears of both.
    assert await press(slack, changer, backs[changer], "pos") == "Changed to pos"
    assert shown(backs[changer]) == "Thanks. Your answer is now pos; QA is told."
    assert await press(slack, keeper, backs[keeper], "Keep my answer") == "OK"
    assert shown(backs[keeper]) == "Tell QA in one message why you keep your answer."
    assert shown(await write(slack, keeper, wp.KEEP_REASON)) == "Thanks; QA has your reply."
    relabelled = await arrives(slack, QA, "relabelled it")
    assert shown(relabelled) == (
        f"{names[changer]} relabelled it on item x1 ({wp.TITLE}): "
        f"{before} → pos\n/tapmark review shows the flag again."
    )
    kept = await arrives(slack, QA, "keeps their answer")
    assert shown(kept) == (
        f"{names[keeper]} keeps their answer on item x1 ({wp.TITLE}): "
        f"{wp.KEEP_REASON}\n/tapmark review shows the flag again."
    )

    # The flag is back with its thread; QA accepts it, then sets the reported item's label.
    card = await command(slack, QA, "review")
    text = shown(card)
    assert "Item x1 (done)" in text and f"{names[changer]} pos" in text
    assert f"QA (sent back): {wp.COMMENT}" in text
    assert f"{names[changer]} (relabelled): {before} → pos" in text
    assert f"{names[keeper]} (kept): {wp.KEEP_REASON}" in text
    assert await press(slack, QA, card, "Accept") == "Accepted"
    text = shown(card)
    assert "unclear" in text and f"Raised by {names[reporter]}" in text
    assert f"Item x3 (done): {wp.ITEMS['x3']}" in text and "1 open flag in the queue" in text
    assert await press(slack, QA, card, f"→ {wp.QA_LABEL}") == f"Set to {wp.QA_LABEL}"
    assert shown(card) == "The review queue is empty. 🎉"
    assert await wp.open_flags(store) == 0

    # 6. The admin exports: a file in the DM whose JSONL shows every decision, pseudonymously.
    mark = slack.seq
    await slack.slash_command(TEAM, ADMIN, "/tapmark", "export")
    shared = await slack.wait_for(
        lambda: next((m for m in slack.dm(TEAM, ADMIN).bot_messages()
                      if m.files and m.seq > mark), None),
        what="the export", person=(TEAM, ADMIN))  # fmt: skip
    [file] = shared.files
    assert file.name == f"{wp.NAME}.jsonl" and shown(shared).startswith(f"{wp.TITLE}: ")
    assert file.content is not None
    exported = file.content.decode()
    secrets = [*NAMES.values(), *(n.split()[0].lower() for n in NAMES.values()), *NAMES]
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
    uploads, posted = slack.calls["files.completeUploadExternal"], slack.calls["chat.postMessage"]
    assert shown(await command(slack, someone, "review")) == (
        "Only QA reviewers and managers of this project can review."
    )
    refusal = f"Only a manager of {wp.TITLE} can do that."
    assert shown(await command(slack, someone, "export")) == refusal
    assert shown(await command(slack, someone, "broadcast hi")) == refusal
    await asyncio.sleep(0.3)  # time for a wrong broadcast to leave the outbox
    assert slack.calls["files.completeUploadExternal"] == uploads
    assert slack.calls["chat.postMessage"] == posted + 3
    assert await wp.audit_actions(store) == actions
    assert await wp.records(store) == stored and await wp.open_flags(store) == 0
    async with store.transaction() as tx:
        assert await tx.outbox_pending("slack", 10) == []


async def test_a_shared_file_the_bot_cannot_read_is_answered(
    slack: FakeSlack, store: Store, adapter: SlackAdapter
) -> None:
    # Slack's sign-in page instead of the file (a token without files:read): not a project.
    slack.fail_next("files.download", 1, status=200, error="sign-in page")
    reply = await upload(slack, ADMIN, wp.PROJECT_FILE, wp.PROJECT)
    assert shown(reply) == "Something went wrong on my side. Please try again in a moment."
    slack.fail_next("files.download", 1, status=500)
    reply = await upload(slack, ADMIN, wp.PROJECT_FILE, wp.PROJECT)
    assert shown(reply).startswith("Something went wrong on my side.")
    async with store.transaction() as tx:
        assert await tx.project_by_name(wp.NAME) is None

    big = b"{}\n" * (7 * 1024 * 1024)  # over 20 MB: refused by its size, not downloaded
    reply = await upload(slack, ADMIN, "huge.jsonl", big)
    assert shown(reply) == "That file is too big for me to download (20 MB at most)."

    # A file from someone who manages nothing reaches the core, which says so.
    reply = await upload(slack, ANNOTATORS[0], wp.BATCH_FILE, wp.batch())
    assert shown(reply) == "You have no current project."
    reply = await upload(slack, ADMIN, wp.PROJECT_FILE, wp.PROJECT)
    assert shown(reply).startswith(f"Project {wp.TITLE} ({wp.NAME}) created.")
