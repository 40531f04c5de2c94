"""The fake Slack against the real slack_sdk and slack-bolt (no mocks of either library)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack

SECRET = "test-signing-secret-5b2c"
T1, U1, U2 = "T1", "U1", "U2"


def button(text: str, action_id: str, value: str = "") -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value or action_id,
    }


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(signing_secret=SECRET) as fake:
        fake.add_user(T1, U1, "ann")
        fake.add_user(T1, U2, "bob")
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.token, base_url=slack.api_url)


# ------------------------------------------------------------------------------------------------
# The Web API through AsyncWebClient


async def test_auth_open_post_and_update(slack: FakeSlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    team = slack.team(T1)
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == (T1, team.bot_user_id, team.bot_id)

    opened = await client.conversations_open(users=U1)
    channel = opened["channel"]["id"]
    assert channel.startswith("D") and channel == slack.dm(T1, U1).channel_id
    again = await client.conversations_open(users=U1)
    assert again["channel"]["id"] == channel and again["already_open"] is True
    assert slack.dm(T1, U2).channel_id != channel

    posted = await client.chat_postMessage(
        channel=channel,
        text="Is this positive?",
        blocks=[section("*Item 1*"), actions(button("Yes", "yes"), button("No", "no"))],
    )
    message = slack.dm(T1, U1).last_bot_message()
    assert message is not None and message.ts == posted["ts"]
    assert message.text == "Is this positive?"
    assert [(b.text, b.action_id, b.value) for b in message.buttons] == [
        ("Yes", "yes", "yes"),
        ("No", "no", "no"),
    ]
    assert message.buttons[0].block_id  # filled in by "Slack"
    assert posted["message"]["blocks"][1]["block_id"] == message.buttons[0].block_id

    updated = await client.chat_update(channel=channel, ts=posted["ts"], text="Thanks", blocks=[])
    assert updated["ts"] == posted["ts"]
    assert (message.text, message.blocks, message.edits) == ("Thanks", [], 1)
    assert message.history[0][0] == "Is this positive?"
    assert slack.calls["chat.update"] == 1 and slack.last_call("chat.update").ok

    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel=channel, ts="1.000001", text="x")
    assert missing.value.response["error"] == "message_not_found"

    # Posting to a user id lands in the app's DM with that person, as on Slack.
    by_user = await client.chat_postMessage(channel=U2, text="hi bob")
    assert by_user["channel"] == slack.dm(T1, U2).channel_id


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_every_encoding_and_errors(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = slack.dm(T1, U1).channel_id
    await client.api_call("chat.postMessage", params={"channel": channel, "text": "query"})
    blocks = json.dumps([actions(button("Go", "go"))])
    await client.api_call(
        "chat.postMessage", data={"channel": channel, "text": "form", "blocks": blocks}
    )
    await client.api_call("chat.postMessage", json={"channel": channel, "text": "json"})
    assert [m.text for m in slack.dm(T1, U1)] == ["query", "form", "json"]
    form_message = slack.dm(T1, U1).visible()[1]
    assert form_message.button("Go").action_id == "go"
    # chat.update keeps the blocks it is not given.
    await client.chat_update(channel=channel, ts=form_message.ts, text="form, edited")
    assert form_message.text == "form, edited" and len(form_message.buttons) == 1

    # A token sent as a form field works too (older clients do that).
    async with (
        aiohttp.ClientSession() as session,
        session.post(slack.api_url + "auth.test", data={"token": slack.token}) as resp,
    ):
        assert (await resp.json())["ok"] is True

    for token, error in ((None, "not_authed"), ("xoxb-nope", "invalid_auth")):
        with pytest.raises(SlackApiError) as failed:
            await AsyncWebClient(token=token, base_url=slack.api_url).auth_test()
        assert failed.value.response["error"] == error

    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("pins.add", params={"channel": channel})
    assert unknown.value.response["error"] == "unknown_method"

    with pytest.raises(SlackApiError) as nobody:
        await client.conversations_open(users="U404")
    assert nobody.value.response["error"] == "user_not_found"

    with pytest.raises(SlackApiError) as empty:
        await client.chat_postMessage(channel=channel, text="")
    assert empty.value.response["error"] == "no_text"

    # A person's own message cannot be edited by the bot.
    mine = slack.add_user_message(T1, U1, "mine")
    with pytest.raises(SlackApiError) as foreign:
        await client.chat_update(channel=channel, ts=mine.ts, text="edited")
    assert foreign.value.response["error"] == "cant_update_message"


async def test_block_kit_limits(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = slack.dm(T1, U1).channel_id
    too_many = actions(*[button(f"b{i}", f"a{i}") for i in range(26)])
    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel=channel, text="x", blocks=[too_many])
    response = failed.value.response
    assert response["error"] == "invalid_blocks"
    assert response["errors"] == ["must be less than 26 items [json-pointer:/blocks/0/elements]"]
    assert slack.dm(T1, U1).last_bot_message() is None

    cases: list[list[dict[str, Any]]] = [
        [section("s")] * 51,
        [actions(button("x" * 76, "a"))],
        [actions(button("x", "a", "v" * 2001))],
        [actions(button("x", "a" * 256))],
        [actions(button("x", "a"), block_id="b" * 256)],
        [section("t" * 3001)],
        [actions(button("x", "a"), button("y", "a"))],
        [{"type": "image", "alt_text": "pic", "slack_file": {"id": "F404"}}],
    ]
    for blocks in cases:
        with pytest.raises(SlackApiError) as bad:
            await client.chat_postMessage(channel=channel, text="x", blocks=blocks)
        assert bad.value.response["error"] == "invalid_blocks", blocks
    ok = [actions(*[button(f"b{i}", f"a{i}", "v" * 2000) for i in range(25)])] + [
        section("t" * 3000)
    ] * 49
    await client.chat_postMessage(channel=channel, text="x", blocks=ok)

    home = {"type": "home", "blocks": [section("s")] * 100}
    await client.views_publish(user_id=U1, view=home)
    assert len(slack.home(T1, U1).blocks) == 100  # type: ignore[union-attr]
    with pytest.raises(SlackApiError) as big:
        await client.views_publish(user_id=U1, view={**home, "blocks": [section("s")] * 101})
    assert big.value.response["error"] == "invalid_arguments"


async def test_rate_limit_retried_by_the_sdk(slack: FakeSlack) -> None:
    channel = slack.dm(T1, U1).channel_id
    plain = AsyncWebClient(token=slack.token, base_url=slack.api_url)
    slack.fail_next("chat.postMessage", 1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await plain.chat_postMessage(channel=channel, text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response["error"] == "ratelimited"

    retrying = AsyncWebClient(
        token=slack.token,
        base_url=slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    calls: list[tuple[str, int]] = []
    slack.listeners.append(lambda call: calls.append((call.method, call.status)))
    before = slack.calls["chat.postMessage"]
    slack.fail_next("chat.postMessage", 1, retry_after=0)
    await retrying.chat_postMessage(channel=channel, text="after a wait")
    assert slack.calls["chat.postMessage"] - before == 2
    assert calls == [("chat.postMessage", 429), ("chat.postMessage", 200)]
    assert slack.dm(T1, U1).last_bot_message().text == "after a wait"  # type: ignore[union-attr]

    slack.fail_next("chat.update", 1, status=200, error="channel_not_found")
    with pytest.raises(SlackApiError) as injected:
        await plain.chat_update(channel=channel, ts="1.1", text="x")
    assert injected.value.response["error"] == "channel_not_found"


async def test_files_upload_v2_round_trip(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = slack.dm(T1, U1).channel_id
    content = b"id,label\n1,pos\n" * 100
    result = await client.files_upload_v2(
        channel=channel, content=content, filename="labels.csv", title="Labels",
        initial_comment="Here are your labels",
    )  # fmt: skip
    file_id = result["file"]["id"]
    record = slack.files[file_id]
    assert record.content == content and record.title == "Labels" and record.completed
    assert slack.calls["files.getUploadURLExternal"] == 1
    assert slack.calls["files.completeUploadExternal"] == 1
    message = slack.dm(T1, U1).last_bot_message()
    assert message is not None and message.text == "Here are your labels"
    assert [f.file_id for f in message.files] == [file_id]

    async with (
        aiohttp.ClientSession() as session,
        session.get(
            result["file"]["url_private"], headers={"Authorization": f"Bearer {slack.token}"}
        ) as resp,
    ):
        assert await resp.read() == content

    # An uploaded file can then be shown in an image block through slack_file.
    image = {"type": "image", "alt_text": "chart", "slack_file": {"id": file_id}}
    await client.chat_postMessage(channel=channel, text="chart", blocks=[image])


async def test_ephemeral_home_and_users_info(slack: FakeSlack, client: AsyncWebClient) -> None:
    channel = slack.dm(T1, U1).channel_id
    eph = await client.chat_postEphemeral(channel=channel, user=U1, text="only you")
    message = slack.dm(T1, U1).find(eph["message_ts"])
    assert message is not None and message.ephemeral_for == U1
    with pytest.raises(SlackApiError) as other:
        await client.chat_postEphemeral(channel=channel, user=U2, text="x")
    assert other.value.response["error"] == "user_not_in_channel"
    with pytest.raises(SlackApiError) as eph_update:
        await client.chat_update(channel=channel, ts=eph["message_ts"], text="x")
    assert eph_update.value.response["error"] == "message_not_found"

    view = {"type": "home", "blocks": [section("Welcome"), actions(button("Start", "start"))]}
    published = await client.views_publish(user_id=U1, view=view)
    home = slack.home(T1, U1)
    assert home is not None and home.text == "Welcome" and home.buttons[0].action_id == "start"
    with pytest.raises(SlackApiError) as conflict:
        await client.views_publish(user_id=U1, view=view, hash="stale")
    assert conflict.value.response["error"] == "hash_conflict"
    await client.views_publish(user_id=U1, view=view, hash=published["view"]["hash"])
    assert home.published == 2

    info = await client.users_info(user=U1)
    assert info["user"]["name"] == "ann" and info["user"]["team_id"] == T1


# ------------------------------------------------------------------------------------------------
# The platform: signed requests to a real Bolt app


@dataclass
class BoltHarness:
    app: AsyncApp
    url: str
    seen: list[str] = field(default_factory=list)
    retry_headers: list[str | None] = field(default_factory=list)


@pytest.fixture
async def bolt(slack: FakeSlack) -> AsyncIterator[BoltHarness]:
    client = AsyncWebClient(token=slack.token, base_url=slack.api_url)
    app = AsyncApp(signing_secret=SECRET, client=client)
    harness = BoltHarness(app, "")

    @app.command("/tapmark")
    async def command(ack: Any, command: dict[str, Any], respond: Any, client: Any) -> None:
        harness.seen.append(f"command:{command['text']}")
        if command["text"] == "help":
            await ack("Usage: /tapmark next")
            return
        await ack()
        if command["text"] == "respond":
            await respond("through the response_url")
            return
        await client.chat_postMessage(
            channel=command["channel_id"],
            text="Item 1: is it positive?",
            blocks=[section("Item 1"), actions(button("Positive", "label:pos", "item1:pos"))],
        )

    @app.action(re.compile(".*"))
    async def action(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        act = body["actions"][0]
        harness.seen.append(f"action:{act['action_id']}={act['value']}")
        if body["container"]["type"] == "message":
            await client.chat_update(
                channel=body["channel"]["id"],
                ts=body["container"]["message_ts"],
                text=f"Saved {act['value']}",
                blocks=[],
            )

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: Any) -> None:
        harness.seen.append("home")
        view = {"type": "home", "blocks": [section("Home"), actions(button("Start", "start"))]}
        await client.views_publish(user_id=event["user"], view=view)

    @app.event("message")
    async def message(event: dict[str, Any], request: AsyncBoltRequest) -> None:
        harness.seen.append(f"message:{event['text']}")
        harness.retry_headers.append(request.headers.get("x-slack-retry-num", [None])[0])

    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    harness.url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    slack.connect_app(harness.url, SECRET)
    try:
        yield harness
    finally:
        await runner.cleanup()


async def test_slash_command_and_click_end_to_end(slack: FakeSlack, bolt: BoltHarness) -> None:
    status, body = await slack.slash_command(T1, U1, "/tapmark", "next")
    assert (status, body) == (200, "")
    message = await slack.wait_bot_message(T1, U1)
    assert message.text == "Item 1: is it positive?"
    assert slack.calls["auth.test"] == 1  # Bolt checks its token on the first request

    sent = slack.last_request
    assert sent.kind == "slash_command" and "command=%2Ftapmark" in sent.body

    status, _ = await slack.click(T1, U1, message, "Positive")
    assert status == 200
    edited = await slack.wait_bot_message(T1, U1)
    assert edited is message and message.text == "Saved item1:pos" and message.buttons == []
    assert bolt.seen == ["command:next", "action:label:pos=item1:pos"]
    assert slack.calls["auth.test"] == 1


async def test_immediate_response_and_response_url(slack: FakeSlack, bolt: BoltHarness) -> None:
    status, body = await slack.slash_command(T1, U1, "/tapmark", "help")
    assert (status, body) == (200, "Usage: /tapmark next")
    assert slack.last_request.response_type == "text/plain"
    shown = slack.dm(T1, U1).last_bot_message()
    assert shown is not None and shown.text == "Usage: /tapmark next"
    assert (shown.ephemeral_for, shown.via) == (U1, "immediate")

    await slack.slash_command(T1, U1, "/tapmark", "respond")
    via_url = await slack.wait_bot_message(T1, U1)
    assert (via_url.text, via_url.via, via_url.ephemeral_for) == (
        "through the response_url",
        "response_url",
        U1,
    )


async def test_bad_signatures_are_refused(slack: FakeSlack, bolt: BoltHarness) -> None:
    for opts in ({"sign": False}, {"secret": "wrong"}, {"stale": True}):
        status, body = await slack.slash_command(T1, U1, "/tapmark", "next", **opts)
        assert status == 401, opts
        assert body == '{"error": "invalid request"}'
        status, _ = await slack.event(T1, U1, {"type": "app_home_opened", "tab": "home"}, **opts)
        assert status == 401
    message = await slack.message(T1, U1, "hi", sign=False)
    assert message.status == 401
    await asyncio.sleep(0.05)
    assert bolt.seen == []
    assert slack.calls["auth.test"] == 0  # refused before authorization


async def test_url_verification_and_events(slack: FakeSlack, bolt: BoltHarness) -> None:
    status, body = await slack.url_verification("chal-123")
    assert (status, json.loads(body)) == (200, {"challenge": "chal-123"})

    status, _ = await slack.app_home_opened(T1, U1)
    assert status == 200
    home = await slack.wait_home(T1, U1)
    assert home.text == "Home"
    status, _ = await slack.click(T1, U1, home, "start")
    assert status == 200
    await slack.wait_for(lambda: "action:start=start" in bolt.seen)

    # Bolt does not deduplicate: a redelivered event runs the listener again.
    await slack.message(T1, U1, "hello")
    first = slack.last_request
    await slack.redeliver(first, retry_num=1, reason="http_timeout")
    await slack.wait_for(lambda: bolt.seen.count("message:hello") == 2)
    assert bolt.retry_headers == [None, "1"]
    assert slack.deliveries[-1].body == first.body

    # An event no listener takes is answered 404: Slack would retry it.
    status, _ = await slack.event(T1, U1, {"type": "reaction_added", "reaction": "tada"})
    assert status == 404


async def test_many_people_wait_on_their_own_dm(slack: FakeSlack, bolt: BoltHarness) -> None:
    people = [f"U{100 + i}" for i in range(30)]

    async def one(user: str) -> str:
        await slack.slash_command(T1, user, "/tapmark", "next")
        message = await slack.wait_bot_message(T1, user)
        await slack.click(T1, user, message, "label:pos")
        return (await slack.wait_bot_message(T1, user)).text

    texts = await asyncio.gather(*(one(u) for u in people))
    assert texts == ["Saved item1:pos"] * len(people)
    assert slack.calls["chat.update"] == len(people)


async def test_response_url_rules_and_stale_buttons(slack: FakeSlack, bolt: BoltHarness) -> None:
    await slack.slash_command(T1, U1, "/tapmark", "next")
    message = await slack.wait_bot_message(T1, U1)
    held = message.buttons[0]
    await slack.press(T1, U1, "Positive")
    await slack.wait_bot_message(T1, U1)
    assert message.buttons == [] and message.edits == 1
    with pytest.raises(LookupError):
        await slack.click(T1, U1, message, "Positive")
    # A client still showing the old button can send it: the app must cope with stale taps.
    await slack.click(T1, U1, message, held)
    await slack.wait_for(lambda: message.edits == 2, what="second edit")

    click = json.loads(dict(parse_qsl(slack.last_request.body))["payload"])
    assert click["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": message.channel,
        "is_ephemeral": False,
    }
    assert click["user"] == {"id": U1, "username": "ann", "name": "ann", "team_id": T1}
    async with aiohttp.ClientSession() as session:

        async def post(payload: dict[str, Any]) -> tuple[int, Any]:
            async with session.post(click["response_url"], json=payload) as resp:
                return resp.status, await resp.json()

        assert await post({"replace_original": True, "text": "replaced"}) == (200, {"ok": True})
        assert message.text == "replaced" and message.edits == 3
        await post({"text": "a new ephemeral one"})
        assert slack.dm(T1, U1).last_bot_message().ephemeral_for == U1  # type: ignore[union-attr]
        await post({"text": "for everyone", "response_type": "in_channel"})
        assert slack.dm(T1, U1).last_bot_message().ephemeral_for is None  # type: ignore[union-attr]
        assert await post({"delete_original": True}) == (200, {"ok": True})
        assert slack.dm(T1, U1).find(message.ts) is None
        assert await post({"text": "fifth use"}) == (200, {"ok": True})
        assert await post({"text": "sixth use"}) == (404, {"ok": False, "error": "used_url"})

        await slack.slash_command(T1, U1, "/tapmark", "next")
        fresh = dict(parse_qsl(slack.last_request.body))["response_url"]
        slack.response_urls[fresh.rsplit("/", 1)[1]].created -= 31 * 60
        async with session.post(fresh, json={"text": "late"}) as resp:
            assert (resp.status, (await resp.json())["error"]) == (404, "expired_url")
