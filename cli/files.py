"""Files the command line writes, replaced whole or not at all.

Each goes to a temporary file beside its target and is renamed over it once everything is
written, so a refusal, an error half-way or Ctrl-C leaves the old file exactly as it was (and no
temporary file behind). Folders the target needs are made, and taken away again when nothing was
written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


class OutputError(ValueError):
    """A file that cannot be written, as one line naming it."""


def _cannot(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write ({exc.strerror or exc})")


def _make_folders(folder: Path) -> list[Path]:
    """Make `folder` and any missing parents; the ones made, outermost first."""
    missing: list[Path] = []
    while not folder.exists():
        missing.insert(0, folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for made in missing:
        made.mkdir()
    return missing


def _mode(target: Path) -> int:
    """The permissions the file gets: the old file's, else what a new file gets here."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class _Staged:
    """Temporary files beside their targets, renamed over them by `commit`."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []
        self.folders: list[Path] = []

    def stage(self, target: Path) -> tuple[int, Path]:
        try:
            self.folders += _make_folders(target.parent)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        except OSError as exc:
            raise _cannot(target, exc) from None
        self.pending.append((Path(tmp), target))
        return fd, Path(tmp)

    def commit(self) -> None:
        try:
            for tmp, target in self.pending:
                os.chmod(tmp, _mode(target))
            for tmp, target in self.pending:
                os.replace(tmp, target)
        except OSError as exc:
            raise _cannot(self.pending[-1][1], exc) from None
        self.pending.clear()

    def discard(self) -> None:
        for tmp, _ in self.pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if not any(target.exists() for _, target in self.pending):
            for folder in reversed(self.folders):
                with contextlib.suppress(OSError):
                    folder.rmdir()


@contextlib.contextmanager
def replace_text(path: str | Path, bom: bool = False) -> Iterator[TextIO]:
    """Write the text of `path` (UTF-8, newlines as given; `bom`: with a byte order mark, for
    spreadsheets) into a temporary file that replaces `path` when the block ends without an
    exception. OutputError when it cannot be written."""
    staged = _Staged()
    target = Path(path)
    fd, _ = staged.stage(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
            try:
                yield out
            except OSError as exc:
                raise _cannot(target, exc) from None
        staged.commit()
    except BaseException:
        staged.discard()
        raise


def replace_files(files: dict[Path, bytes]) -> None:
    """Write several files, each through a temporary file, and rename them all at the end:
    when one cannot be written, none of them changes."""
    staged = _Staged()
    try:
        for target, data in files.items():
            fd, _ = staged.stage(target)
            with os.fdopen(fd, "wb") as out:
                try:
                    out.write(data)
                except OSError as exc:
                    raise _cannot(target, exc) from None
        staged.commit()
    except BaseException:
        staged.discard()
        raise
