"""What every benchmark reports: the count, the rate, latency percentiles and the machine."""

from __future__ import annotations

import os
import platform
import statistics
from typing import Any


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
