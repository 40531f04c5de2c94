"""What is wrong with a batch file, by line (or task) and field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ERRORS_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if not self.field:
            return f"{where}: {self.message}"
        return f"{where}: {self.field}: {self.message}"


class BatchFileError(ValueError):
    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        shown = "\n".join(f"{filename}: {p}" for p in problems[:MAX_ERRORS_SHOWN])
        more = len(problems) - MAX_ERRORS_SHOWN
        if more > 0:
            shown += f"\n... and {more} more problems"
        super().__init__(shown)


Row = tuple[int, dict[str, Any] | None, list[Problem]]
