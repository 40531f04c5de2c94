"""Media files on disk, stored by content, and what each platform gave back for them.

`MediaStore` keeps each file once, named by the SHA-256 of its bytes (``ab/abcdef….jpg`` under the
media folder), so the same picture in two batches is one file. Items refer to files by that hash
(see `tasks.media`), and a task card shows one as `Media(kind, path, key=hash)`.

`UploadRefs` remembers, per file and platform account (a Telegram bot, a Slack workspace), the
reference the platform returned for the first upload (a Telegram `file_id`, a Slack file id), so
each file goes up once however many people see it. The database holds them (`media_uploads`);
this process keeps a copy in memory, and one upload of a key at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.chat.actions import Media
from bot.chat.ordering import KeyedLocks
from bot.config import Settings
from storage.contract import Store
from tasks.media import StoredMedia

DEFAULT_FOLDER = "media"
STAGING = ".staging"
"""Where an import keeps its new files (``.staging/<random>/``) until its batch is stored."""


def media_dir(configured: str | None, database_url: str) -> Path:
    """The media folder: the one configured (TAPMARK_MEDIA_DIR), else ``media`` beside a SQLite
    database file, else ``./media``."""
    if configured:
        return Path(configured).expanduser()
    if database_url.startswith("sqlite:///") and not database_url.endswith(":memory:"):
        return Path(database_url.removeprefix("sqlite:///")).expanduser().parent / DEFAULT_FOLDER
    return Path(DEFAULT_FOLDER)


def configured_media(settings: Settings, database_url: str) -> MediaStore:
    """The media store the settings describe, for the database at `database_url`."""
    return MediaStore(media_dir(settings.media_dir, database_url), settings.media_max_side)


class MediaStore:
    """Files by content hash under `root`; pictures imported into it are cut to `max_side`
    pixels on their longest side."""

    def __init__(self, root: str | Path, max_side: int = 1280) -> None:
        self.root = Path(root)
        self.max_side = max_side

    def path(self, sha: str, ext: str) -> Path:
        if len(sha) != 64 or not all(c in "0123456789abcdef" for c in sha):
            raise ValueError(f"not a content hash: {sha!r}")
        return self.root / sha[:2] / (f"{sha}.{ext}" if ext else sha)

    async def put(self, data: bytes, ext: str) -> str:
        """Store the bytes (once); their hash."""
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._write, self.path(sha, ext), data)
        return sha

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def stage(self) -> Staging:
        """A place for the new files of one import (see `Staging`)."""
        return Staging(self)

    def screen_media(self, stored: StoredMedia | None) -> Media | None:
        """What a screen shows for a stored file."""
        if stored is None:
            return None
        return Media(stored.kind, str(self.path(stored.sha, stored.ext)), key=stored.sha)


class Staging:
    """The new files of one import, kept aside until the batch that names them is stored:
    `publish` then moves them into place, `discard` (the batch was refused) deletes them.

    A file already in place is never written nor deleted here, since other items may show it;
    its time is renewed instead, so that `tapmark media prune` leaves it alone while this import
    is under way. Two imports staging the same new file both move it into place: the same
    bytes under the same name, each move atomic."""

    def __init__(self, media: MediaStore) -> None:
        self.media = media
        self.folder = media.root / STAGING / secrets.token_hex(8)
        self._staged: dict[Path, Path] = {}

    async def put(self, data: bytes, ext: str) -> str:
        """Stage the bytes (unless they are in place already); their hash."""
        sha = hashlib.sha256(data).hexdigest()
        await asyncio.to_thread(self._put, self.media.path(sha, ext), data)
        return sha

    def _put(self, final: Path, data: bytes) -> None:
        if final in self._staged:
            return
        try:
            if final.stat().st_size == len(data):
                os.utime(final)
                return
        except FileNotFoundError:
            pass
        staged = self.folder / final.name
        for attempt in range(3):  # another import may remove an empty .staging meanwhile
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                MediaStore._write(staged, data)
                break
            except FileNotFoundError:
                if attempt == 2:
                    raise
        self._staged[final] = staged

    @property
    def staged(self) -> int:
        return len(self._staged)

    async def publish(self) -> None:
        """Move the staged files into place (after the batch's transaction committed)."""
        await asyncio.to_thread(self._publish)

    def _publish(self) -> None:
        for final, staged in self._staged.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        self._staged.clear()
        self._remove()

    async def discard(self) -> None:
        """Delete the staged files: nothing of a refused import stays."""
        self._staged.clear()
        await asyncio.to_thread(self._remove)

    def _remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # only when no other import is staging
            self.folder.parent.rmdir()


class UploadRefs:
    """The platform's reference for each uploaded file, per platform account.

    An adapter sends a file like this::

        ref = await refs.get(key, account)
        if ref is None:
            async with refs.turn(key, account):  # one upload of a file at a time
                ref = await refs.get(key, account)
                if ref is None:
                    ref = ...upload the file, take the reference from the answer...
                    await refs.put(key, account, ref)
        ...send by ref...

    The lock is taken only while a file is not yet known, so sends of a known file to many
    people do not queue behind each other."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock
        self._known: dict[tuple[str, str], str] = {}
        self._locks = KeyedLocks()

    def turn(self, key: str, account: str) -> AbstractAsyncContextManager[None]:
        return self._locks.turn((key, account))

    async def get(self, key: str, account: str) -> str | None:
        ref = self._known.get((key, account))
        if ref is None:
            async with self.store.transaction() as tx:
                ref = await tx.media_upload(key, account)
            if ref is not None:
                self._known[(key, account)] = ref
        return ref

    async def put(self, key: str, account: str, ref: str) -> None:
        async with self.store.transaction() as tx:
            await tx.save_media_upload(key, account, ref, self.clock())
        self._known[(key, account)] = ref

    async def forget(self, key: str, account: str) -> None:
        """Drop a reference the platform no longer takes (the next send uploads again)."""
        self._known.pop((key, account), None)
        async with self.store.transaction() as tx:
            await tx.forget_media_upload(key, account)
