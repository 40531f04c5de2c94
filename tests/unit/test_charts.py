"""The report charts: PNG pictures Pillow can read, a phone's width, a height that grows with
the rows, and no failure on empty or awkward data."""

from __future__ import annotations

import io

from PIL import Image

from bot.reports.charts import (
    WIDTH,
    QualityRow,
    Track,
    daily_bars,
    deadline_tracks,
    nice_step,
    quality_bars,
)

NOW = 1_800_000_000.0
DAY = 86400.0


def size(png: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()
    return image.size


def test_daily_bars_have_a_fixed_size_with_or_without_answers() -> None:
    days = [f"Mon\n{d}" for d in range(1, 15)]
    series = [(f"a-{n:010x}", [n + d for d in range(14)]) for n in range(12)]
    assert size(daily_bars("Answers", "14 days", days, series, others=True)) == (WIDTH, 620)
    assert size(daily_bars("Answers", "14 days", days, [])) == (WIDTH, 620)


def test_deadline_tracks_grow_with_the_batches() -> None:
    def track(n: int, projected: float | None) -> Track:
        return Track(
            f"batch {n} with a rather long name that will not fit",
            "50%",
            NOW - n * DAY,
            0.5,
            NOW + DAY,
            projected,
            None,
        )

    one = size(deadline_tracks("Batches", "", [track(1, NOW + 2 * DAY)], NOW, "Asia/Kolkata"))
    three = size(deadline_tracks("Batches", "", [track(n, None) for n in range(3)], NOW, "UTC"))
    assert one[0] == three[0] == WIDTH and three[1] - one[1] == 2 * 72
    far = track(1, NOW + 3000 * DAY)
    assert size(deadline_tracks("Batches", "", [far], NOW, "UTC")) == one
    assert size(deadline_tracks("Batches", "", [], NOW, "UTC")) == one


def test_quality_bars_grow_with_the_annotators_and_stop_at_thirty() -> None:
    rows = [QualityRow(f"a-{n:010x}", n / 40, n, None if n % 3 else 0.5, 4) for n in range(40)]
    two = size(quality_bars("Quality", "", rows[:2], 0.7))
    assert two[0] == WIDTH
    assert size(quality_bars("Quality", "", rows[:5], None))[1] == two[1] + 3 * 60
    assert size(quality_bars("Quality", "", rows, 0.7))[1] == two[1] + 28 * 60
    assert size(quality_bars("Quality", "", [], 0.7))[0] == WIDTH


def test_axis_steps_are_round() -> None:
    assert [nice_step(top) for top in (7, 240, 1200)] == [2, 50, 500]
