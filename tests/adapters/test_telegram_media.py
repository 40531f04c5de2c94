"""Media and the rich task types on Telegram: the real python-telegram-bot over HTTP on
loopback against FakeTelegram, the real core, a real SQLite file and media folder.

Photos, sounds and videos go out with sendPhoto, sendAudio, sendVideo (caption and keyboard)
and the next task replaces the card with editMessageMedia; every file is uploaded once per bot
and its file_id reused, however many people see it.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter, TelegramConfig
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore, UploadRefs
from domain.enums import Role
from storage import open_store
from storage.contract import Store
from tests.fakes.telegram_api import ChatMessage, FakeTelegram
from tests.media_samples import jpeg, mp4, wav, zip_of

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

TOOLS = ("Skip", "Report", "Guide")


@pytest.fixture
def media(tmp_path: Path) -> MediaStore:
    return MediaStore(tmp_path / "media")


Start = Callable[..., Awaitable[TelegramAdapter]]


@pytest.fixture
async def start(tg: FakeTelegram, store: Store, media: MediaStore) -> AsyncIterator[Start]:
    running: list[TelegramAdapter] = []

    async def go(on: Store | None = None) -> TelegramAdapter:
        core = Core(on or store, rng=random.Random(3), media=media)
        config = TelegramConfig(token=tg.token, api_url=tg.root, backoff=0.05)
        adapter = TelegramAdapter(core, config, UploadRefs(store))
        await adapter.start()
        running.append(adapter)
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
    overlap: int = 3,
) -> str:
    toml = (
        f'name = "m"\ntitle = "Media {task}"\ntask = "{task}"\nlabels = {labels}\n'
        f'instructions = "Look."\n{extra}\n[quality]\nmin_overlap = {overlap}\n'
        f"max_overlap = {overlap}\ngold_rate = 0\nmin_seconds = 0\n"
    )
    await save_project(store, parse_project("m.toml", toml), update=False)
    batch = "".join(json.dumps(r) + "\n" for r in rows).encode()
    await import_batch(store, "m", "b.zip", zip_of({"b.jsonl": batch, **files}), True, media=media)
    return (await make_invite(store, "m", Role.ANNOTATOR, None, None)).code


def card(tg: FakeTelegram, uid: int) -> ChatMessage | None:
    """The newest bot message with answer buttons (a task card)."""
    for message in reversed(tg.chat(uid).bot_messages()):
        if len(message.labels) > 3 and message.labels[-3:] == list(TOOLS):
            return message
    return None


async def join(tg: FakeTelegram, uid: int, code: str) -> ChatMessage:
    tg.user_send_text(uid, f"/start {code}", first_name=f"P{uid}")
    return await tg.wait_for(lambda: card(tg, uid), what=f"task card for {uid}")


async def press(tg: FakeTelegram, uid: int, message: ChatMessage, label: str) -> str:
    """Press a button; wait until the press is answered and the card changed or replaced."""
    edits, newest = message.edit_count, tg.chat(uid).last_bot_message()
    query = tg.user_tap(uid, message.message_id, message.button(label).callback_data or "")
    answer = await tg.wait_answered(query)
    await tg.wait_for(
        lambda: (
            message.edit_count > edits
            or message.deleted
            or tg.chat(uid).last_bot_message() is not newest
        ),
        what=f"the card of {uid} to change",
    )
    return answer.text or ""


async def test_photos_go_up_once_and_the_next_task_replaces_the_card(
    tg: FakeTelegram, store: Store, media: MediaStore, start: Start
) -> None:
    rows = [
        {"id": f"i{n}", "data": {"text": f"photo {n}", "image": f"p{n % 2}.jpg"}} for n in range(4)
    ]
    files = {"p0.jpg": jpeg(1600, 1200, seed=1), "p1.jpg": jpeg(900, 1600, seed=2)}
    code = await make(store, media, "single_choice", '["cat", "dog"]', rows, files)
    await start()
    people = (4001, 4002, 4003)
    cards = await asyncio.gather(*(join(tg, uid, code) for uid in people))
    for uid, first in zip(people, cards, strict=True):
        assert first.media_kind == "photo" and "photo" in first.content
        assert first.labels == ["cat", "dog", *TOOLS]
        for _ in range(4):
            assert await press(tg, uid, first, "dog") == "Saved ✓"
        # A photo cannot become text: the idle message is sent and the card deleted.
        await tg.wait_for(lambda old=first: old.deleted, what="the old card deleted")
        last = tg.chat(uid).last_bot_message()
        assert last is not None and last.text and "No tasks" in last.text
        assert len([m for m in tg.chat(uid).bot_messages() if m.media_kind]) == 0
    assert len(tg.uploads) == 2  # two distinct pictures, twelve answers
    assert {u.sha256 for u in tg.uploads} == {p.stem for p in media.root.rglob("*.jpg")}
    assert tg.calls["sendPhoto"] == 3 and tg.calls["editMessageMedia"] == 9
    shown = tg.last_call("editMessageMedia").params
    assert json.loads(shown["media"])["media"].startswith("AgAC")  # a file_id, not a file


async def test_sounds_and_videos_with_caption_and_keyboard(
    tg: FakeTelegram, store: Store, media: MediaStore, start: Start
) -> None:
    rows = [
        {"id": "s", "data": {"text": "Is it music?", "audio": "s.wav"}},
        {"id": "v", "data": {"text": "Is it a film?", "video": "v.mp4"}},
        {"id": "p", "data": {"text": "Is it a picture?", "image": "p.jpg"}},
    ]
    code = await make(
        store,
        media,
        "binary",
        '["yes", "no"]',
        rows,
        {"s.wav": wav(), "v.mp4": mp4(), "p.jpg": jpeg(300, 200)},
        overlap=1,
    )
    await start()
    first = await join(tg, 4101, code)
    seen = []
    for _ in range(3):
        seen.append((first.media_kind, first.content.split("\n\n")[2]))
        await press(tg, 4101, first, "yes")
    await tg.wait_for(lambda: first.deleted, what="the old card deleted")
    assert sorted(seen) == [
        ("audio", "Is it music?"),
        ("photo", "Is it a picture?"),
        ("video", "Is it a film?"),
    ]
    assert tg.calls["sendAudio"] + tg.calls["sendVideo"] + tg.calls["sendPhoto"] == 1
    assert len(tg.uploads) == 3 and {u.kind for u in tg.uploads} == {"audio", "video", "photo"}


async def test_file_ids_outlive_the_process_and_a_refused_one_is_replaced(
    tg: FakeTelegram, store: Store, media: MediaStore, start: Start, db_url: str
) -> None:
    rows = [{"id": f"i{n}", "data": {"image": "same.jpg", "text": f"n{n}"}} for n in range(5)]
    code = await make(
        store, media, "binary", '["yes", "no"]', rows, {"same.jpg": jpeg(200, 200)}, overlap=1
    )
    first = await start()
    one = await join(tg, 4201, code)
    await press(tg, 4201, one, "yes")
    assert len(tg.uploads) == 1
    await first.stop()
    async with open_store(db_url) as reopened:
        second = await start(reopened)
        two = await join(tg, 4202, code)  # a new process: the file_id comes from the database
        assert len(tg.uploads) == 1 and two.media_kind == "photo"
        await second.stop()
        async with reopened.transaction() as tx:
            (sha,) = {p.stem for p in media.root.rglob("*.jpg")}
            await tx.save_media_upload(sha, f"telegram:{tg.bot().bot_id}", "AgACbogus", 0.0)
    async with open_store(db_url) as again:
        third = await start(again)
        three = await join(tg, 4203, code)  # the bogus file_id is refused: uploaded again
        assert three.media_kind == "photo" and len(tg.uploads) == 2
        await third.stop()


async def test_each_rich_type_labeled_on_telegram(
    tg: FakeTelegram, store: Store, media: MediaStore, start: Start
) -> None:
    rows = [{"id": "g", "data": {"image": "street.jpg"}}]
    code = await make(
        store,
        media,
        "image_grid",
        '["car"]',
        rows,
        {"street.jpg": jpeg(400, 300)},
        "[options]\nrows = 2\ncols = 3",
        overlap=1,
    )
    await start()
    grid = await join(tg, 4301, code)
    assert grid.media_kind == "photo"
    assert grid.labels == ["1", "2", "3", "4", "5", "6", "Done (none)", *TOOLS]
    assert grid.button_rows[0] == grid.button_rows[0][:3]
    await press(tg, 4301, grid, "2")
    await press(tg, 4301, grid, "5")
    assert grid.labels[:7] == ["1", "✓ 2", "3", "4", "✓ 5", "6", "Done (2 ✓)"]
    assert all(len((b.callback_data or "").encode()) <= 64 for b in grid.buttons)
    assert await press(tg, 4301, grid, "Done (2 ✓)") == "Saved ✓"
    assert len(tg.uploads) == 1  # the grid picture, once, though the card changed 3 times
    async with store.transaction() as tx:
        project = await tx.project_by_name("m")
        assert project is not None
        (row,) = [r async for r in tx.export_rows(project.id)]
    assert json.loads(row.answers[0].label) == {"cells": [2, 5], "bbox": [133, 0, 133, 300]}


@pytest.mark.parametrize(
    ("task", "labels", "extra", "data", "steps", "stored"),
    [
        (
            "multi_choice",
            '["red", "blue"]',
            "",
            {"text": "a flag"},
            ["red", "blue", "Done (2 ✓)"],
            '["red", "blue"]',
        ),
        ("rating", "[]", "[options]\nscale = 4", {"text": "a song"}, ["3"], "3"),
        ("pairwise", "[]", "", {"a": "tea", "b": "coffee"}, ["B"], "B"),
        ("review", '["pos", "neg"]', "", {"text": "great", "suggestion": "neg"}, ["→ pos"], "pos"),
        ("free_text", "[]", "", {"text": "Spell 'colour'"}, ["=colour"], "colour"),
    ],
)
async def test_every_task_type_on_telegram(
    tg: FakeTelegram,
    store: Store,
    media: MediaStore,
    start: Start,
    task: str,
    labels: str,
    extra: str,
    data: dict[str, Any],
    steps: list[str],
    stored: str,
) -> None:
    code = await make(store, media, task, labels, [{"id": "x", "data": data}], {}, extra, overlap=1)
    await start()
    uid = 4400
    tg.user_send_text(uid, f"/start {code}")
    message = await tg.wait_for(
        lambda: next(
            (m for m in reversed(tg.chat(uid).bot_messages()) if m.labels[-3:] == list(TOOLS)), None
        ),
        what="task card",
    )
    for step in steps:
        if step.startswith("="):
            tg.user_send_text(uid, step[1:])
            await tg.wait_bot_message(uid)
        else:
            await press(tg, uid, message, step)
    async with store.transaction() as tx:
        project = await tx.project_by_name("m")
        assert project is not None
        (row,) = [r async for r in tx.export_rows(project.id)]
    assert [a.label for a in row.answers] == [stored]
    last = tg.chat(uid).last_bot_message()
    assert last is not None and "No tasks" in last.content
