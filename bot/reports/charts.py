"""Charts as PNG pictures, drawn with Pillow: pure functions, data in and PNG bytes out.

Every chart is `WIDTH` pixels wide, with text large enough to read on a phone when the picture
fills the screen; the height grows with the rows a chart has. Text uses Pillow's default font
(a scalable one from Pillow 10.1; older versions fall back to a small bitmap font).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

WIDTH = 1000
DAILY_HEIGHT = 620
TRACK_ROW = 72
QUALITY_ROW = 60
HEADER = 112
MAX_ROWS = 30

Color = tuple[int, int, int]
Font = ImageFont.ImageFont | ImageFont.FreeTypeFont

BACKGROUND: Color = (255, 255, 255)
INK: Color = (33, 33, 33)
MUTED: Color = (115, 115, 115)
GRID: Color = (226, 226, 226)
TRACK: Color = (232, 232, 232)
BLUE: Color = (31, 119, 180)
ORANGE: Color = (255, 127, 14)
GREEN: Color = (44, 160, 44)
RED: Color = (214, 39, 40)
OTHERS: Color = (175, 175, 175)
PALETTE: tuple[Color, ...] = (
    BLUE,
    ORANGE,
    GREEN,
    RED,
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (23, 190, 207),
)


@dataclass(frozen=True, slots=True)
class Track:
    """One batch on the deadline chart. `late` is whether the projected finish falls after
    the deadline (None when either is unknown)."""

    name: str
    detail: str
    start: float
    share: float
    deadline: float | None
    projected: float | None
    late: bool | None


@dataclass(frozen=True, slots=True)
class QualityRow:
    """One annotator on the quality chart: shares in 0..1 (None: nothing to measure yet) and
    the number of answers behind each."""

    name: str
    gold: float | None
    gold_n: int
    agreement: float | None
    agreement_n: int


@lru_cache(maxsize=16)
def font(size: int) -> Font:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1 has only the bitmap font
        return ImageFont.load_default()


class Canvas:
    """A white picture with text helpers that need no font anchors (the bitmap fallback font
    has none)."""

    def __init__(self, height: int) -> None:
        self.image = Image.new("RGB", (WIDTH, height), BACKGROUND)
        self.draw = ImageDraw.Draw(self.image)

    def text(
        self, x: float, y: float, text: str, size: int = 20, fill: Color = INK, align: str = "left"
    ) -> float:
        """Draw one line with its top at `y`; x is its left, right or centre edge. Its width."""
        face = font(size)
        width = self.draw.textlength(text, font=face)
        left = x - width if align == "right" else x - width / 2 if align == "center" else x
        self.draw.text((left, y), text, font=face, fill=fill)
        return width

    def fit(self, text: str, size: int, room: float) -> str:
        """The text, cut with an ellipsis to fit `room` pixels."""
        face = font(size)
        if self.draw.textlength(text, font=face) <= room:
            return text
        while text and self.draw.textlength(text + "…", font=face) > room:
            text = text[:-1]
        return text + "…"

    def header(self, title: str, subtitle: str) -> None:
        self.text(30, 18, self.fit(title, 30, WIDTH - 60), 30)
        self.text(30, 58, self.fit(subtitle, 18, WIDTH - 60), 18, MUTED)

    def dashed(self, x: float, top: float, bottom: float, fill: Color, dash: int = 8) -> None:
        y = top
        while y < bottom:
            self.draw.line([(x, y), (x, min(y + dash, bottom))], fill=fill, width=2)
            y += 2 * dash

    def swatch(self, x: float, y: float, color: Color, label: str) -> float:
        """A legend entry at (x, y); the x where the next one may start."""
        self.draw.rectangle([x, y + 3, x + 16, y + 19], fill=color)
        return x + 24 + self.text(x + 24, y, label, 18) + 22

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, "PNG")
        return out.getvalue()


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that covers `top` in about `ticks`."""
    raw = max(top, 1.0) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def daily_bars(
    title: str,
    subtitle: str,
    days: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    others: bool = False,
) -> bytes:
    """Stacked bars: one bar per day (labels may hold a line break), one colour per series,
    the day's total above its bar, and a legend under the axis. With `others`, the last
    series (the rest lumped together) is grey."""
    c = Canvas(DAILY_HEIGHT)
    c.header(title, subtitle)
    left, right, top, bottom = 80, WIDTH - 30, HEADER + 20, DAILY_HEIGHT - 150
    totals = [sum(values[d] for _, values in series) for d in range(len(days))]
    step = max(1.0, nice_step(max(totals, default=0)))
    ceiling = step * max(1, math.ceil(max(totals, default=0) / step))
    scale = (bottom - top) / ceiling
    value = 0.0
    while value <= ceiling + 1e-9:
        y = bottom - value * scale
        c.draw.line([(left, y), (right, y)], fill=GRID, width=1)
        c.text(left - 10, y - 10, f"{value:g}", 16, MUTED, "right")
        value += step
    slot = (right - left) / max(1, len(days))
    for d, label in enumerate(days):
        x = left + d * slot
        y = bottom
        for s, (_, values) in enumerate(series):
            height = values[d] * scale
            if height > 0:
                c.draw.rectangle(
                    [x + slot * 0.15, y - height, x + slot * 0.85, y],
                    fill=_series_color(s, len(series), others),
                )
                y -= height
        if totals[d]:
            c.text(x + slot / 2, y - 22, str(totals[d]), 16, INK, "center")
        for n, line in enumerate(label.split("\n")):
            c.text(x + slot / 2, bottom + 8 + 20 * n, line, 16, MUTED, "center")
    c.draw.line([(left, bottom), (right, bottom)], fill=INK, width=2)
    if not any(totals):
        c.text(WIDTH / 2, (top + bottom) / 2 - 12, "No answers in these days", 24, MUTED, "center")
    x, y = left, bottom + 62
    for s, (name, _) in enumerate(series):
        width = 48 + c.draw.textlength(name, font=font(18))
        if x + width > right:
            x, y = left, y + 28
        if y > DAILY_HEIGHT - 30:
            break
        x = c.swatch(x, y, _series_color(s, len(series), others), name)
    return c.png()


def _series_color(index: int, count: int, others: bool) -> Color:
    if others and index == count - 1:
        return OTHERS
    return PALETTE[index % len(PALETTE)]


def deadline_tracks(
    title: str, subtitle: str, tracks: Sequence[Track], now: float, zone: str
) -> bytes:
    """A timeline row per batch: the grey track runs from the batch's start to its deadline
    (to now when it has none); the coloured part is the finished share of that way, so a fill
    that stops short of the *now* line is behind schedule; a red line marks the deadline and a
    diamond the projected finish (an arrow and its date at the right edge when it lies far
    beyond the chart). The time axis spans at least a day, with local dates of `zone`."""
    tracks = tracks[:MAX_ROWS]
    height = HEADER + 60 + max(1, len(tracks)) * TRACK_ROW + 60
    c = Canvas(height)
    c.header(title, subtitle)
    left, right = 290, WIDTH - 40
    top, bottom = HEADER + 60, height - 60
    x = c.swatch(30, HEADER - 10, GREEN, "on time")
    x = c.swatch(x, HEADER - 10, RED, "late")
    x = c.swatch(x, HEADER - 10, BLUE, "no deadline or pace")
    c.draw.line([(x + 4, HEADER - 8), (x + 4, HEADER + 12)], fill=RED, width=4)
    x += 16 + c.text(x + 16, HEADER - 10, "deadline", 18) + 22
    _diamond(c, x + 8, HEADER + 1, INK)
    c.text(x + 24, HEADER - 10, "projected finish", 18)
    if not tracks:
        c.text(WIDTH / 2, top + 20, "No batches yet", 24, MUTED, "center")
        return c.png()
    ends = [t for tr in tracks for t in (tr.deadline,) if t is not None]
    first = min(min(tr.start for tr in tracks), now)
    known = max([now, *ends])
    limit = known + max(known - first, 86400.0)
    last = max([known, *(p for tr in tracks if (p := tr.projected) is not None and p <= limit)])
    first = min(first, last - 86400.0)
    first, last = first - 0.03 * (last - first), last + 0.05 * (last - first)

    def at(ts: float) -> float:
        return left + (right - left) * (min(max(ts, first), last) - first) / (last - first)

    for tick, label in _day_ticks(first, last, zone):
        c.draw.line([(at(tick), top), (at(tick), bottom)], fill=GRID, width=1)
        c.text(at(tick), bottom + 10, label, 16, MUTED, "center")
    for row, tr in enumerate(tracks):
        y = top + row * TRACK_ROW + TRACK_ROW / 2
        c.text(30, y - 24, c.fit(tr.name, 20, left - 50), 20)
        c.text(30, y + 2, c.fit(tr.detail, 16, left - 50), 16, MUTED)
        end = tr.deadline if tr.deadline is not None else max(now, tr.start + 1)
        c.draw.rectangle([at(tr.start), y - 11, at(end), y + 11], fill=TRACK)
        fill = BLUE if tr.late is None else RED if tr.late else GREEN
        done = tr.start + max(0.0, min(1.0, tr.share)) * (end - tr.start)
        if tr.share > 0:
            c.draw.rectangle(
                [at(tr.start), y - 11, max(at(done), at(tr.start) + 2), y + 11], fill=fill
            )
        if tr.deadline is not None:
            c.draw.line([(at(tr.deadline), y - 20), (at(tr.deadline), y + 20)], fill=RED, width=4)
        if tr.projected is not None and tr.projected <= last:
            _diamond(c, at(tr.projected), y, INK)
        elif tr.projected is not None:
            c.draw.polygon([(right - 4, y - 10), (right + 10, y), (right - 4, y + 10)], fill=INK)
            when = datetime.fromtimestamp(tr.projected, ZoneInfo(zone))
            c.text(right + 10, y - 34, f"{when.day} {when:%b %Y}", 16, INK, "right")
    c.dashed(at(now), top - 12, bottom, INK)
    c.text(at(now), top - 34, "now", 16, INK, "center")
    return c.png()


def _diamond(c: Canvas, x: float, y: float, color: Color, r: float = 9) -> None:
    c.draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=color)


def _day_ticks(first: float, last: float, zone: str) -> list[tuple[float, str]]:
    """Local midnights between `first` and `last`, thinned to at most about seven labels."""
    tz = ZoneInfo(zone)
    days = max(1.0, (last - first) / 86400)
    every = next(n for n in (1, 2, 7, 14, 30, 61, 91, 182, 365, 10**6) if days / n <= 7)
    day = datetime.fromtimestamp(first, tz).date()
    ticks: list[tuple[float, str]] = []
    while True:
        day += timedelta(days=1)
        ts = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        if ts > last:
            return ticks
        if day.toordinal() % every == 0 or every == 1:
            ticks.append((ts, f"{day.day} {day:%b}"))


def quality_bars(title: str, subtitle: str, rows: Sequence[QualityRow], bar: float | None) -> bytes:
    """Two bars per annotator, gold accuracy and agreement with the final results, on a 0-100%
    axis, each with its figure and the answers behind it; a dashed line at the gold bar."""
    rows = rows[:MAX_ROWS]
    height = HEADER + 30 + max(1, len(rows)) * QUALITY_ROW + 60
    c = Canvas(height)
    c.header(title, subtitle)
    x = c.swatch(30, HEADER - 10, BLUE, "gold accuracy")
    x = c.swatch(x, HEADER - 10, ORANGE, "agreement with the final results")
    left, right = 200, WIDTH - 150
    top, bottom = HEADER + 30, height - 60
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        gx = left + tick * (right - left)
        c.draw.line([(gx, top), (gx, bottom)], fill=GRID, width=1)
        c.text(gx, bottom + 10, f"{tick:.0%}", 16, MUTED, "center")
    if not rows:
        c.text(WIDTH / 2, top + 20, "No answers yet", 24, MUTED, "center")
    for n, row in enumerate(rows):
        y = top + n * QUALITY_ROW + 8
        c.text(30, y + 10, c.fit(row.name, 20, left - 50), 20)
        for k, (share, count, color, empty) in enumerate(
            (
                (row.gold, row.gold_n, BLUE, "no gold answers yet"),
                (row.agreement, row.agreement_n, ORANGE, "no finished items yet"),
            )
        ):
            by = y + k * 22
            if share is None:
                c.text(left + 6, by, empty, 16, MUTED)
                continue
            c.draw.rectangle(
                [left, by, left + max(2.0, share * (right - left)), by + 18], fill=color
            )
            c.text(right + 10, by, f"{share:.0%} of {count}", 16)
    if bar is not None:
        c.dashed(left + bar * (right - left), top - 8, bottom, RED)
        c.text(left + bar * (right - left), bottom + 30, f"bar {bar:.0%}", 16, RED, "center")
    return c.png()
