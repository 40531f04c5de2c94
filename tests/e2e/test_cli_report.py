"""`tapmark report` and the new export formats, run as a subprocess on the scripted scene of
test_report (a day and a half of work in Berlin)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from PIL import Image

from bot.charts import WIDTH
from tests.e2e.test_cli import failed, ok, tapmark
from tests.e2e.test_report import Scene, scene  # noqa: F401  (the fixture)


async def test_report_prints_text_json_and_writes_the_charts(
    scene: Scene, db_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    text = ok(tapmark(tmp_path, "report", "rep", "--db", db_url)).stdout
    assert text.startswith("Report: Reviews · ")
    assert "b1 (published): ▓▓▓▓▓░░░░░ 2 of 4 items finished, 5 answers" in text
    assert "*" not in text and "`" not in text
    data = json.loads(ok(tapmark(tmp_path, "report", "rep", "--json", "--db", db_url)).stdout)
    assert data["project"] == "rep" and data["timezone"] == "Europe/Berlin"
    assert [b["name"] for b in data["batches"]] == ["b1"]
    assert data["batches"][0]["finished"] == 2
    figures = {a["annotator"]: a for a in data["annotators"]}
    assert figures[scene.ann_id]["answers"] == 4 and figures[scene.ann_id]["agreement"] == 1.0
    assert figures[scene.bob_id]["gold_accuracy"] == 0.0
    assert len(data["days"]) == 14


async def test_report_writes_three_named_pictures(
    scene: Scene, db_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    proc = ok(tapmark(tmp_path, "report", "rep", "--png", str(tmp_path / "week.png"),
                      "--db", db_url))
    names = ["week-answers.png", "week-batches.png", "week-quality.png"]
    for name in names:
        assert f"wrote {tmp_path / name}" in proc.stderr
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG" and image.size[0] == WIDTH
    missing = tmp_path / "no such folder" / "week.png"
    assert "cannot write" in failed(tapmark(tmp_path, "report", "rep", "--png", str(missing),
                                            "--db", db_url))


async def test_exports_for_payroll_and_label_studio(
    scene: Scene, db_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    sheet = ok(tapmark(tmp_path, "export", "rep", "--format", "annotators", "--since",
                       "2027-01-16", "--until", "2027-01-16", "--db", db_url)).stdout
    rows = {r["annotator"]: r for r in csv.DictReader(io.StringIO(sheet))}
    assert (rows[scene.ann_id]["answers"], rows[scene.bob_id]["answers"]) == ("1", "3")
    friday = ok(tapmark(tmp_path, "export", "rep", "--format", "annotators", "--until",
                        "2027-01-15", "--db", db_url)).stdout
    rows = {r["annotator"]: r for r in csv.DictReader(io.StringIO(friday))}
    assert (rows[scene.ann_id]["answers"], rows[scene.bob_id]["answers"]) == ("3", "0")
    assert "--format annotators" in failed(tapmark(
        tmp_path, "export", "rep", "--since", "2027-01-16", "--db", db_url), code=2)
    assert "not a date" in failed(tapmark(
        tmp_path, "export", "rep", "--format", "annotators", "--since", "16.01.2027",
        "--db", db_url), code=2)

    out = tmp_path / "rep.json"
    ok(tapmark(tmp_path, "export", "rep", "--format", "label-studio", "--out", str(out),
               "--db", db_url))
    assert [t["id"] for t in json.loads(out.read_text(encoding="utf-8"))] == [
        "g", "i1", "i2", "i3", "i4"]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    (tmp_path / "again.toml").write_text(
        'name = "again"\ntitle = "Again"\ntask = "single_choice"\n'
        'labels = ["pos", "neg", "neu"]\n', encoding="utf-8")
    ok(tapmark(tmp_path, "project", "create", str(tmp_path / "again.toml"), "--db", other))
    imported = ok(tapmark(tmp_path, "batch", "import", "again", str(out), "--db", other)).stdout
    assert "5 items, 1 gold (pos 1)" in imported
    items = [json.loads(line) for line in ok(tapmark(
        tmp_path, "export", "again", "--db", other)).stdout.splitlines()]
    assert [i["id"] for i in items] == ["g", "i1", "i2", "i3", "i4"]
    assert items[2]["data"]["suggestion"]["label"] == "pos"
    assert "suggestion" not in items[4]["data"] and items[4]["data"] == {"text": "fourth"}
