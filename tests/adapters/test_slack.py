"""The Slack adapter end to end: the real slack-bolt and slack_sdk over HTTP on loopback against
FakeSlack (signed requests in, Web API calls out), the real core and a real SQLite file. Nothing
of the libraries or of ours is mocked.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack import SlackAdapter, SlackConfig
from adapters.slack.config import SlackSettings
from adapters.slack.mrkdwn import ZWSP, slash_commands, to_mrkdwn
from adapters.slack.redelivery import is_redelivery
from adapters.slack.render import render
from bot import metrics
from bot.chat.actions import Button, Screen
from bot.chat.markup import escape
from bot.chat.outbox import notify
from bot.config import ConfigError
from bot.core import Core
from bot.media.store import UploadRefs
from domain.enums import Role
from storage.contract import Store
from tests.conftest import BOTH_ENGINES, break_answers, free_port
from tests.fakes.slack_api import FakeSlack, SlackMessage
from tests.fakes.telegram_api import ChatMessage, FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
LABELS = ("pos", "neg", "neu")
IDLE = ["Check for tasks", "Progress", "Guide"]
NOT_YOURS = "This task is no longer yours."
MakeProject = Callable[..., Awaitable[str]]


def tokens(slack: FakeSlack) -> str:
    """Both workspaces' bot tokens, as TAPMARK_SLACK_BOT_TOKEN lists them."""
    return ",".join(team.token for team in slack.teams.values())


Start = Callable[..., Awaitable[SlackAdapter]]


@pytest.fixture
async def start(slack: FakeSlack, store: Store) -> AsyncIterator[Start]:
    """Start an adapter in HTTP mode on a free port and point the fake platform at it."""
    running: list[SlackAdapter] = []

    async def go(core: Core | None = None, **options: Any) -> SlackAdapter:
        options.setdefault("bot_token", tokens(slack))
        config = SlackConfig(
            signing_secret=slack.signing_secret, api_url=slack.api_url,
            listen=("127.0.0.1", 0), **options,
        )  # fmt: skip
        adapter = SlackAdapter(core or Core(store, rng=random.Random(3)), config, UploadRefs(store))
        await adapter.start()
        running.append(adapter)
        slack.connect_app(f"http://127.0.0.1:{adapter.port}/slack/events")
        return adapter

    yield go
    for adapter in running:
        await adapter.stop()


# ------------------------------------------------------------------------------------------------
# Playing a person


def labels_of(message: SlackMessage) -> list[str]:
    return [b.text for b in message.buttons]


def task_card(slack: FakeSlack, team: str, user: str) -> SlackMessage | None:
    """The newest bot message showing label buttons."""
    for message in reversed(slack.dm(team, user).bot_messages(ephemeral=False)):
        if any(label in LABELS for label in labels_of(message)):
            return message
    return None


async def join(slack: FakeSlack, team: str, user: str, code: str) -> SlackMessage:
    reply = await slack.slash_command(team, user, "/tapmark", f"start {code}")
    assert reply.status == 200 and reply.body == ""  # acknowledged with an empty body
    return await slack.wait_for(
        lambda: task_card(slack, team, user), what=f"task card for {team}/{user}",
        person=(team, user),
    )  # fmt: skip


async def press(slack: FakeSlack, team: str, user: str, message: SlackMessage, label: str) -> str:
    """Click label on message, wait for the message to change; give the note on top of it."""
    edits = message.edits
    reply = await slack.click(team, user, message, label)
    assert reply.status == 200, reply
    await slack.wait_for(
        lambda: message.edits > edits, what=f"update of {message.ts}", person=(team, user)
    )
    return note_of(message)


def note_of(message: SlackMessage) -> str:
    """The toast shown as a context line on top of the message, if any."""
    first = message.blocks[0] if message.blocks else {}
    if first.get("type") != "context":
        return ""
    return str(first["elements"][0]["text"])


async def label_until_idle(slack: FakeSlack, team: str, user: str, rng: random.Random) -> list[str]:
    card = task_card(slack, team, user)
    assert card is not None
    notes = []
    while any(label in LABELS for label in labels_of(card)):
        notes.append(await press(slack, team, user, card, rng.choice(LABELS)))
    assert labels_of(card) == IDLE, slack.dm(team, user).transcript()
    return notes


async def answers(store: Store, project: str = "t") -> dict[str, list[str]]:
    """Item id -> annotators who answered it."""
    async with store.transaction() as tx:
        found = await tx.project_by_name(project)
        assert found is not None
        return {
            row.item.ext_id: [a.annotator for a in row.answers]
            async for row in tx.export_rows(found.id)
        }


async def answer_count(store: Store) -> int:
    return sum(len(a) for a in (await answers(store)).values())


async def settle(seconds: float = 0.3) -> None:
    """Time for any wrong work (a second answer, a stray message) to show up."""
    await asyncio.sleep(seconds)


# ------------------------------------------------------------------------------------------------
# Labeling through DMs


@BOTH_ENGINES
async def test_ten_people_in_two_workspaces_label_a_batch_to_completion(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=10, overlap=3)
    await start()
    # The same user ids in both workspaces: ten different people.
    people = [(team, f"U{n}") for team in ("T1", "T2") for n in range(1, 6)]
    cards = await asyncio.gather(*(join(slack, team, user, code) for team, user in people))
    notes = await asyncio.gather(
        *(label_until_idle(slack, team, user, random.Random(i)) for i, (team, user) in
          enumerate(people))
    )  # fmt: skip

    done = await answers(store)
    assert len(done) == 10
    for item, annotators in done.items():
        assert len(annotators) == 3 and len(set(annotators)) == 3, item
    assert sorted(n for ns in notes for n in ns) == ["Saved ✓"] * 30
    for (team, user), card, mine in zip(people, cards, notes, strict=True):
        # The welcome and one task card, updated in place for every answer: no growth.
        dm = slack.dm(team, user)
        assert len(dm.bot_messages()) == 2, dm.transcript()
        assert card.edits == len(mine)
        assert "No tasks for you right now" in card.all_text
    assert slack.calls["chat.postMessage"] == 20 and slack.calls["chat.update"] == 30
    assert slack.calls["chat.postEphemeral"] == 0
    assert slack.calls["conversations.open"] == 10  # once per person, then remembered
    async with store.transaction() as tx:
        one = await tx.member_by_identity("slack", "T1:U1")
        other = await tx.member_by_identity("slack", "T2:U1")
        assert one is not None and other is not None and one.id != other.id


async def test_buttons_and_text_follow_block_kit(
    slack: FakeSlack, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    welcome = slack.dm("T1", "U1").bot_messages()[0]
    assert welcome.all_text.count("*Test sentiment*") >= 1  # the core's *bold*, as mrkdwn
    assert "/tapmark help lists commands" in welcome.all_text  # not Telegram's /help
    actions = [b for b in card.blocks if b["type"] == "actions"]
    assert [[e["text"]["text"] for e in b["elements"]] for b in actions] == [
        ["pos", "neg", "neu"],
        ["Skip", "Report", "Guide"],
    ]  # one actions block per keyboard row
    ids = [b.action_id for b in card.buttons]
    assert ids == [f"tm:{i}" for i in range(6)]
    assert all(b.value and b.value.count(":") == 1 for b in card.buttons)  # the core's tokens
    assert card.text and "item number" in card.text  # the notification fallback


async def test_commands_and_direct_messages(
    slack: FakeSlack, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()

    async def command(text: str) -> str:
        mark = slack.seq
        await slack.slash_command("T1", "U1", "/tapmark", text)
        return (await slack.wait_bot_message("T1", "U1", since=mark)).all_text

    assert "not in a project" in await command("next")
    assert "/tapmark start CODE" in await command("progress")
    help_text = await command("")
    assert "/tapmark next" in help_text and "/tapmark progress" in help_text
    assert "do not know /frobnicate" in await command("frobnicate x")
    await join(slack, "T1", "U1", code)
    assert "Your progress" in await command("progress")
    assert "/tapmark progress" in await command("HELP")  # subcommands ignore case

    mark = slack.seq
    await slack.message("T1", "U1", "hello")
    assert "Use the buttons" in (await slack.wait_bot_message("T1", "U1", since=mark)).all_text

    # Edits, bots and other subtypes are not a person writing: no answer.
    before = len(slack.dm("T1", "U1").bot_messages())
    for extra in ({"subtype": "message_changed"}, {"bot_id": "B0THER"}):
        event = {"type": "message", "channel": slack.dm("T1", "U1").channel_id, "text": "x",
                 "channel_type": "im", **extra}  # fmt: skip
        assert (await slack.event("T1", "U1", event)).status == 200
    await settle()
    assert len(slack.dm("T1", "U1").bot_messages()) == before


async def test_the_join_uses_the_slack_name(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=1, overlap=1)
    await start()
    slack.add_user("T2", "U9", name="ann", real_name="Ann Example")
    await join(slack, "T2", "U9", code)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("slack", "T2:U9")
        assert member is not None
        names = [i.name for i in await tx.identities(member.id)]
    assert names == ["Ann Example"]


# ------------------------------------------------------------------------------------------------
# Forgeries, redeliveries, double clicks


async def test_bad_signatures_and_stale_timestamps_get_401_and_change_nothing(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    calls = sum(slack.calls.values())
    forged = [
        slack.slash_command("T1", "U2", "/tapmark", f"start {code}", sign=False),
        slack.slash_command("T1", "U2", "/tapmark", f"start {code}", stale=True),
        slack.slash_command("T1", "U2", "/tapmark", f"start {code}", secret="not-the-secret"),
        slack.click("T1", "U1", card, "neg", sign=False),
        slack.click("T1", "U1", card, "neg", stale=True),
        slack.message("T1", "U1", "hello", secret="not-the-secret"),
        slack.app_home_opened("T1", "U1", stale=True),
    ]
    for request in forged:
        assert (await request).status == 401
    await settle()
    assert sum(slack.calls.values()) == calls  # not one Web API call
    assert await answer_count(store) == 0 and card.edits == 0
    assert slack.dm("T1", "U2").bot_messages() == [] and slack.home("T1", "U1") is None
    async with store.transaction() as tx:
        assert await tx.member_by_identity("slack", "T1:U2") is None


async def test_a_redelivered_click_or_event_adds_nothing(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    assert await press(slack, "T1", "U1", card, "neg") == "Saved ✓"
    click = slack.last_request
    await slack.message("T1", "U1", "hello")
    await slack.wait_for(lambda: len(slack.dm("T1", "U1").bot_messages()) == 3)
    event = slack.last_request
    await slack.app_home_opened("T1", "U1")
    await slack.wait_home("T1", "U1")
    home = slack.last_request
    calls = sum(slack.calls.values())

    # Slack's retries (the first attempt did arrive: it timed out on Slack's side) are
    # acknowledged and dropped: no answer, no update, no message, no Web API call at all.
    for request in (click, event, home):
        for n in (1, 2):
            reply = await slack.redeliver(request, retry_num=n, reason="http_timeout")
            assert reply.status == 200
    await settle()
    assert await answer_count(store) == 1 and card.edits == 1
    assert len(slack.dm("T1", "U1").bot_messages()) == 3
    assert sum(slack.calls.values()) == calls

    # A retry whose first attempt never reached the app is the only copy: it is processed,
    # and the core, idempotent, stores nothing twice ("Already saved ✓" on the same card).
    reply = await slack.redeliver(click, retry_num=1, reason="connection_failed")
    assert reply.status == 200
    await slack.wait_for(lambda: card.edits == 2)
    assert note_of(card) == "Already saved ✓"
    assert await answer_count(store) == 1
    assert len(slack.dm("T1", "U1").bot_messages()) == 3


async def test_a_double_click_stores_one_answer(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    button = card.button("neg")  # both clicks carry the same token, as a fast double click does
    replies = await asyncio.gather(*(slack.click("T1", "U1", card, button) for _ in range(2)))
    assert [r.status for r in replies] == [200, 200]
    await slack.wait_for(lambda: card.edits == 2)
    assert note_of(card) == "Already saved ✓"  # the second click, answered in order
    assert await answer_count(store) == 1
    assert len(slack.dm("T1", "U1").bot_messages()) == 2


async def test_a_button_clicked_by_someone_else_changes_nothing(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=2)
    await start()
    ann, bob = await join(slack, "T1", "U1", code), await join(slack, "T1", "U2", code)
    stolen = ann.button("pos")
    assert (await slack.click("T1", "U2", bob, stolen)).status == 200
    # Nothing to update: the toast goes to Bob alone, as an ephemeral message.
    notice = await slack.wait_for(
        lambda: next((m for m in slack.dm("T1", "U2").bot_messages() if m.ephemeral_for), None)
    )
    assert notice.text == NOT_YOURS and notice.ephemeral_for == "U2"
    await settle()
    assert ann.edits == 0 and bob.edits == 0
    assert await answer_count(store) == 0


# ------------------------------------------------------------------------------------------------
# Delivery: updates that fail, rate limits, the App Home, the outbox


async def test_a_failed_update_posts_the_screen_anew(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    slack.fail_next("chat.update", 1, status=200, error="message_not_found")
    assert (await slack.click("T1", "U1", card, "pos")).status == 200

    def another_card() -> SlackMessage | None:
        found = task_card(slack, "T1", "U1")
        return found if found is not card else None

    fresh = await slack.wait_for(another_card, what="the task posted anew")
    assert card.edits == 0 and note_of(fresh) == "Saved ✓"
    assert fresh.text != card.text
    assert await answer_count(store) == 1


def retries() -> float:
    """What /metrics reports as Slack API retries so far in this process."""
    found = metrics.REGISTRY.get_sample_value(
        "tapmark_platform_api_retries_total", {"platform": "slack"}
    )
    return found or 0.0


async def test_rate_limits_delay_but_lose_and_duplicate_nothing(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()
    before = retries()
    slack.fail_next("chat.postMessage", 1, status=429, retry_after=1)
    card = await join(slack, "T1", "U1", code)
    slack.fail_next("chat.update", 1, status=429, retry_after=1)
    assert await press(slack, "T1", "U1", card, "pos") == "Saved ✓"
    assert len(slack.dm("T1", "U1").bot_messages()) == 2
    assert slack.calls["chat.postMessage"] == 3 and slack.calls["chat.update"] == 2
    assert await answer_count(store) == 1
    assert retries() == before + 2, "each retry slack_sdk made is counted in /metrics"


async def test_app_home_shows_progress_and_starts_labeling(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=3, overlap=1)
    await start()
    assert (await slack.app_home_opened("T2", "U3")).status == 200
    home = await slack.wait_home("T2", "U3")
    assert [b.text for b in home.buttons] == ["Start labeling"]
    assert "not in a project yet" in home.text and "/tapmark start CODE" in home.text

    card = await join(slack, "T2", "U3", code)
    await press(slack, "T2", "U3", card, "neu")
    await slack.app_home_opened("T2", "U3")
    home = await slack.wait_home("T2", "U3")
    assert "Your progress" in home.text and "In all: 1 answer" in home.text

    # Start labeling: the current task, posted in the DM.
    before = len(slack.dm("T2", "U3").bot_messages())
    assert (await slack.click("T2", "U3", home, "Start labeling")).status == 200
    await slack.wait_for(lambda: len(slack.dm("T2", "U3").bot_messages()) == before + 1)
    again = slack.dm("T2", "U3").last_bot_message()
    assert again is not None and again.text == card.text and labels_of(again)[:3] == list(LABELS)
    assert await answer_count(store) == 1


async def test_the_outbox_reaches_a_slack_member_once(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2)
    await start(outbox_interval=0.05)
    await join(slack, "T2", "U7", code)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("slack", "T2:U7")
        assert member is not None
        await notify(tx, member.id, Screen("*QA* has a question about item 3"), 1.0)

    def qa() -> list[SlackMessage]:
        return [m for m in slack.dm("T2", "U7").bot_messages() if "QA" in m.all_text]

    found = await slack.wait_for(qa, what="the outbox message")
    assert "*QA* has a question about item 3" in found[0].all_text
    await settle()
    assert len(qa()) == 1
    async with store.transaction() as tx:
        assert await tx.outbox_pending("slack", 10) == []


async def test_stop_finishes_the_work_already_acknowledged(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    adapter = await start()
    card = await join(slack, "T1", "U1", code)
    slack.delay("chat.update", 0.5)
    assert (await slack.click("T1", "U1", card, "pos")).status == 200  # acknowledged at once
    await slack.wait_calls("chat.update")
    await adapter.stop()
    assert card.edits == 1 and note_of(card) == "Saved ✓"
    assert await answer_count(store) == 1


# ------------------------------------------------------------------------------------------------
# Rendering, configuration, start-up


def test_mrkdwn_escapes_what_slack_would_read_as_markup() -> None:
    text = f"*Bold* _it_ `a<b>` & {escape('5*3_x')} <!here>"
    shown = to_mrkdwn(text)
    assert shown.startswith("*Bold* _it_ `a&lt;b&gt;` &amp; 5")
    assert f"{ZWSP}*{ZWSP}" in shown and "&lt;!here&gt;" in shown and "<" not in shown
    assert slash_commands("send /start CODE, /next; see https://x.org/next") == (
        "send /tapmark start CODE, /tapmark next; see https://x.org/next"
    )


def test_long_screens_split_and_big_rows_wrap() -> None:
    long = "\n\n".join(f"*Part {i}* " + "word " * 500 for i in range(30))
    row = tuple(Button(f"b{i}", f"tok:{i}") for i in range(30))
    messages = render(Screen(long, (row,)), note="Saved ✓")
    assert len(messages) > 1
    for message in messages:
        assert len(message.blocks) <= 50 and len(message.text) <= 3000
        assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks if b["type"] == "section")
    assert messages[0].blocks[0]["type"] == "context"
    rows = [b for b in messages[-1].blocks if b["type"] == "actions"]
    assert [len(r["elements"]) for r in rows] == [25, 5]
    assert not any(b["type"] == "actions" for m in messages[:-1] for b in m.blocks)


def test_retry_headers() -> None:
    assert not is_redelivery({})
    assert not is_redelivery({"x-slack-retry-num": ["0"]})  # Socket Mode's first attempt
    assert is_redelivery({"x-slack-retry-num": ["1"], "x-slack-retry-reason": ["http_timeout"]})
    assert is_redelivery({"x-slack-retry-num": ["2"]})
    assert not is_redelivery(
        {"x-slack-retry-num": ["1"], "x-slack-retry-reason": ["connection_failed"]}
    )


def test_config_from_settings() -> None:
    settings = SlackSettings(bot_token="xoxb-1, xoxb-2", signing_secret="s")
    config = SlackConfig.from_settings(settings, ("0.0.0.0", 9000))
    assert config.bot_tokens == ("xoxb-1", "xoxb-2") and config.listen == ("0.0.0.0", 9000)
    assert not config.socket_mode and "xoxb" not in repr(config)
    with pytest.raises(ConfigError, match="TAPMARK_SLACK_SIGNING_SECRET"):
        SlackConfig.from_settings(SlackSettings(bot_token="xoxb-1"))


async def test_a_wrong_token_fails_at_start(slack: FakeSlack, store: Store) -> None:
    config = SlackConfig(
        bot_token="xoxb-wrong", signing_secret="s", api_url=slack.api_url, listen=("127.0.0.1", 0)
    )
    adapter = SlackAdapter(Core(store), config, UploadRefs(store))
    with pytest.raises(SlackApiError) as failure:
        await adapter.start()
    assert failure.value.response["error"] == "invalid_auth"
    assert adapter.port is None  # nothing was left listening


async def test_socket_mode_is_chosen_by_the_app_token(slack: FakeSlack, store: Store) -> None:
    """Socket Mode cannot run here (no Slack WebSocket to connect to): the adapter chooses it,
    builds Bolt's handler, and a failed connection leaves nothing behind."""
    config = SlackConfig(
        bot_token=slack.token, signing_secret="s", app_token="xapp-1-A1-fake",
        api_url=slack.api_url,
    )  # fmt: skip
    adapter = SlackAdapter(Core(store), config, UploadRefs(store))
    assert adapter.mode == "Socket Mode"
    with pytest.raises(SlackApiError):  # apps.connections.open: the fake does not have it
        await adapter.start()
    assert adapter.port is None and slack.calls["auth.test"] == 1


# ------------------------------------------------------------------------------------------------
# One process, both platforms: `tapmark run`


def tg_card(tg: FakeTelegram, uid: int) -> ChatMessage | None:
    for message in reversed(tg.chat(uid).bot_messages()):
        if any(label in LABELS for label in message.labels):
            return message
    return None


async def tg_label_until_idle(tg: FakeTelegram, uid: int, rng: random.Random) -> int:
    card = await tg.wait_for(lambda: tg_card(tg, uid), timeout=10, what=f"card for {uid}")
    done = 0
    while any(label in LABELS for label in card.labels):
        edits = card.edit_count
        query = tg.user_tap(uid, card.message_id, card.button(rng.choice(LABELS)).callback_data
                            or "")  # fmt: skip
        assert (await tg.wait_answered(query)).text == "Saved ✓"
        await tg.wait_for(lambda e=edits: card.edit_count > e, timeout=10)  # type: ignore[misc]
        done += 1
    return done


async def test_tapmark_run_names_a_rejected_slack_token(slack: FakeSlack, db_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPMARK_")}
    env.update(
        TAPMARK_DATABASE_URL=db_url, TAPMARK_LISTEN=f"127.0.0.1:{free_port()}",
        TAPMARK_HEALTH_LISTEN="off",
        TAPMARK_SLACK_BOT_TOKEN="xoxb-1-2-revoked", TAPMARK_SLACK_SIGNING_SECRET="0" * 32,
        TAPMARK_SLACK_API_URL=slack.api_url,
    )  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "run", "--slack", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert "Slack rejected TAPMARK_SLACK_BOT_TOKEN (invalid_auth)" in err.decode()
    assert "xoxb-1-2-revoked" not in err.decode()


async def test_tapmark_run_serves_telegram_and_slack_in_one_process(
    slack: FakeSlack, make_project: MakeProject, db_url: str
) -> None:
    code = await make_project(items=6, overlap=3)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPMARK_")}
    async with FakeTelegram() as tg:
        run_env = {
            **env,
            "TAPMARK_DATABASE_URL": db_url,
            "TAPMARK_LISTEN": f"127.0.0.1:{port}",
            "TAPMARK_HEALTH_LISTEN": "off",
            "TAPMARK_TELEGRAM_TOKEN": tg.token,
            "TAPMARK_TELEGRAM_API_URL": tg.root,
            "TAPMARK_SLACK_BOT_TOKEN": tokens(slack),
            "TAPMARK_SLACK_SIGNING_SECRET": slack.signing_secret,
            "TAPMARK_SLACK_API_URL": slack.api_url,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli.main", "run", cwd=ROOT, env=run_env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            slack.connect_app(f"http://127.0.0.1:{port}/slack/events")
            await tg.wait_for(lambda: tg.calls["getUpdates"], timeout=20, what="polling")

            for _ in range(200):  # Slack's adapter starts listening after Telegram's is up
                if (await slack.url_verification()).status == 200:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the Slack adapter never listened")
            for uid in (5001, 5002):
                tg.user_send_text(uid, f"/start {code}", first_name=f"P{uid}")
            slack_people = [("T1", "U1"), ("T2", "U1")]
            for team, user in slack_people:
                await join(slack, team, user, code)
            on_telegram = asyncio.gather(
                *(tg_label_until_idle(tg, uid, random.Random(uid)) for uid in (5001, 5002))
            )
            on_slack = asyncio.gather(
                *(label_until_idle(slack, team, user, random.Random(n))
                  for n, (team, user) in enumerate(slack_people))
            )  # fmt: skip
            tg_counts, slack_notes = await asyncio.gather(on_telegram, on_slack)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 15)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    log = err.decode()
    assert proc.returncode == 0, log
    assert time.monotonic() - started < 5
    assert "telegram: @" in log and "is up (long polling)" in log
    assert "slack: @tapmark is up in" in log  # both workspaces, one process, one loop
    assert f"(HTTP, listening on 127.0.0.1:{port}/slack/events)" in log
    assert "on Telegram and @tapmark on Slack" in log and "stopped" in log
    for secret in (tg.token, slack.signing_secret, *(t.token for t in slack.teams.values())):
        assert secret not in log + out.decode()

    tallies = [*tg_counts, *(len(notes) for notes in slack_notes)]
    assert sum(tallies) == 18 and all(t > 0 for t in tallies)
    export = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "export", "t", "--db", db_url, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(export.communicate(), 30)
    assert export.returncode == 0, err.decode()
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert len(records) == 6
    given = [(r["id"], a["annotator"]) for r in records for a in r["answers"]]
    assert len(given) == 18 and len(set(given)) == 18  # every answer exactly once
    assert all(len(r["answers"]) == 3 for r in records)
    assert len({annotator for _, annotator in given}) == 4


@pytest.mark.parametrize("status", ["suspended", "removed"])
async def test_a_click_after_losing_the_role_stores_nothing_though_the_lease_is_open(
    slack: FakeSlack, store: Store, make_project: MakeProject, start: Start, status: str
) -> None:
    code = await make_project(items=3, overlap=2)
    await start()
    card = await join(slack, "T1", "U1", code)
    async with store.transaction() as tx:
        member = await tx.member_by_identity("slack", "T1:U1")
        project = await tx.project_by_name("t")
        assert member is not None and project is not None
        await tx.set_role_status(project.id, member.id, Role.ANNOTATOR, status)
        assert await tx.open_assignment(project.id, member.id) is not None
    note = await press(slack, "T1", "U1", card, "pos")
    assert note == NOT_YOURS
    text = " ".join(str(b) for b in card.blocks)
    assert ("paused" in text) if status == "suspended" else ("no longer" in text)
    assert not any(label in LABELS for label in labels_of(card))
    assert await answer_count(store) == 0


async def test_when_the_core_fails_the_person_is_told_and_the_card_still_works(
    slack: FakeSlack, store: Store, db_url: str, make_project: MakeProject, start: Start
) -> None:
    code = await make_project(items=2, overlap=1)
    await start()
    card = await join(slack, "T1", "U1", code)
    break_answers(db_url, broken=True)
    assert (await slack.click("T1", "U1", card, card.button("pos"))).status == 200
    apology = await slack.wait_for(
        lambda: next((m for m in slack.dm("T1", "U1").bot_messages() if m.ephemeral_for), None),
        what="the apology",
    )
    assert apology.text == "Something went wrong on my side. Please try again in a moment."
    mark = slack.seq
    await slack.slash_command("T1", "U1", "/tapmark", "progress")
    reply = await slack.wait_bot_message("T1", "U1", since=mark)
    assert reply.all_text.startswith("Something went wrong on my side.")
    assert card.edits == 0
    break_answers(db_url, broken=False)
    assert await press(slack, "T1", "U1", card, "pos") == "Saved ✓"
    assert await answer_count(store) == 1
