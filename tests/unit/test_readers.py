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
