"""Batches with media: read the files the rows name, check and prepare them, store them by
content, and point each item at its file.

Where a row's ``image``, ``audio`` or ``video`` points:

- a path inside the uploaded ZIP (relative to the batch file's folder, else to the ZIP's root);
- a file path, for `tapmark batch import` only (a batch sent in chat cannot read the bot's
  disk), and only inside the folder the command names (`Source.base_dir`);
- an https URL, downloaded at import through the `MediaFetcher` port (the adapters' one keeps
  the rules of which addresses may be fetched).

Every problem names the row and the field, and a batch with any problem stores nothing: its new
files wait in a staging folder (`bot.media.store.Staging`) and are moved into place only once the
batch's transaction has committed (`LoadedBatch.publish`), or deleted (`LoadedBatch.discard`).

Pictures are prepared by `bot.media.images.prepare_image`; sounds and videos are checked by
their first bytes and size and stored as they are. An image_grid item also gets its picture
with the numbered grid drawn over it.
"""

from __future__ import annotations

import asyncio
import os
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from bot.media.fetch import MediaFetcher
from bot.media.images import MediaError, draw_grid, prepare_image
from bot.media.store import MediaStore, Staging
from domain.entities import Batch, NewItem
from domain.spec import ProjectSpec
from storage.contract import Tx
from tasks.archive import ArchiveError
from tasks.image_grid import GRID_VARIANT, grid_of
from tasks.problems import BatchFileError, Problem, Problems
from tasks.readers import CheckedBatch, check_batch, open_batch
from tasks.regions.formats import Role
from tasks.values import BatchLimits

MAX_FILE = 50 * 1024 * 1024  # what Telegram lets a bot upload
FETCH_SECONDS = 30.0
DOWNLOADS = 4  # at once, each up to MAX_FILE in memory

# (kind, first bytes at an offset) -> (extension, MIME type)
SIGNATURES: list[tuple[str, int, bytes, str, str]] = [
    ("audio", 0, b"ID3", "mp3", "audio/mpeg"),
    ("audio", 0, b"\xff\xfb", "mp3", "audio/mpeg"),
    ("audio", 0, b"\xff\xf3", "mp3", "audio/mpeg"),
    ("audio", 0, b"\xff\xf2", "mp3", "audio/mpeg"),
    ("audio", 0, b"OggS", "ogg", "audio/ogg"),
    ("audio", 0, b"fLaC", "flac", "audio/flac"),
    ("audio", 4, b"ftypM4A", "m4a", "audio/mp4"),
    ("video", 4, b"ftypqt", "mov", "video/quicktime"),
    ("video", 4, b"ftyp", "mp4", "video/mp4"),
    ("video", 0, b"\x1a\x45\xdf\xa3", "webm", "video/webm"),
]


@dataclass(frozen=True, slots=True)
class Source:
    """Where the batch came from: the folder local file paths must stay inside (None: no local
    paths, as in chat), and how URLs are downloaded (None: they are not)."""

    base_dir: Path | None = None
    fetcher: MediaFetcher | None = None
    fetch_seconds: float = FETCH_SECONDS


@dataclass
class LoadedBatch:
    """A checked batch with its media prepared and staged. Its items come from `chunks`; once
    the batch is stored, `publish` puts its new media files in place, else `discard`."""

    checked: CheckedBatch
    media: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    staging: Staging | None = None

    @property
    def count(self) -> int:
        return self.checked.count

    @property
    def gold(self) -> dict[str, int]:
        return self.checked.gold

    def chunks(self) -> Iterator[list[NewItem]]:
        return self.checked.chunks(self.media if self.checked.media_rows else None)

    async def check_ids(self, tx: Tx, project_id: int) -> None:
        """BatchFileError naming the rows whose ids the project has already."""
        ids = self.checked.ids
        taken = await tx.taken_ids(project_id, list(ids))
        if taken:
            problems = Problems()
            for ext_id in sorted(taken, key=ids.__getitem__):
                problems.add(Problem(ids[ext_id], "id", f"{ext_id!r} is already in the project"))
            raise BatchFileError.of(self.checked.name, problems)

    async def add_to(self, tx: Tx, batch: Batch, n_target: int) -> None:
        """Insert the items into `batch`, a chunk at a time (the file is parsed in a worker
        thread, so the event loop keeps serving others)."""
        chunks = self.chunks()
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            await tx.add_items(batch.id, chunk, n_target)

    async def publish(self) -> None:
        if self.staging is not None:
            await self.staging.publish()

    async def discard(self) -> None:
        if self.staging is not None:
            await self.staging.discard()


async def load_batch(
    filename: str,
    content: bytes,
    spec: ProjectSpec,
    media: MediaStore | None,
    source: Source | None = None,
    limits: BatchLimits | None = None,
    regions_as: Role = "regions",
) -> LoadedBatch:
    """Read and check a batch file; prepare and stage the media its rows name. BatchFileError
    (naming rows and fields) on any problem, with nothing left behind. `regions_as`: what the
    regions of a region dataset are (see `tasks.readers`)."""
    checked = await asyncio.to_thread(
        _check, filename, content, spec, limits or BatchLimits(), regions_as
    )
    if not checked.media_rows:
        return LoadedBatch(checked)
    if media is None:
        raise BatchFileError(
            checked.name,
            [
                Problem(
                    checked.media_rows[0].line,
                    "",
                    "this batch names media files, but this bot has "
                    "no media folder (TAPMARK_MEDIA_DIR)",
                )
            ],
        )
    staging = media.stage()
    try:
        found = await MediaImport(checked, spec, media, staging, source or Source()).run()
    except BaseException:
        await staging.discard()
        raise
    return LoadedBatch(checked, found, staging)


def _check(
    filename: str, content: bytes, spec: ProjectSpec, limits: BatchLimits, regions_as: Role
) -> CheckedBatch:
    return check_batch(open_batch(filename, content, regions_as), spec, limits)


class MediaImport:
    def __init__(
        self,
        batch: CheckedBatch,
        spec: ProjectSpec,
        media: MediaStore,
        staging: Staging,
        source: Source,
    ) -> None:
        self.batch, self.spec, self.media, self.source = batch, spec, media, source
        self.staging = staging
        self.cpu = asyncio.Semaphore(os.cpu_count() or 2)
        self.net = asyncio.Semaphore(DOWNLOADS)

    async def run(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The stored file of each distinct (kind, reference), however many rows name it."""
        wanted = list(dict.fromkeys((row.kind, row.ref) for row in self.batch.media_rows))
        results = await asyncio.gather(
            *(self._store(*key) for key in wanted), return_exceptions=True
        )
        found: dict[tuple[str, str], dict[str, Any]] = {}
        failed: dict[tuple[str, str], MediaError] = {}
        for key, result in zip(wanted, results, strict=True):
            if isinstance(result, MediaError):
                failed[key] = result
            elif isinstance(result, BaseException):
                raise result
            else:
                found[key] = result
        if failed:
            problems = Problems()
            for row in self.batch.media_rows:
                error = failed.get((row.kind, row.ref))
                if error is not None:
                    problems.add(Problem(row.line, f"data.{row.kind}", f"{row.ref}: {error}"))
            raise BatchFileError.of(self.batch.name, problems)
        return found

    async def _store(self, kind: str, ref: str) -> dict[str, Any]:
        raw = await self._read(ref)
        info: dict[str, Any] = {"kind": kind, "source": ref}
        if kind == "image":
            async with self.cpu:
                prepared = await asyncio.to_thread(prepare_image, raw, self.media.max_side)
            del raw
            info.update(
                ext=prepared.ext,
                mime=prepared.mime,
                size=len(prepared.data),
                width=prepared.width,
                height=prepared.height,
            )
            info["sha"] = await self.staging.put(prepared.data, prepared.ext)
            if self.spec.task == "image_grid":
                rows, cols = grid_of(self.spec)
                async with self.cpu:
                    grid = await asyncio.to_thread(draw_grid, prepared.data, rows, cols)
                info[GRID_VARIANT] = {
                    "sha": await self.staging.put(grid, "jpg"),
                    "ext": "jpg",
                    "mime": "image/jpeg",
                }
            return info
        ext, mime = sniff(kind, raw)
        info.update(ext=ext, mime=mime, size=len(raw), sha=await self.staging.put(raw, ext))
        return info

    async def _read(self, ref: str) -> bytes:
        if "://" in ref:
            if not ref.lower().startswith(("https://", "http://")):
                raise MediaError("only https URLs are downloaded")
            if self.source.fetcher is None:
                raise MediaError("this bot downloads no URLs; put the file in the ZIP")
            async with self.net:
                return await self.source.fetcher.fetch(
                    ref, max_bytes=MAX_FILE, seconds=self.source.fetch_seconds
                )
        archive = self.batch.source.archive
        if archive is not None:
            info = archive.find(ref, self.batch.source.folder)
            if info is None:
                raise MediaError("not in the ZIP")
            try:
                async with self.cpu:
                    return await asyncio.to_thread(archive.read, info, MAX_FILE)
            except ArchiveError as exc:
                raise MediaError(str(exc)) from None
        if self.source.base_dir is None:
            raise MediaError(
                "a file path works only with `tapmark batch import`; in chat send "
                "a ZIP holding the batch and its files, or use https URLs"
            )
        return await asyncio.to_thread(_read_file, self.source.base_dir, ref)


def _read_file(base_dir: Path, ref: str) -> bytes:
    """A local file, which must be inside `base_dir` (symbolic links resolved)."""
    root = base_dir.resolve()
    path = (root / Path(ref).expanduser()).resolve()
    if not path.is_relative_to(root):
        raise MediaError(f"outside the folder local files are read from ({root}; see --files)")
    try:
        if path.stat().st_size > MAX_FILE:
            raise MediaError(f"over {MAX_FILE >> 20} MB")
        return path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"no such file ({path})") from None
    except OSError as exc:
        raise MediaError(f"cannot read {path} ({exc.strerror})") from None


def sniff(kind: str, raw: bytes) -> tuple[str, str]:
    """(extension, MIME type) of a sound or a video, from its first bytes; MediaError when it
    is not one the chat apps play or is empty, broken or too big."""
    if not raw:
        raise MediaError("the file is empty")
    if len(raw) > MAX_FILE:
        raise MediaError(f"over {MAX_FILE >> 20} MB")
    if kind == "audio" and raw[:4] == b"RIFF" and raw[8:12] == b"WAVE":
        try:
            with wave.open(BytesIO(raw)) as sound:
                if sound.getnframes() <= 0:
                    raise MediaError("a WAV file without sound")
        except (wave.Error, EOFError) as exc:
            raise MediaError(f"a broken WAV file ({exc})") from None
        return "wav", "audio/wav"
    for wanted, offset, magic, ext, mime in SIGNATURES:
        if wanted == kind and raw[offset : offset + len(magic)] == magic:
            return ext, mime
    known = "MP3, M4A, OGG, FLAC or WAV" if kind == "audio" else "MP4, MOV or WebM"
    raise MediaError(f"not a {kind} file this bot takes ({known})")
