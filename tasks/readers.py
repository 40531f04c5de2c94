"""Batch files: JSONL, CSV and Label Studio JSON (or a ZIP holding one) into items, checked
whole before anything is written, in memory bounded by the upload rather than by its rows.

A region project (bbox, polygon, keypoints) also takes the datasets region tools write: a COCO
JSON file (alone, or in a ZIP with its pictures), Label Studio tasks with regions, or a ZIP
holding a YOLO dataset (``data.yaml`` or ``classes.txt``, ``labels/*.txt``, the pictures) or a
Pascal VOC one (``Annotations/*.xml``, the pictures). Their regions are read as pre-annotations,
or as gold with `regions_as` (Label Studio says which itself), through `tasks.regions.formats`;
such a file is read whole, as it is small beside the pictures it names.

Every problem names the file, the line and the field; a file with any problem yields no items.
Reading streams: `check_batch` reads the file once and keeps only what is small per row (its id
while checking for repeats, the media it names, the gold counts); `CheckedBatch.chunks` reads it
again and yields the items a chunk at a time, for the caller to insert inside one transaction.
Media the rows name (see `tasks.media`) are checked for form here; the files themselves are read,
prepared and stored by `bot.media.importing`, which finds those inside a ZIP through the source's
`Archive`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import posixpath
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from domain.entities import NewItem
from domain.spec import ProjectSpec
from tasks import task_type
from tasks.archive import Archive, ArchiveError
from tasks.base import AnswerError
from tasks.labelstudio import labelstudio_rows
from tasks.media import MEDIA_KINDS, media_problems, media_reference
from tasks.problems import BatchFileError, Problem, Problems, Row
from tasks.regions.formats import Role, read_coco, read_labelstudio, read_voc, read_yolo
from tasks.regions.types import RegionTask
from tasks.values import BatchLimits, value_problems

__all__ = [
    "BatchFileError",
    "BatchLimits",
    "BatchSource",
    "CheckedBatch",
    "MediaRow",
    "Problem",
    "check_batch",
    "open_batch",
    "read_batch",
]

ITEM_KEYS = {"id", "data", "gold", "explanation"}
BATCH_EXTENSIONS = (".jsonl", ".ndjson", ".csv", ".json")
CHUNK_ITEMS = 1000


@dataclass(frozen=True)
class BatchSource:
    """A batch file, opened anew for each pass: the upload itself, or its one batch file inside
    a ZIP (whose other entries are the media the rows name, relative to `folder` first)."""

    name: str
    kind: str
    content: bytes = field(repr=False)
    archive: Archive | None = field(default=None, repr=False)
    entry: zipfile.ZipInfo | None = None
    folder: str = ""
    regions_as: Role = "regions"
    """What the regions of a region dataset are: pre-annotations, or gold."""

    def open(self) -> IO[bytes]:
        if self.archive is not None and self.entry is not None:
            return self.archive.stream(self.entry)
        return io.BytesIO(self.content)

    def files(self) -> dict[str, bytes]:
        """Every entry of the ZIP (a YOLO or VOC dataset is read as a whole)."""
        if self.archive is None:
            return {}
        return {
            name: self.archive.stream(info).read()
            for name, info in self.archive.entries.items()
            if not name.startswith("__MACOSX/")
        }


@dataclass(frozen=True, slots=True)
class MediaRow:
    """A row that names a media file: its line, and the kind and reference it gives."""

    line: int
    kind: str
    ref: str


@dataclass(frozen=True)
class CheckedBatch:
    """A batch file with no problem: how many items, their gold labels, the media they name.
    The items themselves come from `chunks`, which reads the file again."""

    source: BatchSource
    spec: ProjectSpec
    limits: BatchLimits
    count: int
    gold: dict[str, int]
    media_rows: list[MediaRow]
    ids: dict[str, int] = field(repr=False, default_factory=dict)
    """Each item's id and its line."""

    @property
    def name(self) -> str:
        return self.source.name

    def chunks(
        self,
        media: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        size: int = CHUNK_ITEMS,
    ) -> Iterator[list[NewItem]]:
        """The items, `size` at a time; each that names a media file gets ``data.media``
        from `media` (keyed by kind and reference)."""
        chunk: list[NewItem] = []
        for number, item, problems in _items(
            _rows(self.source, self.spec), self.spec, self.limits, None
        ):
            if problems or item is None:
                raise RuntimeError(f"{self.name}: line {number} read differently the second time")
            ref = media_reference(item.data) if media is not None else None
            if media is not None and ref is not None:
                data = {**item.data, "media": media[ref]}
                try:
                    data, gold = task_type(self.spec.task).stored(self.spec, data, item.gold)
                except AnswerError as exc:
                    raise BatchFileError(self.name, [Problem(number, "", str(exc))]) from None
                item = item.model_copy(update={"data": data, "gold": gold})
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def read_batch(
    filename: str, content: bytes, spec: ProjectSpec, limits: BatchLimits | None = None
) -> list[NewItem]:
    """Parse a batch file by its extension and check it against the project: JSONL, CSV,
    Label Studio task JSON (.json), or a ZIP holding one of those (plus media files). All the
    items at once: for files that fit in memory (see `check_batch` for the streaming way)."""
    checked = check_batch(open_batch(filename, content), spec, limits or BatchLimits())
    return [item for chunk in checked.chunks() for item in chunk]


def open_batch(filename: str, content: bytes, regions_as: Role = "regions") -> BatchSource:
    """The batch file an upload is or (for a ZIP) holds, or the region dataset a ZIP holds;
    BatchFileError when it is none of them, or the ZIP is refused (see `tasks.archive`)."""
    lower = filename.lower()
    if not lower.endswith(".zip"):
        return BatchSource(filename, _kind(filename, lower), content, regions_as=regions_as)
    archive, problems = Archive.open(content)
    if archive is None:
        raise BatchFileError(filename, problems)
    names = [
        n
        for n in archive.entries
        if not n.startswith("__MACOSX/") and n.lower().endswith(BATCH_EXTENSIONS)
    ]
    dataset = _dataset_kind(archive.entries)
    if dataset is not None and not names:
        return BatchSource(filename, dataset, content, archive, regions_as=regions_as)
    if len(names) != 1:
        archive.close()
        found = ", ".join(names[:5]) or "none"
        raise BatchFileError(
            filename,
            [
                Problem(
                    0,
                    "",
                    f"a ZIP must hold exactly one batch file (.csv, .jsonl, .json); found {found}",
                )
            ],
        )
    inner = names[0]
    name = f"{filename}:{inner}"
    return BatchSource(
        name,
        _kind(name, inner.lower()),
        content,
        archive,
        archive.entries[inner],
        posixpath.dirname(inner),
        regions_as,
    )


def _dataset_kind(entries: Iterable[str]) -> str | None:
    """ "voc" or "yolo" when a ZIP's entries are laid out as one of those datasets."""
    paths = [p for p in entries if not p.startswith("__MACOSX/")]
    if any(
        posixpath.basename(posixpath.dirname(p)) == "Annotations" and p.endswith(".xml")
        for p in paths
    ):
        return "voc"
    if any(posixpath.basename(p) in ("data.yaml", "classes.txt") for p in paths):
        return "yolo"
    return None


def _kind(filename: str, lower: str) -> str:
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".json"):
        return "json"
    raise BatchFileError(
        filename,
        [Problem(0, "", "unknown batch format: use .jsonl, .csv, Label Studio .json or a .zip")],
    )


def check_batch(source: BatchSource, spec: ProjectSpec, limits: BatchLimits) -> CheckedBatch:
    """Read the file once and check every row; BatchFileError naming the first problems (by
    line and field) and how many there are. Reading stops at the first row over
    `limits.max_items`."""
    problems = Problems()
    gold: Counter[str] = Counter()
    media_rows: list[MediaRow] = []
    count = 0
    seen: dict[str, int] = {}
    try:
        for number, item, row_problems in _items(_rows(source, spec), spec, limits, seen):
            count += 1
            if count > limits.max_items:
                problems.add(
                    Problem(
                        number,
                        "",
                        f"more than {limits.max_items} rows; a batch "
                        f"holds at most {limits.max_items} "
                        "(TAPMARK_BATCH_MAX_ITEMS): split the file",
                    )
                )
                break
            problems.extend(row_problems)
            if item is None:
                continue
            if item.gold is not None:
                gold[item.gold] += 1
            ref = media_reference(item.data)
            if ref is not None:
                media_rows.append(MediaRow(number, *ref))
    except ArchiveError as exc:
        problems.add(Problem(0, "", str(exc)))
    if problems:
        raise BatchFileError.of(source.name, problems)
    if not count:
        raise BatchFileError(source.name, [Problem(0, "", "the file holds no items")])
    return CheckedBatch(source, spec, limits, count, dict(gold), media_rows, seen)


def _rows(source: BatchSource, spec: ProjectSpec) -> Iterator[Row]:
    kind = task_type(spec.task)
    shapes = kind.rules(spec).shapes if isinstance(kind, RegionTask) else ()
    if source.kind == "yolo":
        yield from read_yolo(source.files(), source.regions_as, shapes)
        return
    if source.kind == "voc":
        yield from read_voc(source.files(), source.regions_as, shapes)
        return
    with source.open() as stream:
        if source.kind == "jsonl":
            yield from _jsonl_rows(_lines(stream))
        elif source.kind == "csv":
            yield from _csv_rows(_lines(stream))
        elif not shapes:
            yield from labelstudio_rows(stream)
        else:
            content = stream.read()
            if content.lstrip()[:1] == b"{":
                yield from read_coco(content, source.regions_as, shapes)
            else:
                yield from read_labelstudio(content, shapes)


def _lines(stream: Iterable[bytes]) -> Iterator[tuple[int, str, Problem | None]]:
    """Each line (its end kept), decoded; a line that is not UTF-8 comes with its problem."""
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            problem = Problem(
                number,
                "",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})",
            )
            yield number, raw.decode("utf-8", "replace"), problem


def _jsonl_rows(lines: Iterator[tuple[int, str, Problem | None]]) -> Iterator[Row]:
    for number, line, problem in lines:
        if problem is not None:
            yield number, None, [problem]
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, [Problem(number, "", f"invalid JSON ({exc.msg})")]
            continue
        except RecursionError:
            yield number, None, [Problem(number, "", "invalid JSON (nested too deep)")]
            continue
        except ValueError as exc:  # an integer of more digits than Python reads
            yield number, None, [Problem(number, "", f"invalid JSON ({exc})")]
            continue
        if not isinstance(obj, dict):
            yield number, None, [Problem(number, "", "expected a JSON object")]
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
        yield number, obj, problems


def _csv_rows(lines: Iterator[tuple[int, str, Problem | None]]) -> Iterator[Row]:
    undecoded: list[Problem] = []

    def text() -> Iterator[str]:
        for _, line, problem in lines:
            if problem is not None:
                undecoded.append(problem)
            yield line

    reader = csv.reader(text())
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, None, [Problem(1, "", f"unreadable CSV ({exc})")]
        return
    header = [h.strip() for h in header]
    if "id" not in header:
        yield 1, None, [*undecoded, Problem(1, "id", "the header has no 'id' column")]
        return
    data_fields = [h for h in header if h not in ITEM_KEYS]
    if not data_fields:
        yield 1, None, [Problem(1, "", "the header has no data column (such as 'text')")]
        return
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield reader.line_num, None, [Problem(reader.line_num, "", f"unreadable CSV ({exc})")]
            return
        number = reader.line_num
        if undecoded:
            yield number, None, list(undecoded)
            undecoded.clear()
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            message = f"{len(cells)} cells where the header has {len(header)}"
            yield number, None, [Problem(number, "", message)]
            continue
        record = dict(zip(header, cells, strict=True))
        obj: dict[str, Any] = {
            "id": record["id"],
            "data": {
                k: record[k] for k in data_fields if k not in MEDIA_KINDS or record[k].strip()
            },
        }
        for key in ("gold", "explanation"):
            if record.get(key, "").strip():
                obj[key] = record[key].strip()
        yield number, obj, []
    if undecoded:
        yield undecoded[0].line, None, list(undecoded)


def _items(
    rows: Iterable[Row], spec: ProjectSpec, limits: BatchLimits, seen: dict[str, int] | None
) -> Iterator[tuple[int, NewItem | None, list[Problem]]]:
    """Each row as an item, or what is wrong with it. Ids are checked for repeats against
    `seen` (id to line) when it is given."""
    kind = task_type(spec.task)
    for number, obj, row_problems in rows:
        if obj is None or row_problems:
            yield number, None, row_problems
            continue
        found = value_problems(obj, "", limits.max_text)
        if found:
            yield number, None, [Problem(number, path, message) for path, message in found]
            continue
        raw_id = obj.get("id")
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or not str(raw_id):
            yield number, None, [Problem(number, "id", "missing or not a string")]
            continue
        ext_id = str(raw_id).strip()
        if seen is not None:
            if ext_id in seen:
                yield (
                    number,
                    None,
                    [Problem(number, "id", f"{ext_id!r} repeats line {seen[ext_id]}")],
                )
                continue
            seen[ext_id] = number
        data = obj["data"]
        media = media_problems(data)
        if media:
            yield number, None, [Problem(number, "", p) for p in media]
            continue
        gold = obj.get("gold")
        if gold is not None:
            try:
                gold = kind.parse_gold(spec, data, gold)
            except AnswerError as exc:
                yield number, None, [Problem(number, "gold", str(exc))]
                continue
        explanation = obj.get("explanation")
        if explanation is not None and not isinstance(explanation, str):
            yield number, None, [Problem(number, "explanation", "must be a string")]
            continue
        item_problems = kind.check_item(spec, data)
        if item_problems:
            yield number, None, [Problem(number, "", p) for p in item_problems]
            continue
        yield number, NewItem(ext_id=ext_id, data=data, gold=gold, explanation=explanation), []
