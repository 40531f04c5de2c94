"""Batch file readers: JSONL and CSV into items, checked whole before anything is written.

Every problem names the file, the line and the field. A file with any problem yields no items.
Media the rows name (see `tasks.media`) are checked for form here; the files themselves are read,
prepared and stored by `bot.media_import`, which finds those inside a ZIP through `BatchFile`.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
import zipfile
from dataclasses import dataclass, field
from typing import Any

from storage.models import NewItem, ProjectSpec
from tasks import task_type
from tasks.base import AnswerError
from tasks.labelstudio import labelstudio_rows
from tasks.media import MEDIA_KINDS, media_problems
from tasks.problems import BatchFileError, Problem, Row

__all__ = ["BatchFile", "BatchFileError", "Problem", "read_batch", "read_batch_file"]

ITEM_KEYS = {"id", "data", "gold", "explanation"}


BATCH_EXTENSIONS = (".jsonl", ".ndjson", ".csv", ".json")
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_MEMBER = 50 * 1024 * 1024


class MemberTooLarge(ValueError):
    """A file in the ZIP is over the size a media file may have."""


@dataclass(frozen=True)
class BatchFile:
    """A checked batch: its items, the line of each, and (for a ZIP) the archive the media
    paths are looked up in, relative to the batch file's folder first, then to the root."""

    name: str
    items: list[NewItem]
    lines: list[int]
    archive: bytes | None = field(default=None, repr=False)
    folder: str = ""

    def member(self, path: str) -> tuple[str, bytes] | None:
        """The ZIP entry a media path names and its bytes (None when there is no such entry).
        MemberTooLarge when it is over `MAX_MEMBER` bytes."""
        if self.archive is None:
            return None
        with zipfile.ZipFile(io.BytesIO(self.archive)) as archive:
            names = {i.filename: i for i in archive.infolist() if not i.is_dir()}
            clean = posixpath.normpath(path.replace("\\", "/").lstrip("/"))
            for candidate in (posixpath.join(self.folder, clean), clean):
                info = names.get(posixpath.normpath(candidate))
                if info is not None:
                    if info.file_size > MAX_MEMBER:
                        raise MemberTooLarge(f"{info.filename} is over {MAX_MEMBER >> 20} MB")
                    return info.filename, archive.read(info)
        return None


def read_batch(filename: str, content: bytes, spec: ProjectSpec) -> list[NewItem]:
    """Parse a batch file by its extension and check it against the project: JSONL, CSV,
    Label Studio task JSON (.json), or a ZIP holding one of those (plus media files)."""
    return read_batch_file(filename, content, spec).items


def read_batch_file(filename: str, content: bytes, spec: ProjectSpec) -> BatchFile:
    """`read_batch`, keeping what media lookups need: each item's line and the ZIP."""
    lower = filename.lower()
    archive: bytes | None = None
    folder = ""
    if lower.endswith(".zip"):
        archive = content
        inner, content = _unzip(filename, content)
        folder = posixpath.dirname(inner)
        filename, lower = f"{filename}:{inner}", inner.lower()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchFileError(filename, [Problem(0, "", f"not UTF-8 text ({exc.reason})")]) from None
    if lower.endswith((".jsonl", ".ndjson")):
        rows = _jsonl_rows(text)
    elif lower.endswith(".csv"):
        rows = _csv_rows(text)
    elif lower.endswith(".json"):
        rows = labelstudio_rows(text)
    else:
        raise BatchFileError(filename, [Problem(
            0, "", "unknown batch format: use .jsonl, .csv, Label Studio .json or a .zip")])
    items, lines, problems = _check(rows, spec)
    if problems:
        raise BatchFileError(filename, problems)
    if not items:
        raise BatchFileError(filename, [Problem(0, "", "the file holds no items")])
    return BatchFile(filename, items, lines, archive, folder)


def _unzip(filename: str, content: bytes) -> tuple[str, bytes]:
    """The one batch file inside a ZIP; the other files are the media it names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise BatchFileError(filename, [Problem(0, "", "not a readable ZIP file")]) from None
    with archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir()
                 and not i.filename.startswith("__MACOSX/")
                 and i.filename.lower().endswith(BATCH_EXTENSIONS)]
        if len(names) != 1:
            found = ", ".join(names) or "none"
            raise BatchFileError(filename, [Problem(
                0, "", f"a ZIP must hold exactly one batch file (.csv, .jsonl, .json); "
                       f"found {found}")])
        info = archive.getinfo(names[0])
        if info.file_size > MAX_UNZIPPED:
            raise BatchFileError(filename, [Problem(0, "", f"{names[0]} is too large")])
        return names[0], archive.read(info)


def _jsonl_rows(text: str) -> list[Row]:
    rows: list[Row] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rows.append((number, None, [Problem(number, "", f"invalid JSON ({exc.msg})")]))
            continue
        if not isinstance(obj, dict):
            rows.append((number, None, [Problem(number, "", "expected a JSON object")]))
            continue
        problems = [
            Problem(number, key, "unknown field (expected id, data, gold, explanation)")
            for key in obj
            if key not in ITEM_KEYS
        ]
        if "data" not in obj:
            problems.append(Problem(number, "data", "missing"))
        elif not isinstance(obj["data"], dict):
            problems.append(Problem(number, "data", "must be an object"))
        rows.append((number, obj, problems))
    return rows


def _csv_rows(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return []
    header = [h.strip() for h in header]
    if "id" not in header:
        return [(1, None, [Problem(1, "id", "the header has no 'id' column")])]
    data_fields = [h for h in header if h not in ITEM_KEYS]
    if not data_fields:
        return [(1, None, [Problem(1, "", "the header has no data column (such as 'text')")])]
    rows: list[Row] = []
    for cells in reader:
        number = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            message = f"{len(cells)} cells where the header has {len(header)}"
            rows.append((number, None, [Problem(number, "", message)]))
            continue
        record = dict(zip(header, cells, strict=True))
        obj: dict[str, Any] = {
            "id": record["id"],
            "data": {k: record[k] for k in data_fields
                     if k not in MEDIA_KINDS or record[k].strip()},
        }
        for key in ("gold", "explanation"):
            if record.get(key, "").strip():
                obj[key] = record[key].strip()
        rows.append((number, obj, []))
    return rows


def _check(
    rows: list[Row], spec: ProjectSpec
) -> tuple[list[NewItem], list[int], list[Problem]]:
    kind = task_type(spec.task)
    seen: dict[str, int] = {}
    items: list[NewItem] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for number, obj, row_problems in rows:
        problems.extend(row_problems)
        if obj is None or row_problems:
            continue
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id):
            problems.append(Problem(number, "id", "missing or not a string"))
            continue
        ext_id = str(raw_id).strip()
        if ext_id in seen:
            problems.append(Problem(number, "id", f"{ext_id!r} repeats line {seen[ext_id]}"))
            continue
        seen[ext_id] = number
        data = obj["data"]
        media = media_problems(data)
        if media:
            problems.extend(Problem(number, "", p) for p in media)
            continue
        gold = obj.get("gold")
        if gold is not None:
            try:
                gold = kind.parse_gold(spec, data, gold)
            except AnswerError as exc:
                problems.append(Problem(number, "gold", str(exc)))
                continue
        explanation = obj.get("explanation")
        if explanation is not None and not isinstance(explanation, str):
            problems.append(Problem(number, "explanation", "must be a string"))
            continue
        item_problems = kind.check_item(spec, data)
        problems.extend(Problem(number, "", p) for p in item_problems)
        if not item_problems:
            items.append(NewItem(ext_id=ext_id, data=data, gold=gold, explanation=explanation))
            lines.append(number)
    return items, lines, problems
