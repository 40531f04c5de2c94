"""Batch files: every problem names its line and field, and a bad file yields nothing."""

from __future__ import annotations

import pytest

from bot.projectfile import ProjectFileError, parse_project
from storage.models import ProjectSpec
from tasks.readers import BatchFileError, read_batch

SPEC = ProjectSpec.model_validate(
    {"name": "t", "title": "T", "task": "single_choice", "labels": ["pos", "neg"]}
)


def test_jsonl_items_with_gold_and_explanation() -> None:
    content = (
        b'{"id": "a", "data": {"text": "one"}}\n\n'
        b'{"id": 7, "data": {"text": "two"}, "gold": "neg", "explanation": "says so"}\n'
    )
    items = read_batch("b.jsonl", content, SPEC)
    assert [i.ext_id for i in items] == ["a", "7"]
    assert items[1].gold == "neg" and items[1].explanation == "says so"


def test_csv_columns_become_data_and_empty_gold_is_not_gold() -> None:
    content = b'id,text,source,gold\nx1,"hello, world",web,\nx2,bye,mail,pos\n'
    items = read_batch("b.csv", content, SPEC)
    assert items[0].data == {"text": "hello, world", "source": "web"}
    assert items[0].gold is None and items[1].gold == "pos"


def test_every_problem_is_reported_with_line_and_field() -> None:
    content = (
        b'{"id": "a", "data": {"text": "one"}}\n'
        b'{"id": "a", "data": {"text": "dup"}}\n'
        b"not json\n"
        b'{"id": "b", "data": "text"}\n'
        b'{"id": "c", "data": {"text": "x"}, "gold": "maybe"}\n'
        b'{"id": "d", "data": {"text": "x"}, "colour": "red"}\n'
    )
    with pytest.raises(BatchFileError) as err:
        read_batch("b.jsonl", content, SPEC)
    message = str(err.value)
    assert "b.jsonl: line 2: id: 'a' repeats line 1" in message
    assert "b.jsonl: line 3: invalid JSON" in message
    assert "b.jsonl: line 4: data: must be an object" in message
    assert "b.jsonl: line 5: gold: 'maybe' is not a label" in message
    assert "b.jsonl: line 6: colour: unknown field" in message


def test_csv_row_with_the_wrong_number_of_cells() -> None:
    with pytest.raises(BatchFileError, match=r"line 3: 3 cells where the header has 2"):
        read_batch("b.csv", b"id,text\n1,ok\n2,too,many\n", SPEC)


def test_unknown_extension_and_non_utf8_and_empty_files() -> None:
    with pytest.raises(BatchFileError, match="unknown batch format"):
        read_batch("b.xlsx", b"", SPEC)
    with pytest.raises(BatchFileError, match="not UTF-8"):
        read_batch("b.csv", b"id,text\n1,\xff\n", SPEC)
    with pytest.raises(BatchFileError, match="holds no items"):
        read_batch("b.jsonl", b"\n\n", SPEC)


def test_project_file_checks_the_task_type_and_labels() -> None:
    ok = parse_project("p.toml", 'name="p"\ntitle="P"\ntask="binary"\nlabels=["yes","no"]\n')
    assert ok.spec.task == "binary"
    with pytest.raises(ProjectFileError, match="exactly 2 labels"):
        parse_project("p.toml", 'name="p"\ntitle="P"\ntask="binary"\nlabels=["a","b","c"]\n')
    with pytest.raises(ProjectFileError, match="labels must be distinct"):
        parse_project("p.toml", 'name="p"\ntitle="P"\ntask="single_choice"\nlabels=["a","a"]\n')
    with pytest.raises(ProjectFileError, match=r"quality\.max_overlap|max_overlap must be"):
        parse_project(
            "p.toml",
            'name="p"\ntitle="P"\ntask="binary"\nlabels=["y","n"]\n'
            "[quality]\nmin_overlap=4\nmax_overlap=2\n",
        )


def test_label_studio_tasks_with_ground_truth_become_gold() -> None:
    import json

    tasks = [
        {"id": 11, "data": {"text": "great"}, "annotations": [
            {"ground_truth": True, "result": [{"from_name": "sentiment", "to_name": "text",
                                               "type": "choices",
                                               "value": {"choices": ["pos"]}}]}]},
        {"id": 12, "data": {"text": "meh"}, "annotations": [], "predictions": []},
    ]
    items = read_batch("export.json", json.dumps(tasks).encode(), SPEC)
    assert [(i.ext_id, i.gold) for i in items] == [("11", "pos"), ("12", None)]
    bad = [{"id": 1, "data": {"text": "x"}}, {"id": 2}]
    with pytest.raises(BatchFileError, match=r"export.json: line 2: data: missing"):
        read_batch("export.json", json.dumps(bad).encode(), SPEC)


def test_a_zip_holding_one_batch_file_and_its_media() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch/items.csv", "id,text,gold\n1,hello,pos\n2,bye,\n")
        archive.writestr("batch/media/cat.png", b"\x89PNG")
    items = read_batch("upload.zip", buffer.getvalue(), SPEC)
    assert [(i.ext_id, i.gold) for i in items] == [("1", "pos"), ("2", None)]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "id,text\n1,x\n")
        archive.writestr("b.jsonl", '{"id": "2", "data": {"text": "y"}}\n')
    with pytest.raises(BatchFileError, match="exactly one batch file"):
        read_batch("two.zip", buffer.getvalue(), SPEC)
    with pytest.raises(BatchFileError, match="not a readable ZIP"):
        read_batch("broken.zip", b"PK nonsense", SPEC)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("items.csv", "id,text,gold\n1,x,maybe\n")
    with pytest.raises(BatchFileError, match=r"bad.zip:items.csv: line 2: gold"):
        read_batch("bad.zip", buffer.getvalue(), SPEC)
