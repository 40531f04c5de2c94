"""A manager runs a project from the command line: batches and members steered with the same
rules, audit entries and wake-ups as the chat, files that are replaced whole or not at all, and
arguments checked in one line. Each command is a real subprocess on the test's SQLite file;
the annotators are console people on the same file."""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import pytest

from adapters.console.recorder import Person, Recorder
from bot.chat.markup import plain
from bot.core import Core
from cli.common import Heading
from cli.main import build_parser
from storage.contract import Store
from tests.e2e.test_cli import PROJECT_TOML, export_jsonl, failed, ok, tapmark

SMALL = """name = "cats"
title = "Cats"
task = "binary"
labels = ["yes", "no"]
instructions = "Is it about cats?"
timezone = "Europe/Berlin"
[quality]
min_overlap = 1
max_overlap = 1
gold_rate = 0
"""


def batch_file(folder: Path, name: str, rows: int, gold: int = 0) -> Path:
    path = folder / name
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"{name}-{i}",
                    "data": {"text": f"cat fact {i}"},
                    **({"gold": "yes"} if i < gold else {}),
                }
            )
            + "\n"
            for i in range(rows)
        ),
        encoding="utf-8",
    )
    return path


def last(person: Person) -> str:
    return plain(person.chat.last().text)  # type: ignore[union-attr]


def audit(folder: Path, db: str, project: str = "cats") -> list[dict[str, object]]:
    out = ok(tapmark(folder, "audit", project, "--json", "--db", db)).stdout
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def cats(tmp_path: Path, db_url: str) -> str:
    """The project, made through the command line; an invite code for annotators."""
    (tmp_path / "cats.toml").write_text(SMALL, encoding="utf-8")
    ok(tapmark(tmp_path, "project", "create", "cats.toml", "--db", db_url))
    return ok(
        tapmark(tmp_path, "invite", "cats", "--role", "annotator", "--db", db_url)
    ).stdout.split()[-1]


@pytest.fixture
def crowd(store: Store) -> Recorder:
    return Recorder(Core(store, rng=random.Random(1)))


# --- files are replaced whole or not at all -------------------------------------------------


def test_a_refused_export_keeps_the_old_file_byte_for_byte(
    tmp_path: Path, db_url: str, cats: str
) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 3)),
            "--db",
            db_url,
        )
    )
    keep = tmp_path / "keep.jsonl"
    ok(tapmark(tmp_path, "export", "cats", "--out", str(keep), "--db", db_url))
    before = keep.read_bytes()
    assert before.count(b"\n") == 3
    err = failed(
        tapmark(tmp_path, "export", "cats", "--format", "coco", "--out", str(keep), "--db", db_url)
    )
    assert "image_grid" in err and len(err.strip().splitlines()) == 1
    assert keep.read_bytes() == before
    err = failed(
        tapmark(
            tmp_path,
            "export",
            "cats",
            "--format",
            "ranking",
            "--out",
            "new/deeper/rank.json",
            "--db",
            db_url,
        )
    )
    assert "pairwise" in err
    assert not (tmp_path / "new").exists(), "a refusal makes no folder either"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert [e["action"] for e in audit(tmp_path, db_url)].count("export") == 1


def test_an_export_into_a_new_folder_makes_it(tmp_path: Path, db_url: str, cats: str) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 2)),
            "--db",
            db_url,
        )
    )
    ok(
        tapmark(
            tmp_path,
            "export",
            "cats",
            "--format",
            "csv",
            "--out",
            "out/week/cats.csv",
            "--db",
            db_url,
        )
    )
    assert (tmp_path / "out/week/cats.csv").read_text(encoding="utf-8").startswith("id,gold,")
    assert [p.name for p in (tmp_path / "out/week").iterdir()] == ["cats.csv"]


# --- batches from the command line, as /batches does -----------------------------------------


async def test_publish_from_the_command_line_wakes_waiting_annotators(
    tmp_path: Path, db_url: str, cats: str, crowd: Recorder
) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 4, gold=2)),
            "--db",
            db_url,
        )
    )
    listed = ok(tapmark(tmp_path, "batch", "list", "cats", "--db", db_url)).stdout
    assert listed.strip() == (
        "b1 (draft): ░░░░░░░░░░ 0 of 2 items finished (not counting its 2 "
        "gold questions), 0 answers"
    )
    ann = crowd.person("ann")
    await ann.command("start", cats)
    await ann.command("next")
    assert "No tasks" in plain(ann.screen.text)  # type: ignore[union-attr]
    assert "'b1' is draft; only a published batch can be paused" in failed(
        tapmark(tmp_path, "batch", "pause", "cats", "b1", "--db", db_url)
    )
    out = ok(tapmark(tmp_path, "batch", "publish", "cats", "b1", "--db", db_url)).stdout
    assert "batch 'b1' of 'cats' is published" in out
    assert await crowd.deliver() == 1
    assert "New tasks are ready in Cats" in last(ann)
    await ann.tap("Next task")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"

    err = failed(tapmark(tmp_path, "batch", "publish", "cats", "b1", "--db", db_url))
    assert "'b1' is published already" in err
    ok(tapmark(tmp_path, "batch", "pause", "cats", "b1", "--db", db_url))
    await ann.command("next")
    assert "No tasks" in plain(ann.screen.text)  # type: ignore[union-attr]
    assert "'b1' is paused already" in failed(
        tapmark(tmp_path, "batch", "pause", "cats", "b1", "--db", db_url)
    )
    ok(tapmark(tmp_path, "batch", "resume", "cats", "b1", "--db", db_url))
    assert await crowd.deliver() == 1, "resuming wakes the one who waits"
    ok(tapmark(tmp_path, "batch", "close", "cats", "b1", "--db", db_url))
    assert "'b1' is closed; only a paused batch can be resumed" in failed(
        tapmark(tmp_path, "batch", "resume", "cats", "b1", "--db", db_url)
    )
    assert "batches: b1" in failed(
        tapmark(tmp_path, "batch", "close", "cats", "b9", "--db", db_url)
    )
    steps = [
        (e["action"], e["who"])
        for e in audit(tmp_path, db_url)
        if str(e["action"]).startswith("batch.") and e["action"] != "batch.import"
    ]
    assert steps == [
        ("batch.publish", "cli"),
        ("batch.pause", "cli"),
        ("batch.resume", "cli"),
        ("batch.close", "cli"),
    ]


async def test_the_chat_and_the_command_line_keep_one_audit(
    tmp_path: Path, db_url: str, store: Store
) -> None:
    recorder = Recorder(Core(store, admins=frozenset({("console", "root")})))
    root = recorder.person("root")
    await root.upload("cats.toml", SMALL.encode())
    await root.upload("b1.jsonl", batch_file(tmp_path, "b1.jsonl", 2).read_bytes())
    await root.tap("Publish")
    await root.command("batches")
    await root.tap("Pause")
    ok(tapmark(tmp_path, "batch", "resume", "cats", "b1", "--db", db_url))
    entries = [
        e
        for e in audit(tmp_path, db_url)
        if e["action"] in {"batch.publish", "batch.pause", "batch.resume"}
    ]
    async with store.transaction() as tx:
        manager = await tx.member_by_identity("console", "root")
    assert manager is not None
    assert [(e["action"], e["who"]) for e in entries] == [
        ("batch.publish", manager.pseudonym),
        ("batch.pause", manager.pseudonym),
        ("batch.resume", "cli"),
    ]
    assert [e["details"]["status"] for e in entries] == [  # type: ignore[index]
        "published",
        "paused",
        "published",
    ]


def test_a_deadline_is_set_and_audited_in_the_project_time_zone(
    tmp_path: Path, db_url: str, cats: str
) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 2)),
            "--db",
            db_url,
        )
    )
    out = ok(
        tapmark(tmp_path, "batch", "deadline", "cats", "b1", "2027-12-04", "18:00", "--db", db_url)
    ).stdout
    assert "due 2027-12-04T18:00:00+01:00 (Europe/Berlin" in out
    listed = json.loads(
        ok(tapmark(tmp_path, "batch", "list", "cats", "--json", "--db", db_url)).stdout
    )
    assert listed["batches"][0]["deadline"] == "2027-12-04T18:00:00+01:00"
    err = failed(
        tapmark(tmp_path, "batch", "deadline", "cats", "b1", "Friday", "--db", db_url), code=2
    )
    assert "'Friday' is not a date" in err
    ok(tapmark(tmp_path, "batch", "deadline", "cats", "b1", "none", "--db", db_url))
    deadlines = [
        e["details"]["deadline"]
        for e in audit(tmp_path, db_url)  # type: ignore[index]
        if e["action"] == "batch.deadline"
    ]
    assert deadlines == ["2027-12-04T18:00:00+01:00", None]
    text = ok(tapmark(tmp_path, "audit", "cats", "--db", db_url)).stdout
    assert 'deadline="2027-12-04T18:00:00+01:00"' in text
    assert "1796" not in text and "1812" not in text, "no epoch seconds"
    first = text.splitlines()[1]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d  cli  ", first), first


def test_projects_are_listed(tmp_path: Path, db_url: str, cats: str) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 2)),
            "--publish",
            "--db",
            db_url,
        )
    )
    ok(tapmark(tmp_path, "project", "create", str(PROJECT_TOML), "--db", db_url))
    text = ok(tapmark(tmp_path, "project", "list", "--db", db_url)).stdout
    assert text.splitlines()[0] == "cats  Cats (binary): 1 published; active: no members"
    data = json.loads(ok(tapmark(tmp_path, "project", "list", "--json", "--db", db_url)).stdout)
    assert [p["name"] for p in data["projects"]] == ["cats", "reviews"]
    assert data["projects"][1]["batches"] == {"draft": 0, "published": 0, "paused": 0, "closed": 0}


# --- members ---------------------------------------------------------------------------------


async def test_members_are_suspended_reinstated_and_removed_from_the_command_line(
    tmp_path: Path, db_url: str, cats: str, crowd: Recorder
) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 4)),
            "--publish",
            "--db",
            db_url,
        )
    )
    ann, bea = crowd.person("ann", "Ann"), crowd.person("bea", "Bea")
    await ann.command("start", cats)
    await ann.tap("yes")
    await bea.command("start", cats)
    await crowd.deliver()
    listing = json.loads(ok(tapmark(tmp_path, "members", "cats", "--json", "--db", db_url)).stdout)[
        "members"
    ]
    ids = {m["name"]: m["member"] for m in listing}
    assert [(m["role"], m["status"], m["answers"]) for m in listing] == [
        ("annotator", "active", 1),
        ("annotator", "active", 0),
    ]
    text = ok(tapmark(tmp_path, "members", "cats", "--db", db_url)).stdout
    assert f"{ids['Ann']}  annotator  active     1 answer  Ann" in text

    out = ok(tapmark(tmp_path, "members", "cats", "suspend", ids["Ann"], "--db", db_url)).stdout
    assert out.strip() == f"{ids['Ann']} is suspended; their answers left the aggregation."
    await ann.command("next")
    assert "paused" in last(ann)
    assert "suspended already" in failed(
        tapmark(tmp_path, "members", "cats", "suspend", ids["Ann"], "--db", db_url)
    )
    ok(tapmark(tmp_path, "members", "cats", "reinstate", ids["Ann"], "--db", db_url))
    await ann.command("next")
    assert ann.screen is not None and ann.screen.buttons()[0].label == "yes"

    bea_task = bea.screen
    assert bea_task is not None and bea_task.buttons()[0].label == "yes"
    ok(tapmark(tmp_path, "members", "cats", "remove", ids["Bea"], "--db", db_url))
    await crowd.deliver()
    assert "You are no longer annotator in Cats" in last(bea)
    await bea.command("next")
    assert "no longer an annotator" in last(bea)
    assert "no member 'a-nobody'" in failed(
        tapmark(tmp_path, "members", "cats", "remove", "a-nobody", "--db", db_url)
    )
    assert "together" in failed(
        tapmark(tmp_path, "members", "cats", "remove", "--db", db_url), code=2
    )
    who = [
        (e["action"], e["who"])
        for e in audit(tmp_path, db_url)
        if e["action"] in {"suspend", "reinstate", "remove"}
    ]
    # suspension names the one suspended (as automatic suspension does), the rest the actor
    assert who == [("suspend", ids["Ann"]), ("reinstate", "cli"), ("remove", "cli")]
    evidence = next(e for e in audit(tmp_path, db_url) if e["action"] == "suspend")["details"]
    assert evidence["evidence"] == "suspended by the command line"  # type: ignore[index]


async def test_a_manager_invite_in_chat_is_for_one_person(store: Store) -> None:
    recorder = Recorder(Core(store, admins=frozenset({("console", "root")})))
    root = recorder.person("root")
    await root.upload("cats.toml", SMALL.encode())
    await root.command("invite", "manager")
    text = last(root)
    assert "as manager (1 person)" in text
    code = text.split()[-1]
    first, second = recorder.person("m1"), recorder.person("m2")
    await first.command("start", code)
    await second.command("start", code)
    assert "Check the code" in last(second)
    slack = Recorder(Core(store, admins=frozenset({("slack", "T0:U1")})), platform="slack")
    boss = slack.person("T0:U1")
    await boss.command("project", "cats")
    await boss.command("invite", "annotator", "3")
    assert "/tapmark start " in last(boss)


# --- arguments, --json, --help --------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ("demo", "--items", "100000"),
        ("demo", "--crowd", "0"),
        ("demo", "--crowd", "-2"),
        ("demo", "--items", "many"),
        ("demo", "--json"),
        ("demo", "--crowd", "5000"),
        ("export", "cats", "--format", "xml"),
        ("export", "cats", "--bom"),
        ("batch", "frobnicate"),
        ("members", "cats", "expel", "a-1"),
        ("invite", "cats"),
        ("invite", "cats", "--role", "annotator", "--uses", "-1"),
        ("nonsense",),
    ],
)
def test_argument_errors_are_one_line_and_exit_2(
    tmp_path: Path, db_url: str, cats: str, argv: tuple[str, ...]
) -> None:
    proc = (
        tapmark(tmp_path, *argv, "--db", db_url)
        if argv[0] != "nonsense"
        else tapmark(tmp_path, *argv)
    )
    err = failed(proc, code=2)
    assert len(err.strip().splitlines()) == 1, err
    assert proc.stdout == ""


def json_commands() -> set[str]:
    """Every command line that takes --json, as "demo", "batch list", ..."""
    found: set[str] = set()

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in parser._actions:
            if "--json" in action.option_strings:
                found.add(" ".join(prefix))
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, (*prefix, name))

    walk(build_parser(), ())
    return found


def test_with_json_standard_output_holds_only_the_json(
    tmp_path: Path, db_url: str, cats: str
) -> None:
    ok(
        tapmark(
            tmp_path,
            "batch",
            "import",
            "cats",
            str(batch_file(tmp_path, "b1.jsonl", 3)),
            "--publish",
            "--db",
            db_url,
        )
    )
    answers = tmp_path / "answers.csv"
    answers.write_text("worker,task,label\nw1,t1,a\nw2,t1,a\nw1,t2,b\nw2,t2,a\n", encoding="utf-8")
    gold = tmp_path / "gold.csv"
    gold.write_text("task,label\nt1,a\n", encoding="utf-8")
    runs = {
        "demo": ("demo", "--crowd", "3", "--items", "5", "--json", "--db", db_url),
        "report": ("report", "cats", "--json", "--png", "out/r.png", "--db", db_url),
        "audit": ("audit", "cats", "--json", "--db", db_url),
        "batch list": ("batch", "list", "cats", "--json", "--db", db_url),
        "project list": ("project", "list", "--json", "--db", db_url),
        "members": ("members", "cats", "--json", "--db", db_url),
        "aggregate": (
            "aggregate",
            str(answers),
            "--gold",
            str(gold),
            "--json",
            "--out",
            "labels.csv",
        ),
        "replay": ("replay", str(answers), "--gold", str(gold), "--json"),
    }
    assert set(runs) == json_commands(), "a command with --json is not checked here"
    for name, argv in runs.items():
        out = ok(tapmark(tmp_path, *argv)).stdout
        lines = [json.loads(line) for line in out.splitlines()]
        assert lines and all(isinstance(x, dict) for x in lines), name
        if name != "audit":
            assert len(lines) == 1, name
    assert (tmp_path / "out/r-quality.png").exists() and (tmp_path / "labels.csv").exists()


def test_help_lists_every_format(tmp_path: Path) -> None:
    imp = ok(tapmark(tmp_path, "batch", "import", "--help")).stdout.replace("\n", " ")
    for name in ("CSV", "JSONL", "Label Studio", "ZIP"):
        assert name in imp
    export = " ".join(ok(tapmark(tmp_path, "export", "--help")).stdout.split())
    for name in ("jsonl", "csv", "results", "label-studio", "annotators", "coco", "ranking"):
        assert f"{name}:" in export, name
    top = ok(tapmark(tmp_path, "batch", "--help")).stdout
    for verb in ("import", "list", "publish", "pause", "resume", "close", "deadline"):
        assert verb in top


def test_the_top_level_help_lists_every_command_once_under_its_heading(tmp_path: Path) -> None:
    out = ok(tapmark(tmp_path, "--help")).stdout
    sections: dict[str, list[str]] = {}
    heading = None
    for line in out.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            heading = line[:-1]
            sections[heading] = []
        elif heading and line.startswith("  ") and not line.startswith("   "):
            sections[heading].append(line.split()[0])
    assert list(sections) == [*Heading, "options"]
    listed = [name for h in Heading for name in sections[h]]
    subcommands = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    )
    assert sorted(listed) == sorted(subcommands.choices), "a command is missing or listed twice"
    assert {"project", "invite", "members"} <= set(sections["projects and people"])
    assert {"export", "report", "aggregate"} <= set(sections["results and quality"])
    assert {"run", "demo", "migrate"} <= set(sections["running tapmark"])


# --- the demo on a kept database --------------------------------------------------------------


def test_a_demo_on_an_existing_database_resumes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.db'}"
    first = json.loads(
        ok(
            tapmark(
                tmp_path,
                "demo",
                "--crowd",
                "4",
                "--items",
                "12",
                "--seed",
                "2",
                "--json",
                "--db",
                db,
            )
        ).stdout
    )
    again = json.loads(
        ok(
            tapmark(
                tmp_path,
                "demo",
                "--crowd",
                "4",
                "--items",
                "12",
                "--seed",
                "2",
                "--json",
                "--db",
                db,
            )
        ).stdout
    )
    assert (first["resumed"], again["resumed"]) == (False, True)
    assert again["answers"] >= first["answers"] and again["items"] == 12
    other = json.loads(
        ok(tapmark(tmp_path, "demo", "--crowd", "3", "--items", "5", "--json", "--db", db)).stdout
    )
    assert other["resumed"] is False and other["items"] == 5
    ok(tapmark(tmp_path, "demo", "--items", "5", "--db", db, stdin="1\n/quit\n"))
    ok(tapmark(tmp_path, "demo", "--items", "5", "--db", db, stdin="/quit\n"))
    listed = ok(tapmark(tmp_path, "batch", "list", "reviews", "--db", db)).stdout
    assert [line.split()[0] for line in listed.splitlines()] == [
        "crowd-4-12-2",
        "crowd-3-5-1",
        "demo-5",
    ]


# --- project files: every problem at once, by line ---------------------------------------------


def test_every_problem_of_a_project_file_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "cats"\n'  # 1
        'title = "Cats"\n'  # 2
        'task = "binary"\n'  # 3
        'labels = ["yes", "no", "maybe"]\n'  # 4
        'instructions = """\n'  # 5
        "[quality]\n"  # 6: inside the text, not a table
        '"""\n'  # 7
        "[quality]\n"  # 8
        "min_overlap = 4\n"  # 9
        "max_overlap = 2\n"  # 10
        "confidnce = 0.8\n"  # 11
        "[schedul]\n"  # 12
        'digest_at = "18:00"\n',  # 13
        encoding="utf-8",
    )
    err = failed(
        tapmark(tmp_path, "project", "create", str(path), "--db", f"sqlite:///{tmp_path / 't.db'}")
    )
    assert err.strip().splitlines() == [
        f"{path}: line 4: labels (the answer choices): a binary task needs exactly 2 labels, not 3",
        f"{path}: line 8: quality (the quality settings): max_overlap must be at least min_overlap",
        f"{path}: line 11: quality.confidnce: not a setting here; did you mean confidence (the "
        "aggregated confidence an item should reach)?",
        f"{path}: line 12: schedul: not a setting here; did you mean schedule (the scheduled "
        "messages)?",
    ]


async def test_a_project_file_in_chat_gets_the_same_lines(store: Store) -> None:
    recorder = Recorder(Core(store, admins=frozenset({("console", "root")})))
    root = recorder.person("root")
    await root.upload(
        "cats.toml", SMALL.replace("min_overlap = 1", "min_overlap = 1\ngold_rat = 0.2").encode()
    )
    assert (
        "cats.toml: line 9: quality.gold_rat: not a setting here; did you mean gold_rate "
        "(the share of tasks that are gold questions)?"
    ) in last(root)


async def test_batch_aggregate_recomputes_finished_results_by_dawid_skene(
    tmp_path: Path, db_url: str, cats: str, crowd: Recorder
) -> None:
    path = batch_file(tmp_path, "b1.jsonl", 2)
    ok(tapmark(tmp_path, "batch", "import", "cats", str(path), "--publish", "--db", db_url))
    ann = crowd.person("ann")
    await ann.command("start", cats)
    await ann.tap("yes")
    await ann.tap("no")
    out = ok(tapmark(tmp_path, "batch", "aggregate", "cats", "b1", "--db", db_url)).stdout
    assert out.strip() == (
        "batch 'b1' of 'cats': 2 results recomputed by Dawid-Skene (QA's decisions kept)"
    )
    rows = export_jsonl(tmp_path, db_url, "cats")
    assert sorted((r["result"]["label"], r["result"]["method"]) for r in rows) == [
        ("no", "dawid_skene"),
        ("yes", "dawid_skene"),
    ]
    assert "no batch named 'b9'" in failed(
        tapmark(tmp_path, "batch", "aggregate", "cats", "b9", "--db", db_url)
    )
