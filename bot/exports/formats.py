"""The export formats by name, as `tapmark export --format` and `/export` offer them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from bot.exports.annotators import export_annotators
from bot.exports.labelstudio import export_label_studio
from bot.exports.records import export_csv, export_jsonl
from bot.exports.regions import export_coco
from bot.exports.rich import export_ranking
from bot.exports.sheet import export_results
from storage.contract import Tx


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    suffix: str
    """How the file's name ends after the project's name."""
    write: Callable[[Tx, int], AsyncIterator[str]]
    """The file's text in pieces, as the rows are read."""
    what: str

    @property
    def sheet(self) -> bool:
        """Whether it is a CSV file (which may take a byte order mark for Excel)."""
        return self.suffix.endswith(".csv")


FORMATS = {
    f.name: f
    for f in (
        ExportFormat("jsonl", ".jsonl", export_jsonl, "items, answers (pseudonymous) and results"),
        ExportFormat("csv", ".csv", export_csv, "one row per answer, with the item's result"),
        ExportFormat(
            "results",
            "-results.csv",
            export_results,
            "one row per item: its fields, the result, its confidence and the votes",
        ),
        ExportFormat(
            "label-studio",
            "-label-studio.json",
            export_label_studio,
            "Label Studio tasks: answers as annotations, results as predictions",
        ),
        ExportFormat(
            "annotators",
            "-annotators.csv",
            export_annotators,
            "one row per annotator: answers, active hours, earnings, quality",
        ),
        ExportFormat(
            "coco",
            "-coco.json",
            export_coco,
            "image_grid, bbox, polygon, keypoints: pictures and their aggregated regions as COCO",
        ),
        ExportFormat(
            "ranking",
            "-ranking.json",
            export_ranking,
            "pairwise: a Bradley-Terry ranking of the candidates",
        ),
    )
}
