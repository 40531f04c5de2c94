"""Each rich task type end to end through the console recorder: created from a project file and
a batch, labeled by several people, aggregated, exported."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.actions import Toast
from bot.core import Core
from bot.exports.records import export_jsonl
from bot.exports.regions import coco
from bot.exports.rich import export_ranking, ranking
from bot.labeling.task_keys import parse_toggle
from bot.managing.operations import import_batch, make_invite, save_project
from bot.managing.projectfile import ProjectFileError, parse_project
from domain.enums import Role
from storage.contract import Store, StoreError
from tasks.readers import BatchFileError
from tests.conftest import Clock

QUALITY = """
[quality]
min_overlap = {overlap}
max_overlap = {max_overlap}
gold_rate = 0.0
min_seconds = 0.0
"""


def project_toml(
    task: str, extra: str = "", overlap: int = 3, max_overlap: int = 3, name: str = "p"
) -> str:
    return (
        f'name = "{name}"\ntitle = "Rich {task}"\ntask = "{task}"\n'
        f'instructions = "Look closely."\n{extra}\n'
        + QUALITY.format(overlap=overlap, max_overlap=max_overlap)
    )


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


async def setup(store: Store, toml: str, rows: list[dict[str, Any]], name: str = "p") -> str:
    await save_project(store, parse_project("p.toml", toml), update=False)
    await import_batch(store, name, "b.jsonl", jsonl(rows), True)
    return (await make_invite(store, name, Role.ANNOTATOR, None, None)).code


async def people(recorder: Recorder, code: str, n: int) -> list[Person]:
    crowd = [recorder.person(f"u{i}") for i in range(n)]
    for person in crowd:
        await person.command("start", code)
    return crowd


def labels(person: Person) -> list[str]:
    return [b.label for b in person.screen.buttons()] if person.screen else []


async def export(store: Store, name: str = "p") -> dict[str, dict[str, Any]]:
    async with store.transaction() as tx:
        project = await tx.project_by_name(name)
        assert project is not None
        lines = [line async for line in export_jsonl(tx, project.id)]
    records = [json.loads(line) for line in lines]
    return {r["id"]: r for r in records}


async def flags(store: Store) -> list[str]:
    async with store.transaction() as tx:
        project = await tx.project_by_name("p")
        assert project is not None
        found, after = [], 0
        while (flag := await tx.next_flag(project.id, after)) is not None:
            found.append(flag.kind)
            after = flag.id
        return found


@pytest.fixture
def recorder(store: Store, clock: Clock) -> Recorder:
    return Recorder(Core(store, clock=clock, rng=random.Random(5)))


async def test_multi_choice_toggles_then_done(recorder: Recorder, store: Store) -> None:
    code = await setup(
        store,
        project_toml("multi_choice", 'labels = ["cat", "dog", "bird"]'),
        [{"id": "m1", "data": {"text": "a photo of pets"}}],
    )
    alice, bob, carol = await people(recorder, code, 3)
    assert labels(alice) == ["cat", "dog", "bird", "Done (none)", "Skip", "Report", "Guide"]
    assert alice.screen is not None and "Tick every label" in alice.screen.text
    await alice.tap("cat")
    assert labels(alice)[:4] == ["✓ cat", "dog", "bird", "Done (1 ✓)"]
    message = alice.chat.last_with_buttons()
    assert message is not None
    dog = next(b for b in message.screen.buttons() if b.label == "dog").token
    for _ in range(2):  # a double tap shows the same selection, not its undoing
        actions = await alice.tap_token(dog, message.id)
        assert not [a for a in actions if isinstance(a, Toast)]
        assert labels(alice)[:4] == ["✓ cat", "✓ dog", "bird", "Done (2 ✓)"]
    actions = await alice.tap("Done (2 ✓)")
    assert [a.text for a in actions if isinstance(a, Toast)] == ["Saved ✓"]
    for person in (bob, carol):
        await person.tap("cat")
        await person.tap("dog")
        await person.tap("Done (2 ✓)")
    record = (await export(store))["m1"]
    assert record["status"] == "done"
    assert record["result"]["value"] == ["cat", "dog"]
    assert [a["value"] for a in record["answers"]] == [["cat", "dog"]] * 3
    assert record["summary"] == {"answers": 3, "votes": {"cat": 3, "dog": 3, "bird": 0}}


async def test_multi_choice_disagreement_is_disputed_per_label(
    recorder: Recorder, store: Store
) -> None:
    code = await setup(
        store,
        project_toml("multi_choice", 'labels = ["cat", "dog"]'),
        [{"id": "m1", "data": {"text": "pets"}, "gold": None}],
    )
    crowd = await people(recorder, code, 3)
    for person, picks in zip(crowd, (["cat"], ["cat", "dog"], []), strict=True):
        for pick in picks:
            await person.tap(pick)
        await person.tap(next(label for label in labels(person) if label.startswith("Done")))
    record = (await export(store))["m1"]
    assert record["status"] == "disputed" and record["result"]["value"] == ["cat"]
    assert record["summary"]["votes"] == {"cat": 2, "dog": 1}
    assert await flags(store) == ["disputed"]


def test_toggle_codes_carry_the_whole_selection() -> None:
    assert parse_toggle("m5", 3) == (False, frozenset({0, 2}))
    assert parse_toggle("d0", 3) == (True, frozenset())
    assert parse_toggle("m8", 3) is None and parse_toggle("mzz", 3) is None
    assert parse_toggle("7", 3) is None


async def test_rating_median_and_spread(recorder: Recorder, store: Store) -> None:
    extra = '[options]\nscale = 5\nlow = "awful"\nhigh = "great"'
    code = await setup(
        store,
        project_toml("rating", extra),
        [{"id": "r1", "data": {"text": "the film"}}, {"id": "r2", "data": {"text": "the sequel"}}],
    )
    crowd = await people(recorder, code, 3)
    assert labels(crowd[0])[:5] == ["1", "2", "3", "4", "5"]
    assert crowd[0].screen is not None and "1 = awful … 5 = great" in crowd[0].screen.text
    for person, first, second in zip(crowd, "454", "135", strict=True):
        await person.tap(first)
        await person.tap(second)
    records = await export(store)
    assert records["r1"]["status"] == "done" and records["r1"]["result"]["value"] == 4
    assert records["r1"]["summary"]["median"] == 4 and records["r1"]["summary"]["iqr"] == 0.5
    assert records["r2"]["status"] == "disputed" and records["r2"]["result"]["label"] == "3"
    assert records["r2"]["summary"]["agreement"] == pytest.approx(1 / 3, abs=1e-3)
    assert await flags(store) == ["disputed"]


async def test_pairwise_majority_per_pair(recorder: Recorder, store: Store) -> None:
    rows = [
        {
            "id": "p1",
            "data": {
                "text": "Which reply is kinder?",
                "a": "Sure!",
                "b": "No.",
                "a_id": "r-sure",
                "b_id": "r-no",
            },
        }
    ]
    code = await setup(store, project_toml("pairwise"), rows)
    crowd = await people(recorder, code, 3)
    assert labels(crowd[0])[:3] == ["A", "B", "Same"]
    assert crowd[0].screen is not None and "A: Sure!" in crowd[0].screen.text
    for person in crowd:
        await person.tap("A")
    record = (await export(store))["p1"]
    assert record["status"] == "done" and record["result"]["label"] == "A"
    assert record["summary"] == {"votes": {"A": 3, "B": 0, "same": 0}, "a": "r-sure", "b": "r-no"}


async def test_pairwise_ranking_over_all_pairs(recorder: Recorder, store: Store) -> None:
    names = ["tea", "coffee", "water"]
    rows = [
        {"id": f"{a}-{b}", "data": {"a": a, "b": b}}
        for n, a in enumerate(names)
        for b in names[n + 1 :]
    ]
    code = await setup(store, project_toml("pairwise"), rows)
    crowd = await people(recorder, code, 3)
    for person in crowd:
        for _ in rows:
            assert person.screen is not None
            a = person.screen.text.split("A: ")[1].split("\n")[0]
            b = person.screen.text.split("B: ")[1].split("\n")[0]
            await person.tap("A" if names.index(a) < names.index(b) else "B")
    async with store.transaction() as tx:
        project = await tx.project_by_name("p")
        assert project is not None
        lines = [chunk async for chunk in export_ranking(tx, project.id)]
        result = await ranking(tx, project.id)
        with pytest.raises(StoreError, match="for image_grid and region"):
            await coco(tx, project.id)
    assert json.loads("".join(lines)) == result
    assert [c["id"] for c in result["candidates"]] == names
    assert result["comparisons"] == 9 and result["candidates"][0]["wins"] == 6
    assert result["candidates"][0]["score"] > 0 > result["candidates"][2]["score"]


async def test_review_accept_reject_or_pick_another(recorder: Recorder, store: Store) -> None:
    rows = [
        {"id": "v1", "data": {"text": "I loved it", "suggestion": "pos", "score": 0.93}},
        {
            "id": "v2",
            "data": {
                "text": "Meh",
                "suggestion": {"label": "neg", "score": 0.6, "model_version": "m1"},
            },
        },
    ]
    code = await setup(store, project_toml("review", 'labels = ["pos", "neg", "neu"]'), rows)
    crowd = await people(recorder, code, 3)
    first = crowd[0].screen
    assert first is not None and "Suggested: pos (model score 0.93)" in first.text
    assert labels(crowd[0])[:4] == ["✓ Accept", "✗ Reject", "→ neg", "→ neu"]
    for person in crowd:
        await person.tap("✓ Accept")
        await person.tap("→ neu")
    records = await export(store)
    assert records["v1"]["result"]["label"] == "pos"
    assert records["v1"]["summary"]["accepted"] == 1.0
    assert records["v2"]["result"]["label"] == "neu"
    assert records["v2"]["summary"]["accepted"] == 0.0
    assert records["v2"]["summary"]["suggestion"] == "neg"


async def test_free_text_is_typed_with_limits(recorder: Recorder, store: Store) -> None:
    code = await setup(
        store,
        project_toml("free_text", "[options]\nmax_length = 20"),
        [
            {"id": "t1", "data": {"text": "Transcribe: HELLO WORLD"}},
            {"id": "t2", "data": {"text": "Transcribe: smudged"}},
        ],
    )
    crowd = await people(recorder, code, 3)
    assert labels(crowd[0]) == ["Skip", "Report", "Guide"]
    assert crowd[0].screen is not None and "Type your answer" in crowd[0].screen.text
    await crowd[0].text("this answer is far longer than twenty characters")
    assert "at most 20" in (crowd[0].chat.last() or "").text
    await crowd[0].text("Hello, World!")
    assert "smudged" in (crowd[0].chat.last() or "").text
    await crowd[1].text("hello world")
    await crowd[2].text("HELLO  WORLD")
    for person, answer in zip(crowd, ("smudge", "smudged", "sludge"), strict=True):
        await person.text(answer)
    assert "No tasks" in (crowd[0].chat.last() or "").text
    await crowd[0].text("stray words")
    assert "Use the buttons" in (crowd[0].chat.last() or "").text
    records = await export(store)
    assert records["t1"]["status"] == "done"
    assert records["t1"]["summary"] == {
        "variants": [{"text": "Hello, World!", "count": 3}],
        "disagree": False,
    }
    assert records["t2"]["status"] == "disputed" and records["t2"]["summary"]["disagree"]
    assert await flags(store) == ["disputed"]


async def test_gold_answers_of_rich_types(recorder: Recorder, store: Store) -> None:
    toml = project_toml("rating", "[options]\ntolerance = 1", overlap=1, max_overlap=1)
    toml = toml.replace("gold_rate = 0.0", 'gold_rate = 1.0\ngold_feedback = "always"')
    code = await setup(
        store,
        toml,
        [
            {"id": "g1", "data": {"text": "close to four"}, "gold": 4},
            {"id": "g2", "data": {"text": "far off"}, "gold": "2"},
        ],
    )
    alice = recorder.person("alice")
    await alice.command("start", code)
    verdicts = {}
    for _ in range(2):
        assert alice.screen is not None
        shown = "four" if "close to four" in alice.screen.text else "off"
        await alice.tap("5")
        assert alice.screen is not None
        verdicts[shown] = alice.screen.text
        await alice.tap("Next task")
    assert "✓ Right: *4 of 5*" in verdicts["four"]
    assert "✗ Not quite: this one is *2 of 5*" in verdicts["off"]


@pytest.mark.parametrize(
    ("task", "extra", "message"),
    [
        ("rating", 'labels = ["a", "b"]', "a rating task takes none"),
        ("rating", "[options]\nscale = 11", "options.scale: must be a whole number from 2 to 10"),
        ("multi_choice", 'labels = ["a", "b"]\n[options]\nrows = 2', "rows: not an option"),
        ("free_text", "[options]\nmin_length = 9\nmax_length = 3", "min_length is over max_length"),
        ("review", 'labels = ["rejected", "ok"]', "'rejected' is the answer of Reject"),
    ],
)
def test_bad_task_settings_are_named(task: str, extra: str, message: str) -> None:
    with pytest.raises(ProjectFileError, match=message):
        parse_project("p.toml", project_toml(task, extra))


@pytest.mark.parametrize(
    ("task", "extra", "row", "message"),
    [
        ("pairwise", "", {"id": "1", "data": {"a": "x"}}, r"line 1: data\.b: missing"),
        (
            "multi_choice",
            'labels = ["a", "b"]',
            {"id": "1", "data": {"text": "x"}, "gold": "a|c"},
            r"line 1: gold: 'c' is not a label",
        ),
        (
            "review",
            'labels = ["a", "b"]',
            {"id": "1", "data": {"text": "x", "suggestion": "z"}},
            r"line 1: data\.suggestion: 'z' is not a label",
        ),
        (
            "rating",
            "",
            {"id": "1", "data": {"text": "x"}, "gold": 9},
            r"line 1: gold: '9' is not on the scale 1 to 5",
        ),
        (
            "single_choice",
            'labels = ["a", "b"]',
            {"id": "1", "data": {"text": "x", "image": "a.png", "audio": "b.wav"}},
            r"line 1: data: one media file per item",
        ),
    ],
)
async def test_bad_rows_are_named(
    store: Store, task: str, extra: str, row: dict[str, Any], message: str
) -> None:
    await save_project(store, parse_project("p.toml", project_toml(task, extra)), update=False)
    with pytest.raises(BatchFileError, match=message):
        await import_batch(store, "p", "b.jsonl", jsonl([row]), True)


async def test_ticking_a_label_keeps_the_undo_of_the_answer_before(
    recorder: Recorder, store: Store
) -> None:
    code = await setup(
        store,
        project_toml("multi_choice", 'labels = ["cat", "dog"]'),
        [{"id": f"m{i}", "data": {"text": f"pets {i}"}} for i in range(2)],
    )
    (alice,) = await people(recorder, code, 1)
    await alice.tap("cat")
    await alice.tap("Done (1 ✓)")
    assert labels(alice)[:4] == ["cat", "dog", "Done (none)", "Undo"]
    await alice.tap("dog")
    assert labels(alice)[:4] == ["cat", "✓ dog", "Done (1 ✓)", "Undo"]
    await alice.tap("Undo")
    assert alice.screen is not None and "pets 0" in alice.screen.text
