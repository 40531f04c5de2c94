"""The numbered SQL migrations shipped with the package, per engine."""

from __future__ import annotations

import re
from importlib import resources


def numbered(engine: str) -> list[tuple[int, str]]:
    """``(number, sql)`` for each ``NNNN_name.sql`` in ``storage/migrations/<engine>``, in order."""
    folder = resources.files("storage").joinpath("migrations", engine)
    found = []
    for entry in folder.iterdir():
        match = re.match(r"^(\d{4})_.*\.sql$", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)
