"""Batch files: every problem names its line and field, and a bad file yields nothing."""

from __future__ import annotations

import io
import zipfile

import pytest

from bot.managing.projectfile import ProjectFileError, parse_project
from domain.spec import ProjectSpec
from tasks.archive import MAX_ENTRIES
from tasks.labelstudio import CHUNK
from tasks.problems import MAX_KEPT
from tasks.readers import BatchFileError, read_batch
from tasks.values import BatchLimits

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
        {
            "id": 11,
            "data": {"text": "great"},
            "annotations": [
                {
                    "ground_truth": True,
                    "result": [
                        {
                            "from_name": "sentiment",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["pos"]},
                        }
                    ],
                }
            ],
        },
        {"id": 12, "data": {"text": "meh"}, "annotations": [], "predictions": []},
    ]
    items = read_batch("export.json", json.dumps(tasks).encode(), SPEC)
    assert [(i.ext_id, i.gold) for i in items] == [("11", "pos"), ("12", None)]
    bad = [{"id": 1, "data": {"text": "x"}}, {"id": 2}]
    with pytest.raises(BatchFileError, match=r"export.json: line 2: data: missing"):
        read_batch("export.json", json.dumps(bad).encode(), SPEC)


def test_a_zip_holding_one_batch_file_and_its_media() -> None:
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


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ROW = b'{"id": "1", "data": {"text": "x"}}\n'


def test_a_zip_entry_that_leaves_the_archive_is_refused_even_unread() -> None:
    for bad in ("/abs.png", "a/../../up.png", "..\\win.png", "C:/Windows/x.png"):
        with pytest.raises(BatchFileError) as err:
            read_batch("up.zip", zipped({"b.jsonl": ROW, bad: b"x"}), SPEC)
        assert f"up.zip: file: entry {bad!r}: its name" in str(err.value), str(err.value)
    assert read_batch("ok.zip", zipped({"b.jsonl": ROW, "a/./b..c.png": b"x"}), SPEC)


def test_encrypted_repeated_and_oversized_zips_are_refused() -> None:
    plain = bytearray(zipped({"b.jsonl": ROW, "secret.png": b"x"}))
    central = plain.index(b"PK\x01\x02", plain.index(b"PK\x01\x02") + 4)
    assert plain[central + 46 : central + 56] == b"secret.png"
    plain[central + 8] |= 0x1  # the entry's flags: encrypted
    with pytest.raises(BatchFileError, match=r"entry 'secret\.png': it is encrypted"):
        read_batch("s.zip", bytes(plain), SPEC)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, pytest.warns(UserWarning):
        archive.writestr("b.jsonl", ROW)
        archive.writestr("b.jsonl", ROW)
    with pytest.raises(BatchFileError, match="two entries of this name"):
        read_batch("twice.zip", buffer.getvalue(), SPEC)
    bomb = zipped({"b.jsonl": ROW, "zeros.bin": bytes(201 << 20)})
    assert len(bomb) < 1 << 20
    with pytest.raises(BatchFileError, match="the ZIP unpacks to 201 MB; at most 200 MB"):
        read_batch("bomb.zip", bomb, SPEC)


def test_a_zip_listing_too_many_entries_is_refused_before_they_are_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("b.jsonl", ROW)
        for i in range(MAX_ENTRIES):
            archive.writestr(str(i), b"")
    with pytest.raises(BatchFileError, match=f"lists {MAX_ENTRIES + 1} entries"):
        read_batch("many.zip", buffer.getvalue(), SPEC)


def test_a_damaged_batch_file_in_a_zip_is_refused() -> None:
    content = zipped({"b.jsonl": ROW}, zipfile.ZIP_STORED)
    with pytest.raises(
        BatchFileError,
        match=r"crc.zip:b.jsonl: file: damaged in the ZIP "
        r"\(bad CRC-32\)",
    ):
        read_batch("crc.zip", content.replace(b'"x"', b'"y"'), SPEC)
    deflated = zipped({"b.jsonl": ROW * 50})
    start = deflated.index(b"b.jsonl") + len("b.jsonl")
    broken = deflated[: start + 5] + bytes(20) + deflated[start + 25 :]
    with pytest.raises(BatchFileError, match="damaged in the ZIP"):
        read_batch("broken.zip", broken, SPEC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"a\\u0000b"', "data.text: holds a NUL character (at character 2)"),
        ('"\\udc00"', "data.text: holds a lone surrogate U+DC00"),
        (
            '"tab\\tand\\nnew line are fine \\u001b[31m"',
            "data.text: holds the control character U+001B",
        ),
        ('"\\u0085"', "data.text: holds the control character U+0085"),
    ],
)
def test_text_that_no_database_or_chat_takes_is_named(text: str, message: str) -> None:
    row = '{"id": "1", "data": {"text": ' + text + "}}\n"
    with pytest.raises(BatchFileError) as err:
        read_batch("t.jsonl", row.encode(), SPEC)
    assert f"t.jsonl: line 1: {message}" in str(err.value), str(err.value)


def test_keys_ids_gold_and_explanations_are_checked_too() -> None:
    rows = (
        b'{"id": "a\\u0000", "data": {"text": "x"}}\n'
        b'{"id": "b", "data": {"te\\u0007xt": "x"}}\n'
        b'{"id": "c", "data": {"text": "x"}, "gold": "pos", "explanation": "\\ud800"}\n'
        b'{"id": "d", "data": {"text": "x", "n": 1' + b"0" * 5000 + b"}}\n"
    )
    with pytest.raises(BatchFileError) as err:
        read_batch("k.jsonl", rows, SPEC)
    message = str(err.value)
    assert "line 1: id: holds a NUL character" in message
    assert "line 2: data: a key holds the control character U+0007" in message
    assert "line 3: explanation: holds a lone surrogate U+D800" in message
    assert "line 4: invalid JSON (Exceeds the limit" in message


def test_text_over_the_cap_names_the_row_and_the_cap_is_a_setting() -> None:
    rows = (
        b'{"id": "1", "data": {"text": "short"}}\n'
        b'{"id": "2", "data": {"text": "' + b"y" * 101 + b'"}}\n'
    )
    with pytest.raises(
        BatchFileError,
        match=r"line 2: data.text: 101 characters, over the "
        r"100 a task may show",
    ):
        read_batch("t.jsonl", rows, SPEC, BatchLimits(max_text=100))
    assert len(read_batch("t.jsonl", rows, SPEC, BatchLimits(max_text=101))) == 2


def test_rows_over_the_cap_stop_the_reading() -> None:
    rows = b"".join(b'{"id": "%d", "data": {"text": "x"}}\n' % i for i in range(10))
    assert len(read_batch("r.jsonl", rows, SPEC, BatchLimits(max_items=10))) == 10
    with pytest.raises(BatchFileError) as err:
        read_batch("r.jsonl", rows + b"not json\n", SPEC, BatchLimits(max_items=9))
    assert str(err.value) == (
        "r.jsonl: line 10: more than 9 rows; a batch holds at most 9 "
        "(TAPMARK_BATCH_MAX_ITEMS): split the file"
    )


def test_a_million_bad_rows_keep_a_hundred_problems_and_count_the_rest() -> None:
    with pytest.raises(BatchFileError) as err:
        read_batch("bad.jsonl", b"nope\n" * 100_000, SPEC)
    assert err.value.total == 100_000 and len(err.value.problems) == MAX_KEPT
    assert str(err.value).endswith("... and 99990 more problems")


def test_invalid_utf8_is_named_by_line_in_every_format() -> None:
    with pytest.raises(BatchFileError, match=r"j.jsonl: line 2: not UTF-8 text \(byte 0xff"):
        read_batch("j.jsonl", ROW + b'{"id": "2", "data": {"text": "\xff"}}\n', SPEC)
    with pytest.raises(BatchFileError, match=r"c.csv: line 3: not UTF-8 text"):
        read_batch("c.csv", b"id,text\n1,ok\n2,\xc3\x28\n3,ok\n", SPEC)
    tasks = b'[{"id": 1, "data": {"text": "ok"}},\n {"id": 2, "data": {"text": "\xff"}}]'
    with pytest.raises(BatchFileError, match=r"l.json: line 2: not UTF-8 text"):
        read_batch("l.json", tasks, SPEC)


def test_a_csv_cell_over_the_csv_limit_is_a_problem_not_a_crash() -> None:
    with pytest.raises(BatchFileError, match=r"line 2: unreadable CSV \(field larger"):
        read_batch("c.csv", b"id,text\n1," + b"z" * 200_000 + b"\n", SPEC)


def test_label_studio_tasks_are_read_one_by_one_across_chunks() -> None:
    import json

    tasks = [{"id": i, "data": {"text": f"task {i} " + "w" * (i % 700)}} for i in range(3000)]
    content = json.dumps(tasks, indent=1).encode()
    assert len(content) > 10 * CHUNK
    items = read_batch("big.json", content, SPEC)
    assert [i.ext_id for i in items] == [str(i) for i in range(3000)]
    assert items[2999].data["text"] == "task 2999 " + "w" * (2999 % 700)
    middle = content.index(b"{", len(content) // 2)
    cut = content[:middle] + b"!" + content[middle:]
    with pytest.raises(BatchFileError, match="invalid JSON") as err:
        read_batch("cut.json", cut, SPEC)
    assert err.value.problems[0].line == content[:middle].count(b"\n") + 1
    single = read_batch("one.json", b'{"id": "x", "data": {"text": "alone"}}', SPEC)
    assert [i.ext_id for i in single] == ["x"]
    with pytest.raises(BatchFileError, match="text after the list"):
        read_batch("two.json", b'[{"id": 1, "data": {"text": "a"}}] []', SPEC)
