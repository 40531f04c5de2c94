"""Where the real crowd data sets are: `examples/crowd` in this repository, or the folder named
by ``TAPMARK_DATASETS``. A test that needs one and does not find it is skipped, except under
``CI=true``, where a missing data set fails the run instead of passing it unchecked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def crowd_dir() -> Path:
    override = os.environ.get("TAPMARK_DATASETS")
    base = Path(override) if override else REPO / "examples" / "crowd"
    return base / "canonical" if (base / "canonical").is_dir() else base


def crowd_files(name: str) -> tuple[Path, Path]:
    """The answers and gold CSVs of one data set, or skip (fail under CI) when absent."""
    folder = crowd_dir()
    answers, gold = folder / f"{name}.answers.csv", folder / f"{name}.gold.csv"
    if not (answers.is_file() and gold.is_file()):
        message = f"real data set {name!r} not found under {folder} (set TAPMARK_DATASETS)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return answers, gold
