"""The results sheet (``--format results``): one CSV row per item, for a spreadsheet.

Columns: ``id``, the item's data fields (one column each, in the order they first appear; a
field named like one of the fixed columns becomes ``data.NAME``; a nested value is written as
JSON), then ``gold`` (``true`` or ``false``), ``status``, ``result``, ``confidence``,
``answers`` (how many answers the result counts) and ``votes`` (those answers by value, such as
``positive 2; negative 1``). Cells a spreadsheet would run as a formula get a leading
apostrophe, as in every CSV export.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from bot.exports.records import safe_cells
from storage.contract import Tx
from storage.rows import ExportRow

FIXED = ("gold", "status", "result", "confidence", "answers", "votes")


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def field_columns(fields: list[str]) -> list[str]:
    return [f"data.{f}" if f in FIXED or f == "id" else f for f in fields]


def sheet_row(row: ExportRow, fields: list[str]) -> list[Any]:
    counted = [a.label for a in row.answers if a.excluded is None]
    votes = "; ".join(f"{value} {n}" for value, n in Counter(counted).most_common())
    result = row.result
    return safe_cells(
        [
            row.item.ext_id,
            *(cell(row.item.data.get(f)) for f in fields),
            cell(row.item.gold is not None),
            row.item.status,
            "" if result is None else result.label,
            "" if result is None else round(result.confidence, 4),
            len(counted),
            votes,
        ]
    )


async def export_results(tx: Tx, project_id: int) -> AsyncIterator[str]:
    """The sheet, header first. The fields are gathered in a first pass over the items, so
    every row has the same columns."""
    fields: dict[str, None] = {}
    async for row in tx.export_rows(project_id):
        fields.update(dict.fromkeys(row.item.data))
    names = list(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", *field_columns(names), *FIXED])
    async for row in tx.export_rows(project_id):
        writer.writerow(sheet_row(row, names))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
