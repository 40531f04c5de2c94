"""Label Studio task JSON (an array of ``{"id", "data", "meta", "annotations", "predictions"}``)
as batch rows.

- The item's id is ``data.tapmark_id`` when present (our own Label Studio export puts it there,
  since Label Studio renumbers the tasks it imports), else the task's ``id``, else its number.
- An annotation marked ``ground_truth`` with a choice makes the item gold; ``meta.explanation``
  then becomes the gold explanation. Other annotations are not imported.
- The first prediction's first choice is kept in the item's data as a model suggestion:
  ``data.suggestion = {"label", "score", "model_version"}`` (score and model_version null when
  the prediction has none). Annotators are not shown it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

from tasks.base import SUGGESTION_KEY
from tasks.problems import Problem, Row

ID_KEY = "tapmark_id"
CHUNK = 1 << 16


def labelstudio_rows(stream: IO[bytes]) -> Iterator[Row]:
    """Rows numbered by task (1-based: "line N" in messages means the N-th task), read one task
    at a time: the list is never held whole."""
    try:
        for number, task in _tasks(stream):
            yield _row(number, task)
    except _Stop as stop:
        yield stop.line, None, [Problem(stop.line, "", stop.message)]


def _row(number: int, task: Any) -> Row:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        return number, None, [Problem(number, "data", "missing or not an object")]
    data = dict(task["data"])
    own_id = data.pop(ID_KEY, None)
    row: dict[str, Any] = {
        "id": own_id if own_id not in (None, "") else task.get("id", number),
        "data": data,
    }
    gold = _ground_truth(task.get("annotations") or [])
    if gold is not None:
        row["gold"] = gold
        meta = task.get("meta")
        if isinstance(meta, dict) and isinstance(meta.get("explanation"), str):
            row["explanation"] = meta["explanation"]
    suggestion = _suggestion(task.get("predictions") or [])
    if suggestion is not None:
        data[SUGGESTION_KEY] = suggestion
    return number, row, []


class _Text:
    """The stream's text, decoded a chunk at a time, kept from the task being read on."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.line = 1  # the line self.buf starts on
        self.eof = False
        self.raw_lines = 1  # the line the next bytes read start on

    def more(self) -> bool:
        """Read on (at least as much again as is buffered); False at the end."""
        if self.eof:
            return False
        self.line += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :]
        self.pos = 0
        raw = self.stream.read(max(CHUNK, len(self.buf)))
        try:
            self.buf += self.decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as exc:
            line = self.raw_lines + raw[: max(0, exc.start)].count(b"\n")
            raise _Stop(line, f"not UTF-8 text ({exc.reason})") from None
        self.raw_lines += raw.count(b"\n")
        self.eof = not raw
        return True

    def skip_space(self) -> str:
        """The next character after white space, "" at the end."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def line_at(self, pos: int) -> int:
        return self.line + self.buf.count("\n", 0, pos)


class _Stop(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message


def _tasks(stream: IO[bytes]) -> Iterator[tuple[int, Any]]:
    """The list's elements one by one (a lone task object is a list of one). `_Stop`, naming
    the line, for a problem with the JSON itself (the rest cannot be read past it)."""
    text = _Text(stream)
    decoder = json.JSONDecoder()
    number = 0
    first = text.skip_space()
    if first not in ("[", "{"):
        raise _Stop(text.line_at(text.pos), "expected a list of Label Studio tasks")
    alone = first == "{"
    if not alone:
        text.pos += 1
    while True:
        if not alone and text.skip_space() == "]":
            text.pos += 1
            break
        text.skip_space()
        while True:
            try:
                value, end = decoder.raw_decode(text.buf, text.pos)
            except json.JSONDecodeError as exc:
                if text.more():
                    continue
                raise _Stop(text.line_at(exc.pos), f"invalid JSON ({exc.msg})") from None
            except RecursionError:
                raise _Stop(text.line_at(text.pos), "invalid JSON (nested too deep)") from None
            except ValueError as exc:  # an integer of more digits than Python reads
                raise _Stop(text.line_at(text.pos), f"invalid JSON ({exc})") from None
            if end == len(text.buf) and text.more():
                continue  # it may go on in the next chunk (a number cut in two)
            break
        number += 1
        text.pos = end
        yield number, value
        if alone:
            break
        after = text.skip_space()
        if after == ",":
            text.pos += 1
        elif after != "]":
            raise _Stop(
                text.line_at(text.pos), f"invalid JSON (expected ',' or ']' after task {number})"
            )
    if text.skip_space():
        raise _Stop(text.line_at(text.pos), "invalid JSON (text after the list)")


def _first_choice(results: Any) -> str | None:
    for result in results if isinstance(results, list) else []:
        choices = (result.get("value") or {}).get("choices") if isinstance(result, dict) else None
        if isinstance(choices, list) and choices:
            return str(choices[0])
    return None


def _ground_truth(annotations: list[Any]) -> str | None:
    for annotation in annotations:
        if isinstance(annotation, dict) and annotation.get("ground_truth"):
            choice = _first_choice(annotation.get("result"))
            if choice is not None:
                return choice
    return None


def _suggestion(predictions: Any) -> dict[str, Any] | None:
    if not isinstance(predictions, list) or not predictions or not isinstance(predictions[0], dict):
        return None
    first = predictions[0]
    label = _first_choice(first.get("result"))
    if label is None:
        return None
    score = first.get("score")
    version = first.get("model_version")
    return {
        "label": label,
        "score": float(score)
        if isinstance(score, int | float) and not isinstance(score, bool)
        else None,
        "model_version": str(version) if version is not None else None,
    }
