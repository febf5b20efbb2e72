"""Prometheus metrics: what is counted, and the text a scrape of GET /metrics answers.

Under gunicorn each worker is a process of its own, so counts are kept in prometheus_client's
multiprocess mode: every process writes its values to files in PROMETHEUS_MULTIPROC_DIR (set by
gunicorn.conf.py before anything imports prometheus_client, which picks its mode on import) and
a scrape, whichever worker answers it, sums the files of every worker, the dead ones' included,
so totals never go back when a worker is replaced. Without that variable (tests, the command
line) the values live in this process, in prometheus_client's default registry.

Per-list gauges (version, age, entries) are not kept in files: they are read from the index the
answering worker serves at the moment of the scrape, so they are never stale and a list version
that was replaced leaves no series behind.

The hot path (`observe_request`) resolves its label children once per (route, method, status)
and caches them: a request then costs three value updates (a count, a bucket and a sum).
"""

from __future__ import annotations

import os
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import REGISTRY

from service.model import ListInfo
from service.store import ScreeningRecord
from service.store.base import SCREENING_KINDS

# The format generate_latest writes, named as Prometheus expects it (and as every server speaks).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED = "unmatched"  # the route label of a path no route matched (404, 405): one series
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))

# From the ~1 ms screening to a large CSV upload (a minute at most: gunicorn's timeout).
_LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0
)  # fmt: skip

HTTP_REQUESTS = Counter(
    "vessel_screen_http_requests",
    "HTTP requests answered, by route template (never the raw path), method and status.",
    ("route", "method", "status"),
)
HTTP_DURATION = Histogram(
    "vessel_screen_http_request_duration_seconds",
    "Time from the request reaching Flask to its answer (a streamed answer: to its last byte).",
    ("route",),
    buckets=_LATENCY_BUCKETS,
)
SCREENINGS = Counter(
    "vessel_screen_screenings",
    "Screenings answered (each recorded in the audit trail), by kind (single, batch item, CSV "
    "row) and decision.",
    ("kind", "decision"),
)
CSV_ROWS = Counter(
    "vessel_screen_csv_rows_screened",
    "CSV rows screened and answered by POST /v1/screen/csv (rows with an error excluded).",
)
LIST_LOAD_FAILURES = Counter(
    "vessel_screen_list_load_failures",
    "List loads and refreshes refused (bad or shrunken files, failed downloads, the store "
    "unable to keep a version); `*` is a whole folder that failed to load.",
    ("list",),
)
AUDIT_STORE_ERRORS = Counter(
    "vessel_screen_audit_store_errors",
    "Answers withheld because the audit trail could not record them: a 503 for a screening "
    "or batch, a CSV answer ended early.",
    ("kind",),
)

# A `_created` timestamp beside every counter doubles the series for nothing a dashboard uses
# (and multiprocess mode has none): the same output either way.
disable_created_metrics()

# Series that exist from the start at 0, so a rate or an alert on them has something to read.
for _kind in SCREENING_KINDS:
    AUDIT_STORE_ERRORS.labels(_kind)
    for _decision in ("match", "review", "clear"):
        SCREENINGS.labels(_kind, _decision)

_request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    if method not in _METHODS:
        method = "other"  # the method is the client's to invent: it must not grow the cache
    key = (route, method, status)
    children = _request_children.get(key)
    if children is None:
        children = (
            HTTP_REQUESTS.labels(route, method, str(status)),
            HTTP_DURATION.labels(route),
        )
        # Bounded: routes x methods x statuses. A race may build a pair twice: same children.
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


_screening_children: dict[tuple[str, str], Counter] = {}


def count_screenings(records: Sequence[ScreeningRecord]) -> None:
    """Count answered screenings by kind and decision.

    Called for every recorded screening, on the path of its answer: the labelled child is
    looked up in a dict of our own rather than through `labels()` (a lock and a label check
    each time), and a lone record (most of the traffic) skips the tally."""
    if len(records) == 1:
        _count(records[0].kind, records[0].decision, 1)
        return
    for (kind, decision), n in Tally((r.kind, r.decision) for r in records).items():
        _count(kind, decision, n)


def _count(kind: str, decision: str, n: int) -> None:
    child = _screening_children.get((kind, decision))
    if child is None:
        # Bounded: kinds x decisions. A race may build a child twice: the same child.
        child = _screening_children[(kind, decision)] = SCREENINGS.labels(kind, decision)
    child.inc(n)
    if kind == "csv":
        CSV_ROWS.inc(n)


def worker_exited(pid: int) -> None:
    """gunicorn's master, when a worker is gone: its files of live-only gauges go (there are
    none yet; its counters stay, so totals never go back)."""
    if multiprocess():
        mark_process_dead(pid)


def list_load_failed(list_id: str) -> None:
    LIST_LOAD_FAILURES.labels(list_id).inc()


def count_refused(records: Sequence[ScreeningRecord]) -> None:
    """Count an answer withheld because its records were not kept (the recorder's refusal)."""
    AUDIT_STORE_ERRORS.labels(records[0].kind if records else "single").inc()


class _ListCollector:
    """The lists the answering process serves, read at scrape time."""

    def __init__(self, lists: Sequence[ListInfo]) -> None:
        self.lists = lists

    def collect(self) -> Iterator[Metric]:
        now = time.time()
        info = InfoMetricFamily(
            "vessel_screen_list", "The version of each list being served.", labels=("list",)
        )
        age = GaugeMetricFamily(
            "vessel_screen_list_age_seconds",
            "Seconds since the served version of each list was loaded and published.",
            labels=("list",),
        )
        entries = GaugeMetricFamily(
            "vessel_screen_list_entries", "Vessels in the served version of each list.",
            labels=("list",),
        )  # fmt: skip
        for lst in self.lists:
            info.add_metric((lst.id,), {"version": lst.version})
            age.add_metric((lst.id,), max(0.0, now - lst.loaded_at.timestamp()))
            entries.add_metric((lst.id,), lst.entries)
        yield from (info, age, entries)


class _ThisProcess:
    """The process's default registry inside a per-scrape one, registered nowhere twice."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition(lists: Sequence[ListInfo]) -> bytes:
    """The text a scrape answers: every worker's counts, and the lists served here."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess():
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_ListCollector(lists))
    return generate_latest(registry)
