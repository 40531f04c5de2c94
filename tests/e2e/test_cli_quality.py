"""The ``aggregate`` and ``replay`` commands, run in a subprocess like the real CLI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.datasets import crowd_files

REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from cli.quality import _standalone; sys.exit(_standalone(sys.argv[1:]))"


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A synthetic crowd: 200 tasks, 10 answers each from 25 workers, labels 'yes'/'no'."""
    folder = tmp_path_factory.mktemp("crowd")
    rng = np.random.default_rng(0)
    acc = rng.uniform(0.6, 0.95, 25)
    names = ["no", "yes"]
    truth = rng.integers(0, 2, 200)
    answers = folder / "answers.csv"
    gold = folder / "gold.csv"
    with answers.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["worker", "task", "label", "seconds"])  # extra column is ignored
        for t, true in enumerate(truth):
            for worker in rng.choice(25, 10, replace=False):
                lab = true if rng.random() < acc[worker] else 1 - true
                w.writerow([f"w{worker}", f"t{t}", names[lab], "3.5"])
    with gold.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["task", "label"])
        for t, true in enumerate(truth):
            w.writerow([f"t{t}", names[true]])
    return answers, gold


def test_aggregate_json_without_gold(crowd: tuple[Path, Path]) -> None:
    answers, _ = crowd
    res = run("aggregate", answers, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["items"] == 200 and out["workers"] == 25 and out["answers"] == 2000
    assert out["method"] == "ds_prior"  # the default
    assert out["accuracy"] is None
    assert out["classes"] == ["no", "yes"]


@pytest.mark.parametrize("method", ["mv", "wmv", "ds", "ds_gold", "ds_prior", "one_coin"])
def test_aggregate_json_with_gold(crowd: tuple[Path, Path], method: str) -> None:
    answers, gold = crowd
    res = run("aggregate", answers, "--gold", gold, "--method", method, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["method"] == method
    assert 0.85 < out["accuracy"] < 1.0  # ds_gold is cross-fitted, so not trivially 1.0
    assert out["gold_items"] == 200


def test_aggregate_writes_labels_and_a_summary(crowd: tuple[Path, Path], tmp_path: Path) -> None:
    answers, gold = crowd
    target = tmp_path / "labels.csv"
    res = run("aggregate", answers, "--gold", gold, "--out", target)
    assert res.returncode == 0, res.stderr
    assert "accuracy against" in res.stdout and "200 tasks" in res.stdout
    with target.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 200
    assert set(rows[0]) == {"task", "label", "confidence"}
    assert {r["label"] for r in rows} == {"yes", "no"}
    assert all(0.0 <= float(r["confidence"]) <= 1.0 for r in rows)
    with gold.open(newline="") as fh:
        truth = {r["task"]: r["label"] for r in csv.DictReader(fh)}
    assert np.mean([truth[r["task"]] == r["label"] for r in rows]) > 0.85


def test_replay_json(crowd: tuple[Path, Path]) -> None:
    answers, gold = crowd
    res = run("replay", answers, "--gold", gold, "--json", "--seed", "3")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["items"] == 180 and out["gold_items"] == 20
    assert out["gold_answers"] == 200
    assert 3.0 <= out["labels_per_item"] < 8.0
    assert out["accuracy"] > 0.85
    again = json.loads(run("replay", answers, "--gold", gold, "--json", "--seed", "3").stdout)
    assert again == out
    custom = run(
        "replay", answers, "--gold", gold, "--json", "--min-overlap", "2",
        "--max-overlap", "4", "--confidence", "0.9", "--gold-fraction", "0.2",
    )  # fmt: skip
    out2 = json.loads(custom.stdout)
    assert out2["gold_items"] == 40 and out2["labels_per_item"] <= 4.0


def test_replay_with_skill_routing(crowd: tuple[Path, Path]) -> None:
    answers, gold = crowd
    args = ("replay", answers, "--gold", gold, "--json", "--seed", "3")
    plain = json.loads(run(*args).stdout)
    res = run(*args, "--routing", "skill", "--online", "2")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["routing"] == "skill" and out["online"] == 2 and plain["routing"] == "arrival"
    assert out["items"] == plain["items"] and out["gold_answers"] == plain["gold_answers"]
    assert 3.0 <= out["labels_per_item"] < 8.0
    assert out["labels_per_item_with_gold"] == pytest.approx(
        out["labels_per_item"] + out["gold_answers"] / out["items"], abs=1e-5
    )
    assert out["accuracy"] > 0.9 and out["accuracy"] >= plain["accuracy"] - 0.02
    assert out["weak_answer_share"]["used"] <= out["weak_answer_share"]["recorded"]
    text = run("replay", answers, "--gold", gold, "--routing", "skill", "--seed", "3")
    assert "choosing among 3 people online" in text.stdout
    assert "labels per task with the gold questions' answers:" in text.stdout


def _one_line_error(res: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    _one_line_error(run("aggregate", missing), str(missing), "no such file")


def test_missing_gold_file(crowd: tuple[Path, Path], tmp_path: Path) -> None:
    answers, _ = crowd
    missing = tmp_path / "gold.csv"
    _one_line_error(run("replay", answers, "--gold", missing), str(missing))


def test_missing_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("worker,task,answer\nw1,t1,yes\n")
    _one_line_error(run("aggregate", bad), str(bad), "line 1", "'label'")


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _one_line_error(run("aggregate", empty), str(empty), "empty file")
    header = tmp_path / "header.csv"
    header.write_text("worker,task,label\n")
    _one_line_error(run("aggregate", header), str(header), "no data rows")


def test_short_row_and_empty_field(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("worker,task,label\nw1,t1,yes\nw2,t1\n")
    _one_line_error(run("aggregate", short), str(short), "line 3", "'label'")
    blank = tmp_path / "blank.csv"
    blank.write_text("worker,task,label\nw1,,yes\n")
    _one_line_error(run("aggregate", blank), str(blank), "line 2", "'task'")


def test_gold_with_a_missing_column(crowd: tuple[Path, Path], tmp_path: Path) -> None:
    answers, _ = crowd
    gold = tmp_path / "gold.csv"
    gold.write_text("item,label\nt1,yes\n")
    _one_line_error(run("aggregate", answers, "--gold", gold), str(gold), "'task'")


def test_bad_options(crowd: tuple[Path, Path]) -> None:
    answers, gold = crowd
    _one_line_error(run("aggregate", answers, "--method", "ds_gold"), "ds_gold", "--gold")
    _one_line_error(
        run("replay", answers, "--gold", gold, "--min-overlap", "5", "--max-overlap", "3"),
        "min_overlap",
    )
    _one_line_error(run("replay", answers, "--gold", gold, "--gold-fraction", "1.5"), "fraction")
    _one_line_error(run("replay", answers, "--gold", gold, "--online", "0"), "--online")
    _one_line_error(
        run("replay", answers, "--gold", gold, "--routing", "skill", "--exploration", "2"),
        "exploration",
    )


def test_real_data_set_end_to_end() -> None:
    answers, gold = crowd_files("snow2008_rte")
    agg = json.loads(run("aggregate", answers, "--gold", gold, "--method", "ds", "--json").stdout)
    assert agg["accuracy"] >= 0.925 and agg["items"] == 800 and agg["workers"] == 164
    rep = json.loads(run("replay", answers, "--gold", gold, "--json").stdout)
    assert rep["accuracy"] >= 0.91 and rep["labels_per_item"] <= 4.5
