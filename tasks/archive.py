"""An uploaded ZIP, checked whole before any entry is read.

Refused, naming the entry: a name that is absolute or climbs out with ``..`` (even for an entry
nothing reads), an encrypted entry, one packed with a method Python cannot unpack, a name given
twice, more than `MAX_UNPACKED` bytes unpacked in all. The central directory is sized from the
end record before `zipfile` reads it, so a small file that lists a million entries is refused
before it fills the memory. An entry is read with its CRC checked (`ArchiveError` if damaged).
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from typing import IO, Any

from tasks.problems import Problem

MAX_ENTRIES = 50_000
MAX_DIRECTORY = 4 * 1024 * 1024
"""Bytes of central directory (the list of entries) read at most: ~50,000 ordinary names."""
MAX_UNPACKED = 200 * 1024 * 1024
MAX_MEMBER = 50 * 1024 * 1024
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}

_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(ValueError):
    """An entry that cannot be read, with a message fit to show a person."""


def directory_size(content: bytes) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory, from the end record (ZIP64 too); None when
    there is no end record."""
    start = content.rfind(_END, max(0, len(content) - 22 - 65535))
    if start < 0 or len(content) - start < 22:
        return None
    entries, size = struct.unpack("<HL", content[start + 10 : start + 16])
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        locator = start - 20
        if locator >= 0 and content[locator : locator + 4] == _END64_LOCATOR:
            (offset,) = struct.unpack("<Q", content[locator + 8 : locator + 16])
            if content[offset : offset + 4] == _END64:
                entries, size = struct.unpack("<QQ", content[offset + 32 : offset + 48])
    return entries, size


def entry_problem(name: str) -> str | None:
    """Why an entry's name is refused, if it is."""
    path = name.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        return "its name is an absolute path"
    if ".." in path.split("/"):
        return "its name climbs out of the archive with '..'"
    if "\x00" in path:
        return "its name holds a NUL character"
    return None


class Archive:
    """The entries of a checked ZIP, looked up by path."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        self.entries = {i.filename: i for i in archive.infolist() if not i.is_dir()}

    @classmethod
    def open(cls, content: bytes) -> tuple[Archive | None, list[Problem]]:
        """The archive, or the problems that refuse it (as file-level problems)."""
        sized = directory_size(content)
        if sized is None:
            return None, [Problem(0, "", "not a readable ZIP file")]
        entries, size = sized
        if entries > MAX_ENTRIES or size > MAX_DIRECTORY:
            return None, [
                Problem(
                    0,
                    "",
                    f"the ZIP lists {entries} entries ({size} bytes of "
                    f"names); at most {MAX_ENTRIES} are read",
                )
            ]
        try:
            archive = zipfile.ZipFile(io.BytesIO(content))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            return None, [Problem(0, "", "not a readable ZIP file")]
        problems = []
        seen: set[str] = set()
        total = 0
        for info in archive.infolist():
            shown = info.filename.encode("utf-8", "backslashreplace").decode()
            problem = entry_problem(info.filename)
            if problem is None and info.filename in seen:
                problem = "the ZIP holds two entries of this name"
            if problem is None and info.flag_bits & 0x1:
                problem = "it is encrypted; send the ZIP without a password"
            if problem is None and info.compress_type not in METHODS:
                problem = f"it is packed with method {info.compress_type}, which is not read"
            if problem is not None:
                problems.append(Problem(0, "", f"entry {shown!r}: {problem}"))
            seen.add(info.filename)
            total += info.file_size
        if total > MAX_UNPACKED:
            problems.append(
                Problem(
                    0, "", f"the ZIP unpacks to {total >> 20} MB; at most {MAX_UNPACKED >> 20} MB"
                )
            )
        if problems:
            archive.close()
            return None, problems
        return cls(archive), []

    def find(self, path: str, folder: str) -> zipfile.ZipInfo | None:
        """The entry a media path names: relative to `folder` (the batch file's), else to the
        ZIP's root."""
        clean = posixpath.normpath(path.replace("\\", "/").lstrip("/"))
        for candidate in (posixpath.join(folder, clean), clean):
            info = self.entries.get(posixpath.normpath(candidate))
            if info is not None:
                return info
        return None

    def stream(self, info: zipfile.ZipInfo) -> IO[bytes]:
        """The entry's bytes as a stream; reading it raises `ArchiveError` when it is damaged."""
        return io.BufferedReader(_Checked(self.zip.open(info)), 1 << 16)

    def read(self, info: zipfile.ZipInfo, limit: int = MAX_MEMBER) -> bytes:
        """The whole entry, CRC checked; `ArchiveError` when damaged or over `limit` bytes."""
        if info.file_size > limit:
            raise ArchiveError(f"over {limit >> 20} MB")
        with self.stream(info) as stream:
            return stream.read()

    def close(self) -> None:
        self.zip.close()


class _Checked(io.RawIOBase):
    """A ZIP entry whose read errors (bad CRC, a broken deflate stream) are `ArchiveError`."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.inner.read(len(buffer))
        except zipfile.BadZipFile as exc:
            reason = "bad CRC-32" if "CRC" in str(exc) else str(exc)
            raise ArchiveError(f"damaged in the ZIP ({reason})") from None
        except (zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise ArchiveError(f"damaged in the ZIP ({exc or type(exc).__name__})") from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()
