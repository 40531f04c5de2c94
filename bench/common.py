"""What every benchmark reports: the count, the rate, latency percentiles and the machine."""

from __future__ import annotations

import os
import platform
import random
import re
import statistics
from typing import Any

from bot.chat.actions import Edit, Screen, Send


def summary(latencies_s: list[float], elapsed_s: float, unit: str) -> dict[str, Any]:
    """`unit` names the count (answers, labels): ``{unit}``, ``{unit}_per_s``, p50/p99 in ms."""
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        unit: len(ms),
        "seconds": round(elapsed_s, 3),
        f"{unit}_per_s": round(len(ms) / elapsed_s, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(ms[max(0, int(len(ms) * 0.99) - 1)], 2),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
    }


def task_screen(actions: list[Any]) -> Screen | None:
    for action in reversed(actions):
        if isinstance(action, Send | Edit) and action.screen.keyboard:
            screen: Screen = action.screen
            if screen.buttons()[0].label == "a":
                return screen
    return None


SKILL = 0.85


def choose(screen: Screen, rng: random.Random) -> int:
    """Like a fair crowd: the item's true label (item N has label N mod 3) with probability
    SKILL, another one otherwise."""
    number = int(re.search(r"item (\d+)", screen.text).group(1))  # type: ignore[union-attr]
    truth = number % 3
    return truth if rng.random() < SKILL else rng.choice([x for x in range(3) if x != truth])
