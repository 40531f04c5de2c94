"""QA reviews items of rich task types: the answer buttons are the task's own options, a typed
task's result is typed, toggle tasks are accepted or sent back, and the card shows the media."""

from __future__ import annotations

import random
from pathlib import Path

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.core import Core
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import parse_project
from bot.media.store import MediaStore
from domain.enums import Role
from storage.contract import Store
from tests.conftest import Clock
from tests.e2e.test_media_batches import jsonl, project
from tests.e2e.test_task_types import export, people, project_toml, setup
from tests.media_samples import jpeg, zip_of


def buttons(person: Person) -> list[str]:
    return [b.label for b in person.screen.buttons()] if person.screen else []


def last(person: Person) -> str:
    message = person.chat.last()
    return plain(message.text) if message else ""


async def reviewer(recorder: Recorder, store: Store, name: str = "p") -> Person:
    quinn = recorder.person("quinn")
    await quinn.command("start", (await make_invite(store, name, Role.QA, None, None)).code)
    return quinn


async def test_qa_sets_a_disputed_rating_with_the_scale(recorder: Recorder, store: Store) -> None:
    code = await setup(
        store,
        project_toml("rating", "[options]\nscale = 5"),
        [{"id": "r1", "data": {"text": "the sequel"}}],
    )
    for person, score in zip(await people(recorder, code, 3), "135", strict=True):
        await person.tap(score)
    quinn = await reviewer(recorder, store)
    await quinn.command("review")
    assert "disputed" in last(quinn)
    assert buttons(quinn)[:5] == ["→ 1", "→ 2", "→ 3", "→ 4", "→ 5"]
    assert "Gold" in buttons(quinn) and "Type result" not in buttons(quinn)
    card = quinn.chat.last_with_buttons()
    assert card is not None
    forged = card.screen.buttons()[0].token.rsplit(":", 1)[0] + ":t"
    await quinn.tap_token(forged, card.id)
    assert quinn.chat.toasts[-1] == "That button is not valid."
    await quinn.text("4")
    assert "Use the buttons" in last(quinn), "a forged Type result sets nothing up"
    await quinn.command("review")
    await quinn.tap("→ 2")
    assert "queue is empty" in last(quinn)
    record = (await export(store))["r1"]
    assert record["result"]["label"] == "2" and record["result"]["method"] == "qa"


async def test_qa_types_the_result_of_a_typed_task(recorder: Recorder, store: Store) -> None:
    code = await setup(
        store,
        project_toml("free_text", "[options]\nmax_length = 20"),
        [{"id": "t1", "data": {"text": "Transcribe: smudged"}}],
    )
    for person, answer in zip(
        await people(recorder, code, 3), ("smudge", "smudged", "sludge"), strict=True
    ):
        await person.text(answer)
    quinn = await reviewer(recorder, store)
    await quinn.command("review")
    assert "Type result" in buttons(quinn) and "Gold" not in buttons(quinn)
    assert not [b for b in buttons(quinn) if b.startswith("→")]
    await quinn.tap("Type result")
    await quinn.text("this is far longer than twenty characters")
    assert "at most 20" in last(quinn)
    await quinn.text("smudged")
    assert "The result of t1 is now smudged." in plain(quinn.chat.messages[-2].screen.text)
    assert "queue is empty" in last(quinn)
    record = (await export(store))["t1"]
    assert record["result"]["method"] == "qa" and record["status"] == "done"


async def test_a_toggle_task_is_accepted_or_sent_back_not_set(
    recorder: Recorder, store: Store
) -> None:
    code = await setup(
        store,
        project_toml("multi_choice", 'labels = ["cat", "dog"]'),
        [{"id": "m1", "data": {"text": "a pet"}}],
    )
    for person, pick in zip(await people(recorder, code, 3), ("cat", "dog", "cat"), strict=True):
        await person.tap(pick)
        await person.tap("Done (1 ✓)")
    quinn = await reviewer(recorder, store)
    await quinn.command("review")
    assert "disputed" in last(quinn)
    assert buttons(quinn) == ["Accept", "Send back", "Ping", "Guide note", "Skip"]


async def test_the_review_card_shows_the_items_picture(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    media = MediaStore(tmp_path / "media")
    recorder = Recorder(Core(store, clock=clock, rng=random.Random(4), media=media))
    await save_project(store, parse_project("p.toml", project(overlap=1)), update=False)
    archive = zip_of(
        {"b.jsonl": jsonl([{"id": "c1", "data": {"image": "a.jpg"}}]), "a.jpg": jpeg(64, 48)}
    )
    await import_batch(store, "pics", "b.zip", archive, True, media=media)
    ann = recorder.person("ann")
    await ann.command("start", (await make_invite(store, "pics", Role.ANNOTATOR, None, None)).code)
    await ann.tap("Report")
    await ann.tap("Broken")
    quinn = await reviewer(recorder, store, "pics")
    await quinn.command("review")
    card = quinn.screen
    assert card is not None and "broken" in card.text
    assert card.media is not None and card.media.kind == "image"
    assert Path(card.media.ref).read_bytes()[:2] == b"\xff\xd8"
    assert buttons(quinn)[:2] == ["→ cat", "→ dog"]


async def test_a_rating_sent_back_is_relabelled_on_its_scale(
    recorder: Recorder, store: Store
) -> None:
    code = await setup(
        store,
        project_toml("rating", "[options]\nscale = 5"),
        [{"id": "r1", "data": {"text": "the sequel"}}],
    )
    crowd = await people(recorder, code, 3)
    for person, score in zip(crowd, "135", strict=True):
        await person.tap(score)
    quinn = await reviewer(recorder, store)
    await quinn.command("review")
    await quinn.tap("Send back")
    await quinn.text("Is it really that bad?")
    await recorder.deliver()
    assert buttons(crowd[0]) == ["✓ 1", "2", "3", "4", "5", "Keep my answer"]
    assert "Your answer: 1 of 5. Relabel it" in last(crowd[0])
    await crowd[0].tap("4")
    assert "Your answer is now 4 of 5" in last(crowd[0])
    answers = (await export(store))["r1"]["answers"]
    assert sorted(a["value"] for a in answers) == [3, 4, 5]
