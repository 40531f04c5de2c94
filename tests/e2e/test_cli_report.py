"""`tapmark report` and the new export formats, run as a subprocess on the scripted scene of
test_report (a day and a half of work in Berlin)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from PIL import Image

from bot.reports.charts import WIDTH
from tests.e2e.test_cli import failed, ok, tapmark
from tests.e2e.test_report import Scene, files, scene  # noqa: F401  (the fixture)


async def test_report_prints_text_json_and_writes_the_charts(
    scene: Scene,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    text = ok(tapmark(tmp_path, "report", "rep", "--db", db_url)).stdout
    assert text.startswith("Report: Reviews · ")
    assert (
        "b1 (published): ▓▓▓▓▓░░░░░ 2 of 4 items finished (not counting its 1 gold "
        "question), 5 answers; agreement α 0.00"
    ) in text
    assert "*" not in text and "`" not in text
    data = json.loads(ok(tapmark(tmp_path, "report", "rep", "--json", "--db", db_url)).stdout)
    assert data["project"] == "rep" and data["timezone"] == "Europe/Berlin"
    assert [b["name"] for b in data["batches"]] == ["b1"]
    assert data["batches"][0]["finished"] == 2
    assert (data["batches"][0]["items"], data["batches"][0]["gold"]) == (4, 1)
    # first and second: Ann and Bob both pos, then pos and neg (third: Ann alone, unpaired):
    # observed disagreement 2 of 4 pairable answers, as much as chance would give: alpha 0
    assert data["batches"][0]["krippendorff_alpha"] == 0.0
    assert data["krippendorff_alpha"] == 0.0
    figures = {a["annotator"]: a for a in data["annotators"]}
    assert figures[scene.ann_id]["answers"] == 4 and figures[scene.ann_id]["agreement"] == 1.0
    assert figures[scene.bob_id]["gold_accuracy"] == 0.0
    assert len(data["days"]) == 14


async def test_report_writes_three_named_pictures_making_the_folder(
    scene: Scene,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    proc = ok(tapmark(tmp_path, "report", "rep", "--png", "out/week.png", "--db", db_url))
    names = ["week-answers.png", "week-batches.png", "week-quality.png"]
    for name in names:
        assert f"wrote {Path('out') / name}" in proc.stderr
        with Image.open(tmp_path / "out" / name) as image:
            assert image.format == "PNG" and image.size[0] == WIDTH
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names
    (tmp_path / "a file").write_text("not a folder", encoding="utf-8")
    blocked = tmp_path / "a file" / "week.png"
    err = failed(tapmark(tmp_path, "report", "rep", "--png", str(blocked), "--db", db_url))
    assert "cannot write" in err and len(err.strip().splitlines()) == 1
    assert (tmp_path / "a file").read_text(encoding="utf-8") == "not a folder"


async def test_exports_for_payroll_and_label_studio(
    scene: Scene,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    sheet = ok(
        tapmark(
            tmp_path,
            "export",
            "rep",
            "--format",
            "annotators",
            "--since",
            "2027-01-16",
            "--until",
            "2027-01-16",
            "--db",
            db_url,
        )
    ).stdout
    rows = {r["annotator"]: r for r in csv.DictReader(io.StringIO(sheet))}
    assert (rows[scene.ann_id]["answers"], rows[scene.bob_id]["answers"]) == ("1", "3")
    friday = ok(
        tapmark(
            tmp_path,
            "export",
            "rep",
            "--format",
            "annotators",
            "--until",
            "2027-01-15",
            "--db",
            db_url,
        )
    ).stdout
    rows = {r["annotator"]: r for r in csv.DictReader(io.StringIO(friday))}
    assert (rows[scene.ann_id]["answers"], rows[scene.bob_id]["answers"]) == ("3", "0")
    assert "--format annotators" in failed(
        tapmark(tmp_path, "export", "rep", "--since", "2027-01-16", "--db", db_url), code=2
    )
    assert "not a date" in failed(
        tapmark(
            tmp_path,
            "export",
            "rep",
            "--format",
            "annotators",
            "--since",
            "16.01.2027",
            "--db",
            db_url,
        ),
        code=2,
    )

    out = tmp_path / "rep.json"
    ok(
        tapmark(
            tmp_path, "export", "rep", "--format", "label-studio", "--out", str(out), "--db", db_url
        )
    )
    assert [t["id"] for t in json.loads(out.read_text(encoding="utf-8"))] == [
        "g",
        "i1",
        "i2",
        "i3",
        "i4",
    ]
    other = f"sqlite:///{tmp_path / 'other.db'}"
    (tmp_path / "again.toml").write_text(
        'name = "again"\ntitle = "Again"\ntask = "single_choice"\nlabels = ["pos", "neg", "neu"]\n',
        encoding="utf-8",
    )
    ok(tapmark(tmp_path, "project", "create", str(tmp_path / "again.toml"), "--db", other))
    imported = ok(tapmark(tmp_path, "batch", "import", "again", str(out), "--db", other)).stdout
    assert "5 items, 1 gold (pos 1)" in imported
    items = [
        json.loads(line)
        for line in ok(tapmark(tmp_path, "export", "again", "--db", other)).stdout.splitlines()
    ]
    assert [i["id"] for i in items] == ["g", "i1", "i2", "i3", "i4"]
    assert items[2]["data"]["suggestion"]["label"] == "pos"
    assert "suggestion" not in items[4]["data"] and items[4]["data"] == {"text": "fourth"}


async def test_the_results_sheet_has_one_row_per_item_and_a_bom_for_excel(
    scene: Scene,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    ok(
        tapmark(
            tmp_path,
            "export",
            "rep",
            "--format",
            "results",
            "--bom",
            "--out",
            "rep.csv",
            "--db",
            db_url,
        )
    )
    raw = (tmp_path / "rep.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "id",
        "text",
        "gold",
        "status",
        "result",
        "confidence",
        "answers",
        "votes",
    ]
    by_id = {r["id"]: r for r in rows}
    assert list(by_id) == ["g", "i1", "i2", "i3", "i4"]
    assert (by_id["i2"]["text"], by_id["i2"]["status"], by_id["i2"]["result"]) == (
        "second",
        "done",
        "pos",
    )
    assert (by_id["i2"]["answers"], by_id["i2"]["votes"]) == ("2", "pos 1; neg 1")
    assert (by_id["i4"]["answers"], by_id["i4"]["result"], by_id["i4"]["votes"]) == ("0", "", "")
    assert by_id["g"]["gold"] == "true" and by_id["i1"]["gold"] == "false"
    plain = ok(tapmark(tmp_path, "export", "rep", "--format", "results", "--db", db_url)).stdout
    assert plain.startswith("id,text,") and plain == raw.decode("utf-8-sig")
    [sent] = files(await scene.root.command("export", "results"))
    assert sent.name == "rep-results.csv" and sent.data.decode() == plain


async def test_gold_is_true_or_false_in_every_item_format(
    scene: Scene,  # noqa: F811
    db_url: str,
    tmp_path: Path,
) -> None:
    def run(fmt: str) -> str:
        return ok(tapmark(tmp_path, "export", "rep", "--format", fmt, "--db", db_url)).stdout

    jsonl = {r["id"]: r["gold"] for r in map(json.loads, run("jsonl").splitlines())}
    answers = {r["id"]: r["gold"] for r in csv.DictReader(io.StringIO(run("csv")))}
    sheet = {r["id"]: r["gold"] for r in csv.DictReader(io.StringIO(run("results")))}
    studio = {t["id"]: t["meta"]["gold"] for t in json.loads(run("label-studio"))}
    expected = {"g": True, "i1": False, "i2": False, "i3": False, "i4": False}
    assert jsonl == studio == expected
    assert answers == sheet == {k: str(v).lower() for k, v in expected.items()}
