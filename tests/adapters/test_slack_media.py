"""Media and the rich task types on Slack: the real slack-bolt and slack_sdk over signed HTTP on
loopback against FakeSlack, the real core, a real SQLite file and media folder.

Each file goes up once per workspace (files_upload_v2, into no channel); a picture shows in an
image block through its `slack_file`, a sound or a video as a link to the file.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter, SlackConfig
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore, UploadRefs
from domain.enums import Role
from storage.contract import Store
from tests.fakes.slack_api import FakeSlack, SlackMessage
from tests.media_samples import jpeg, mp4, wav, zip_of

TOOLS = ["Skip", "Report", "Guide"]
UPLOAD = "files.getUploadURLExternal"


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


@pytest.fixture
async def start(
    slack: FakeSlack, store: Store, media: MediaStore
) -> AsyncIterator[Callable[[], Awaitable[SlackAdapter]]]:
    running: list[SlackAdapter] = []

    async def go() -> SlackAdapter:
        config = SlackConfig(
            bot_token=",".join(t.token for t in slack.teams.values()),
            signing_secret=slack.signing_secret, api_url=slack.api_url,
            listen=("127.0.0.1", 0),
        )  # fmt: skip
        adapter = SlackAdapter(
            Core(store, rng=random.Random(3), media=media), config, UploadRefs(store)
        )
        await adapter.start()
        running.append(adapter)
        slack.connect_app(f"http://127.0.0.1:{adapter.port}/slack/events")
        return adapter

    yield go
    for adapter in running:
        await adapter.stop()


async def make(
    store: Store,
    media: MediaStore,
    task: str,
    labels: str,
    rows: list[Any],
    files: dict[str, bytes],
    extra: str = "",
    overlap: int = 1,
) -> str:
    toml = (
        f'name = "m"\ntitle = "Media {task}"\ntask = "{task}"\nlabels = {labels}\n'
        f"{extra}\n[quality]\nmin_overlap = {overlap}\nmax_overlap = {overlap}\n"
        "gold_rate = 0\nmin_seconds = 0\n"
    )
    await save_project(store, parse_project("m.toml", toml), update=False)
    batch = "".join(json.dumps(r) + "\n" for r in rows).encode()
    await import_batch(store, "m", "b.zip", zip_of({"b.jsonl": batch, **files}), True, media=media)
    return (await make_invite(store, "m", Role.ANNOTATOR, None, None)).code


def labels(message: SlackMessage) -> list[str]:
    return [b.text for b in message.buttons]


def card(slack: FakeSlack, team: str, user: str) -> SlackMessage | None:
    for message in reversed(slack.dm(team, user).bot_messages(ephemeral=False)):
        if labels(message)[-3:] == TOOLS:
            return message
    return None


async def join(slack: FakeSlack, team: str, user: str, code: str) -> SlackMessage:
    await slack.slash_command(team, user, "/tapmark", f"start {code}")
    return await slack.wait_for(
        lambda: card(slack, team, user), what="task card", person=(team, user)
    )


async def press(slack: FakeSlack, team: str, user: str, message: SlackMessage, label: str) -> None:
    edits = message.edits
    reply = await slack.click(team, user, message, label)
    assert reply.status == 200, reply
    await slack.wait_for(lambda: message.edits > edits, what="update", person=(team, user))


def shown(message: SlackMessage) -> dict[str, Any]:
    """The block that shows the media: an image block, or the section with the file link."""
    for block in message.blocks:
        if block["type"] == "image" or "<http" in str(block.get("text", {}).get("text", "")):
            return block
    raise AssertionError(f"no media on {message.blocks}")


async def test_pictures_go_up_once_per_workspace_and_show_as_slack_files(
    slack: FakeSlack, store: Store, media: MediaStore, start: Callable[[], Awaitable[Any]]
) -> None:
    rows = [{"id": f"i{n}", "data": {"text": f"picture {n}", "image": "one.jpg"}} for n in range(6)]
    code = await make(
        store, media, "binary", '["yes", "no"]', rows, {"one.jpg": jpeg(500, 400)}, overlap=2
    )
    await start()
    people = [("T1", "U1"), ("T1", "U2"), ("T2", "U3")]
    cards = [await join(slack, team, user, code) for team, user in people]
    for (team, user), first in zip(people, cards, strict=True):
        block = shown(first)
        file = slack.files[block["slack_file"]["id"]]
        assert file.team == team and file.channels == []  # uploaded into no channel
        for _ in range(3):
            await press(slack, team, user, first, "yes")
    assert slack.calls[UPLOAD] == 2  # one picture, two workspaces, twelve cards
    assert slack.calls["files.completeUploadExternal"] == 2


async def test_sounds_and_videos_show_as_links(
    slack: FakeSlack, store: Store, media: MediaStore, start: Callable[[], Awaitable[Any]]
) -> None:
    rows = [
        {"id": "s", "data": {"text": "music?", "audio": "s.wav"}},
        {"id": "v", "data": {"text": "film?", "video": "v.mp4"}},
    ]
    code = await make(
        store, media, "binary", '["yes", "no"]', rows, {"s.wav": wav(), "v.mp4": mp4()}
    )
    await start()
    first = await join(slack, "T1", "U1", code)
    seen = set()
    for _ in range(2):
        link = shown(first)["text"]["text"]
        seen.add(link.split("|")[1].rstrip(">"))
        file_id = link.split("/files/")[1].split("/")[0]
        assert slack.files[file_id].content is not None
        await press(slack, "T1", "U1", first, "yes")
    assert seen == {"▶ Listen to the recording", "▶ Watch the video"}
    assert slack.calls[UPLOAD] == 2


async def test_a_file_slack_lost_is_uploaded_again(
    slack: FakeSlack, store: Store, media: MediaStore, start: Callable[[], Awaitable[Any]]
) -> None:
    rows = [{"id": f"i{n}", "data": {"image": "p.jpg", "text": f"n{n}"}} for n in range(3)]
    code = await make(store, media, "binary", '["yes", "no"]', rows, {"p.jpg": jpeg(90, 90)})
    await start()
    first = await join(slack, "T1", "U1", code)
    old = shown(first)["slack_file"]["id"]
    slack.files[old].completed = False  # deleted in Slack: its blocks are refused now
    await press(slack, "T1", "U1", first, "yes")
    assert shown(first)["slack_file"]["id"] != old and slack.calls[UPLOAD] == 2


@pytest.mark.parametrize(
    ("task", "labels_", "extra", "data", "files", "steps", "stored"),
    [
        (
            "multi_choice",
            '["red", "blue"]',
            "",
            {"text": "a flag"},
            {},
            ["red", "Done (1 ✓)"],
            '["red"]',
        ),
        ("rating", "[]", "", {"text": "a song"}, {}, ["5"], "5"),
        ("pairwise", "[]", "", {"a": "tea", "b": "coffee"}, {}, ["Same"], "same"),
        (
            "review",
            '["pos", "neg"]',
            "",
            {"text": "ok", "suggestion": "pos"},
            {},
            ["✗ Reject"],
            "rejected",
        ),
        ("free_text", "[]", "", {"text": "Spell 'grey'"}, {}, ["=grey"], "grey"),
        (
            "image_grid",
            '["cat"]',
            "[options]\nrows = 1\ncols = 2",
            {"image": "c.jpg"},
            {"c.jpg": jpeg(200, 100)},
            ["2", "Done (1 ✓)"],
            '{"cells": [2], "bbox": [100, 0, 100, 100]}',
        ),
    ],
)
async def test_every_task_type_on_slack(
    slack: FakeSlack,
    store: Store,
    media: MediaStore,
    start: Callable[[], Awaitable[Any]],
    task: str,
    labels_: str,
    extra: str,
    data: dict[str, Any],
    files: dict[str, bytes],
    steps: list[str],
    stored: str,
) -> None:
    code = await make(store, media, task, labels_, [{"id": "x", "data": data}], files, extra)
    await start()
    message = await join(slack, "T1", "U7", code)
    for step in steps:
        if step.startswith("="):
            mark = slack.seq
            await slack.message("T1", "U7", step[1:])
            await slack.wait_bot_message("T1", "U7", since=mark)
        else:
            await press(slack, "T1", "U7", message, step)
    async with store.transaction() as tx:
        project = await tx.project_by_name("m")
        assert project is not None
        (row,) = [r async for r in tx.export_rows(project.id)]
    assert [a.label for a in row.answers] == [stored]
