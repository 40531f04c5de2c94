"""Exports: one record per item with its answers under pseudonymous annotator ids.

JSONL: ``{"id", "data", "gold": bool, "status", "result": {"label", "confidence", "method"} or
null, "answers": [{"annotator", "label", "time_ms", "at"}]}``; `at` is ISO 8601 in UTC.
CSV: one row per answer (items without answers get one row with empty answer fields); `gold` is
``true`` or ``false``, as in every format; text that a spreadsheet would take for a formula
(starting with =, +, -, @) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bot.exports.rich import typed_record
from storage.contract import Tx
from storage.rows import ExportRow

CSV_COLUMNS = [
    "id",
    "gold",
    "status",
    "result",
    "confidence",
    "method",
    "annotator",
    "label",
    "time_ms",
    "at",
    "data",
]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cells(cells: list[Any]) -> list[Any]:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    return [f"'{c}" if isinstance(c, str) and c.startswith(FORMULA_START) else c for c in cells]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def record(row: ExportRow) -> dict[str, Any]:
    result = None
    if row.result is not None:
        result = {
            "label": row.result.label,
            "confidence": round(row.result.confidence, 4),
            "method": row.result.method,
        }
    return {
        "id": row.item.ext_id,
        "data": row.item.data,
        "gold": row.item.gold is not None,
        "status": row.item.status,
        "result": result,
        "answers": [
            {
                "annotator": a.annotator,
                "label": a.label,
                "time_ms": a.time_ms,
                "at": iso(a.at),
                "excluded": a.excluded,
            }
            for a in row.answers
        ],
    }


async def export_jsonl(tx: Tx, project_id: int) -> AsyncIterator[str]:
    """One record a line; task types beyond single_choice and binary add their answers' values
    and a summary (see `bot.exports.rich`)."""
    spec = (await tx.project(project_id)).spec
    async for row in tx.export_rows(project_id):
        yield json.dumps(typed_record(spec, record(row), row), ensure_ascii=False) + "\n"


async def export_csv(tx: Tx, project_id: int) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    async for row in tx.export_rows(project_id):
        rec = record(row)
        res = rec["result"] or {}
        base = [
            rec["id"],
            "true" if rec["gold"] else "false",
            rec["status"],
            res.get("label", ""),
            res.get("confidence", ""),
            res.get("method", ""),
        ]
        data = json.dumps(rec["data"], ensure_ascii=False)
        for a in rec["answers"] or [None]:
            if a is None:
                writer.writerow(safe_cells([*base, "", "", "", "", data]))
            else:
                writer.writerow(
                    safe_cells([*base, a["annotator"], a["label"], a["time_ms"], a["at"], data])
                )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
