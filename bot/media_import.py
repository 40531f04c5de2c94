"""Batches with media: read the files the rows name, check and prepare them, store them by
content, and point each item at its file.

Where a row's ``image``, ``audio`` or ``video`` points:

- a path inside the uploaded ZIP (relative to the batch file's folder, else to the ZIP's root);
- a file path, relative to the batch file, for `tapmark batch import` only (a batch sent in
  chat cannot read the bot's disk);
- an https URL, downloaded at import (`Fetcher`).

Every problem names the row and the field, and a batch with any problem stores no item. Files
of a batch that failed stay in the media folder, unreferenced; sent again once fixed, the batch
finds them there (they are stored by content).

Pictures are prepared by `bot.media_images.prepare_image`; sounds and videos are checked by
their first bytes and size and stored as they are. An image_grid item also gets its picture
with the numbered grid drawn over it.
"""

from __future__ import annotations

import asyncio
import os
import wave
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.media import MediaStore
from bot.media_images import MediaError, draw_grid, prepare_image
from storage.models import NewItem, ProjectSpec
from tasks.image_grid import GRID_VARIANT, grid_of
from tasks.media import media_reference
from tasks.problems import BatchFileError, Problem
from tasks.readers import BatchFile, MemberTooLarge, read_batch_file

MAX_FILE = 50 * 1024 * 1024  # what Telegram lets a bot upload
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

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


class Fetcher:
    """Downloads media named by URL at import: https only (plain http only to this machine when
    `allow_loopback_http`, for tests), redirects followed, at most `MAX_FILE` bytes."""

    def __init__(self, timeout: float = 30.0, allow_loopback_http: bool = False) -> None:
        self.timeout = timeout
        self.allow_loopback_http = allow_loopback_http

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme == "https":
            return bool(parts.hostname)
        return self.allow_loopback_http and parts.scheme == "http" and parts.hostname in LOOPBACK

    async def fetch(self, client: httpx.AsyncClient, url: str) -> bytes:
        if not self.allowed(url):
            raise MediaError("only https URLs are downloaded")
        try:
            async with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise MediaError(f"could not download {url}: HTTP {response.status_code}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_FILE:
                    raise MediaError(f"{url} is over {MAX_FILE >> 20} MB")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_FILE:
                        raise MediaError(f"{url} is over {MAX_FILE >> 20} MB")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise MediaError(f"could not download {url} ({type(exc).__name__})") from None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(follow_redirects=True, max_redirects=5, timeout=self.timeout,
                                 trust_env=False)


@dataclass(frozen=True, slots=True)
class Source:
    """Where the batch came from: the folder its file paths are relative to (None in chat)."""

    base_dir: Path | None = None
    fetcher: Fetcher | None = None


async def load_batch(
    filename: str, content: bytes, spec: ProjectSpec, media: MediaStore | None,
    source: Source | None = None,
) -> list[NewItem]:
    """Read and check a batch file; store the media its rows name and point the items at
    them. BatchFileError (naming rows and fields) on any problem."""
    batch = read_batch_file(filename, content, spec)
    wanted = [i for i, item in enumerate(batch.items) if media_reference(item.data)]
    if not wanted:
        return batch.items
    if media is None:
        raise BatchFileError(batch.name, [Problem(
            batch.lines[wanted[0]], "", "this batch names media files, but this bot has no "
            "media folder (TAPMARK_MEDIA_DIR)")])
    return await MediaImport(batch, spec, media, source or Source()).run(wanted)


class MediaImport:
    def __init__(
        self, batch: BatchFile, spec: ProjectSpec, media: MediaStore, source: Source
    ) -> None:
        self.batch, self.spec, self.media, self.source = batch, spec, media, source
        self.fetcher = source.fetcher or Fetcher()
        self.done: dict[tuple[str, str], asyncio.Task[dict[str, Any]]] = {}
        self.cpu = asyncio.Semaphore(os.cpu_count() or 2)
        self.net = asyncio.Semaphore(8)
        self.client: httpx.AsyncClient | None = None

    async def run(self, wanted: list[int]) -> list[NewItem]:
        items = list(self.batch.items)
        problems: list[Problem] = []
        async with self.fetcher.client() as client:
            self.client = client
            jobs = {i: self._stored(*_ref(items[i])) for i in wanted}
            results = await asyncio.gather(*jobs.values(), return_exceptions=True)
        for i, result in zip(jobs, results, strict=True):
            kind, ref = _ref(items[i])
            if isinstance(result, MediaError):
                problems.append(Problem(self.batch.lines[i], f"data.{kind}", f"{ref}: {result}"))
            elif isinstance(result, BaseException):
                raise result
            else:
                items[i] = items[i].model_copy(update={"data": {**items[i].data,
                                                                "media": result}})
        if problems:
            raise BatchFileError(self.batch.name, sorted(problems, key=lambda p: p.line))
        return items

    def _stored(self, kind: str, ref: str) -> asyncio.Task[dict[str, Any]]:
        """One job per distinct file however many rows name it."""
        key = (kind, ref)
        if key not in self.done:
            self.done[key] = asyncio.ensure_future(self._store(kind, ref))
        return self.done[key]

    async def _store(self, kind: str, ref: str) -> dict[str, Any]:
        raw = await self._read(ref)
        info: dict[str, Any] = {"kind": kind, "source": ref}
        if kind == "image":
            async with self.cpu:
                prepared = await asyncio.to_thread(prepare_image, raw, self.media.max_side)
            info.update(ext=prepared.ext, mime=prepared.mime, size=len(prepared.data),
                        width=prepared.width, height=prepared.height)
            info["sha"] = await self.media.put(prepared.data, prepared.ext)
            if self.spec.task == "image_grid":
                rows, cols = grid_of(self.spec)
                async with self.cpu:
                    grid = await asyncio.to_thread(draw_grid, prepared.data, rows, cols)
                info[GRID_VARIANT] = {"sha": await self.media.put(grid, "jpg"), "ext": "jpg",
                                      "mime": "image/jpeg"}
            return info
        ext, mime = sniff(kind, raw)
        info.update(ext=ext, mime=mime, size=len(raw), sha=await self.media.put(raw, ext))
        return info

    async def _read(self, ref: str) -> bytes:
        if "://" in ref:
            assert self.client is not None
            async with self.net:
                return await self.fetcher.fetch(self.client, ref)
        if self.batch.archive is not None:
            try:
                found = self.batch.member(ref)
            except MemberTooLarge as exc:
                raise MediaError(str(exc)) from None
            if found is None:
                raise MediaError("not in the ZIP")
            return found[1]
        if self.source.base_dir is None:
            raise MediaError("a file path works only with `tapmark batch import`; in chat send "
                             "a ZIP holding the batch and its files, or use https URLs")
        return await asyncio.to_thread(_read_file, self.source.base_dir, ref)


def _ref(item: NewItem) -> tuple[str, str]:
    found = media_reference(item.data)
    assert found is not None
    return found


def _read_file(base_dir: Path, ref: str) -> bytes:
    path = Path(ref).expanduser()
    path = path if path.is_absolute() else base_dir / path
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
        if wanted == kind and raw[offset:offset + len(magic)] == magic:
            return ext, mime
    known = "MP3, M4A, OGG, FLAC or WAV" if kind == "audio" else "MP4, MOV or WebM"
    raise MediaError(f"not a {kind} file this bot takes ({known})")
