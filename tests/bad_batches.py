"""Bad batch files, each with the words its refusal must hold: the same table goes through
`tapmark batch import` and through an upload in chat.

The project they are for is `PROJECT` (pictures of cats and dogs). Every file that names media
also names `KEEP`, a picture an earlier batch stored (a refused import must not delete it), and
a new picture (which a refused import must not leave behind)."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from typing import Any

from tests.media_samples import jpeg, zip_of

PROJECT = """name = "pics"
title = "Pictures"
task = "single_choice"
labels = ["cat", "dog"]
instructions = "Look at it."
[quality]
min_overlap = 1
max_overlap = 1
gold_rate = 0
"""
MAX_ITEMS = 5
"""The row cap the tests set (TAPMARK_BATCH_MAX_ITEMS, `BatchLimits.max_items`)."""
KEEP = jpeg(60, 40, seed=1)
NEW = jpeg(70, 50, seed=2)


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def good_batch() -> bytes:
    """The batch stored first: one picture, `KEEP`."""
    return zip_of(
        {"first.jsonl": jsonl([{"id": "keep", "data": {"image": "keep.jpg"}}]), "keep.jpg": KEEP}
    )


def stored_zip(files: dict[str, bytes]) -> bytes:
    """A ZIP whose entries are stored as they are (not deflated), so a byte can be changed."""
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def damaged(archive: bytes, old: bytes, new: bytes) -> bytes:
    """The ZIP with `old` (in one entry's stored bytes) replaced: its CRC no longer matches."""
    assert len(old) == len(new) and archive.count(old) == 1
    return archive.replace(old, new)


def with_media(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": "k", "data": {"image": "keep.jpg"}},
        {"id": "n", "data": {"image": "new.jpg"}},
        *rows,
    ]


def media_zip(rows: list[dict[str, Any]], extra: dict[str, bytes] | None = None) -> bytes:
    return zip_of(
        {"items.jsonl": jsonl(with_media(rows)), "keep.jpg": KEEP, "new.jpg": NEW, **(extra or {})}
    )


@dataclass(frozen=True)
class Bad:
    name: str
    content: bytes
    expect: str

    def __str__(self) -> str:
        return self.name


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _bad_files() -> list[Bad]:
    picture = jpeg(50, 50, seed=3) + b"<one of a kind>"
    crc_pic = stored_zip(
        {
            "items.jsonl": jsonl(with_media([{"id": "c", "data": {"image": "pic.jpg"}}])),
            "keep.jpg": KEEP,
            "new.jpg": NEW,
            "pic.jpg": picture,
        }
    )
    crc_pic = damaged(crc_pic, b"<one of a kind>", b"<one of a kine>")
    crc_items = stored_zip({"items.jsonl": jsonl([{"id": "a", "data": {"text": "a cat"}}])})
    deep_row = '{"id": "d", "data": {"text": "x", "more": ' + _deep(5000) + "}}\n"
    return [
        Bad(
            "absolute.zip",
            media_zip([], {"/etc/cron.d/evil.png": b"x"}),
            "entry '/etc/cron.d/evil.png': its name is an absolute path",
        ),
        Bad(
            "climbs.zip",
            media_zip([], {"pics/../../evil.png": b"x"}),
            "entry 'pics/../../evil.png': its name climbs out of the archive with '..'",
        ),
        Bad("crc.zip", damaged(crc_items, b"a cat", b"a dog"), "damaged in the ZIP (bad CRC-32)"),
        Bad(
            "crc-picture.zip",
            crc_pic,
            "line 3: data.image: pic.jpg: damaged in the ZIP (bad CRC-32)",
        ),
        Bad(
            "deep.jsonl",
            (jsonl([{"id": "a", "data": {"text": "ok"}}]).decode() + deep_row).encode(),
            "line 2: invalid JSON (nested too deep)",
        ),
        Bad(
            "deep.json",
            ('[{"id": 1, "data": {"text": "x", "more": ' + _deep(5000) + "}}]").encode(),
            "line 1: invalid JSON (nested too deep)",
        ),
        Bad(
            "nested.jsonl",
            jsonl([{"id": "a", "data": {"text": "x", "more": json.loads(_deep(40))}}]),
            "line 1: data.more[0]: nested deeper than 32 levels",
        ),
        Bad(
            "surrogate.jsonl",
            b'{"id": "a", "data": {"text": "half \\ud800 a pair"}}\n',
            "line 1: data.text: holds a lone surrogate U+D800",
        ),
        Bad("nul.csv", b"id,text\n1,fine\n2,a\x00b\n", "line 3: data.text: holds a NUL character"),
        Bad(
            "control.jsonl",
            b'{"id": "a", "data": {"text": "ring \\u0007 bell"}}\n',
            "line 1: data.text: holds the control character U+0007",
        ),
        Bad("latin1.csv", b"id,text\n1,ok\n2,caf\xe9\n", "line 3: not UTF-8 text"),
        Bad(
            "long.jsonl",
            jsonl([{"id": "a", "data": {"text": "word " * 1000}}]),
            "line 1: data.text: 5000 characters, over the 4000",
        ),
        Bad(
            "many.jsonl",
            jsonl([{"id": str(i), "data": {"text": f"row {i}"}} for i in range(MAX_ITEMS + 3)]),
            f"line {MAX_ITEMS + 1}: more than {MAX_ITEMS} rows",
        ),
        Bad(
            "nan.jsonl",
            b'{"id": "a", "data": {"text": "x", "score": NaN}}\n',
            "line 1: data.score: nan is not a number",
        ),
        Bad(
            "loopback.zip",
            media_zip([{"id": "u", "data": {"image": "https://127.0.0.1:9/a.jpg"}}]),
            "line 3: data.image: https://127.0.0.1:9/a.jpg: refused: 127.0.0.1 is a loopback "
            "address",
        ),
        Bad(
            "metadata.zip",
            media_zip([{"id": "u", "data": {"image": "https://169.254.169.254/latest/x.jpg"}}]),
            "refused: 169.254.169.254 is a cloud metadata address",
        ),
        Bad(
            "localhost.zip",
            media_zip([{"id": "u", "data": {"image": "https://localhost:9/x"}}]),
            "refused: localhost is a loopback address",
        ),
        Bad(
            "plain-http.zip",
            media_zip([{"id": "u", "data": {"image": "http://example.org/x"}}]),
            "only https URLs are downloaded",
        ),
        Bad(
            "taken.zip",
            media_zip([{"id": "keep", "data": {"text": "an id batch 1 has"}}]),
            "line 3: id: 'keep' is already in the project",
        ),
    ]


BAD_FILES = _bad_files()
