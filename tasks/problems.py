"""What is wrong with a batch file, by line (or task) and field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ERRORS_SHOWN = 10
MAX_KEPT = 100
"""Problems kept for the message; past that only counted, so a file of a million bad rows
costs no more memory than one of a hundred."""


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


class Problems:
    """The problems found so far: the first `MAX_KEPT` of them, and how many there are."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < MAX_KEPT:
            self.kept.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def __bool__(self) -> bool:
        return self.total > 0


class BatchFileError(ValueError):
    """A batch file refused whole. `problems` holds the first ones found (in line order),
    `total` how many there were in all."""

    def __init__(self, filename: str, problems: list[Problem], total: int | None = None) -> None:
        self.filename = filename
        self.problems = sorted(problems, key=lambda p: p.line)
        self.total = max(total or 0, len(problems))
        shown = "\n".join(f"{filename}: {p}" for p in self.problems[:MAX_ERRORS_SHOWN])
        more = self.total - min(len(self.problems), MAX_ERRORS_SHOWN)
        if more > 0:
            shown += f"\n... and {more} more problems"
        super().__init__(shown)

    @classmethod
    def of(cls, filename: str, problems: Problems) -> BatchFileError:
        return cls(filename, problems.kept, problems.total)


Row = tuple[int, dict[str, Any] | None, list[Problem]]
