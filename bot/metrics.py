"""What a worker process reports on `/metrics`, in Prometheus form.

Counters and histograms count what this process did (events handled and their latency, platform
API errors and retries); the gauges hold figures of the whole database (answers, open leases,
items waiting), refreshed from the store when `/metrics` is read, so every worker reports the
same shared state and nothing depends on which worker the scraper reaches.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.contract import Store

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter(
    "tapmark_events",
    "Events the core handled, by kind (command, tap, text, upload)",
    ["kind"],
    registry=REGISTRY,
)
EVENT_SECONDS = Histogram(
    "tapmark_event_seconds",
    "Seconds from an event to its committed answer, by kind; a tap on a label is an answer and "
    "the assignment of the next task, so kind=tap is the assignment latency",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
RETRIED = Counter(
    "tapmark_events_retried",
    "Events run again after the database rolled them back (deadlocks)",
    ["kind"],
    registry=REGISTRY,
)
API_ERRORS = Counter(
    "tapmark_platform_api_errors",
    "Failed calls to a chat platform's API",
    ["platform"],
    registry=REGISTRY,
)
API_RETRIES = Counter(
    "tapmark_platform_api_retries",
    "Calls to a chat platform's API that were tried again",
    ["platform"],
    registry=REGISTRY,
)
ANSWERS = Gauge("tapmark_answers", "Answers stored, all projects", registry=REGISTRY)
OPEN_LEASES = Gauge("tapmark_open_leases", "Tasks on someone's screen now", registry=REGISTRY)
ITEMS_WAITING = Gauge(
    "tapmark_items_waiting",
    "Items of published batches that still want answers",
    registry=REGISTRY,
)
ANNOTATORS_WAITING = Gauge(
    "tapmark_annotators_waiting",
    "Annotators told there is no task for them, waiting for work",
    registry=REGISTRY,
)


async def render(store: Store) -> bytes:
    """The metrics page, with the database gauges read fresh."""
    async with store.transaction() as tx:
        counts = await tx.live_counts()
    ANSWERS.set(counts.answers)
    OPEN_LEASES.set(counts.open_leases)
    ITEMS_WAITING.set(counts.items_waiting)
    ANNOTATORS_WAITING.set(counts.annotators_waiting)
    return generate_latest(REGISTRY)
