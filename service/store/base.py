"""The storage interface every backend implements, the records it stores, and the helpers both
backends share.

Two backends keep the same behaviour: PostgreSQL (`postgres.py`, production, several instances)
and SQLite (`sqlite.py`, the embedded default in `DATA_DIR`). Everything that can go wrong with
the database itself (unreachable, timed out, locked, a broken connection, a constraint) is raised
as `StoreError`, so the web layer has one exception to turn into 503. Arguments that can never
be stored (a CSV row without its job, a list version whose entry count is wrong) raise
`ValueError` before anything is written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from service.ais.model import Positions, StaticReport
from service.model import ListInfo
from service.portcalls.calls import PortCall

if TYPE_CHECKING:
    from service.store.ais_sql import AisIngest

log = logging.getLogger("service.store")

__all__ = [
    "AlertRecord",
    "JobRecord",
    "ListVersionRecord",
    "Listener",
    "RetiredCallback",
    "ScreeningKind",
    "ScreeningRecord",
    "Store",
    "StoreError",
    "VersionCallback",
]

ScreeningKind = Literal["single", "batch", "csv"]
SCREENING_KINDS: tuple[str, ...] = ("single", "batch", "csv")

# The PostgreSQL channel a publication is announced on; the payload is "<list_id>:<version>".
VERSIONS_CHANNEL = "list_versions"

VersionCallback = Callable[[str, str], None]
RetiredCallback = Callable[[str], None]


class StoreError(Exception):
    """The store could not do what was asked. The caller must not act as if it had: an answer
    whose screening was not recorded is not sent (503)."""


# --- Records ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScreeningRecord:
    """One screening as it was answered.

    `response_json` is the answer's body exactly as sent (JSON text); the store keeps the text,
    not a parsed copy, so `GET /v1/screenings/{id}` can return the very same bytes. `query` is
    the request as received. `list_versions` maps each list id used to its version.
    """

    screening_id: str
    screened_at: datetime
    caller: str | None
    kind: ScreeningKind
    query: dict[str, Any]
    list_versions: dict[str, str]
    decision: str
    response_json: str
    job_id: str | None = None
    row: int | None = None

    @property
    def response(self) -> Any:
        return json.loads(self.response_json)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A CSV upload: its rows are screenings with `kind="csv"` and this `job_id`."""

    job_id: str
    caller: str | None
    filename: str | None
    started_at: datetime
    finished_at: datetime | None = None
    rows: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ListVersionRecord:
    """One list load: a published version, or (published False) a load that failed, with its
    error; a failed load may have no version (its files did not parse far enough to say)."""

    list_id: str
    version: str | None
    loaded_at: datetime
    entries: int
    sha256: dict[str, str]
    published: bool
    error: str | None = None
    title: str = ""
    source: str | None = None
    format: str = ""
    published_at: str | None = None
    # The version's vessels; `entries` counts the listed companies stored with them too.
    vessels: int | None = None

    def to_list_info(self) -> ListInfo:
        """The `ListInfo` of a published version, as the loader gave it."""
        if not self.published or self.version is None:
            raise ValueError(f"{self.list_id}: a failed load is not a list version")
        return ListInfo(
            id=self.list_id,
            title=self.title,
            version=self.version,
            loaded_at=self.loaded_at,
            entries=self.entries,
            source=self.source,
            format=self.format,
            sha256=dict(self.sha256),
            published_at=self.published_at,
        )


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """Re-screening found a new or stronger match for an earlier screening (`screening_id`)."""

    alert_id: str
    created_at: datetime
    screening_id: str
    list_id: str
    version: str
    entity_id: str
    score: float
    decision: str
    previous_decision: str | None
    reason: str


# --- The interface ------------------------------------------------------------------------------


class Listener(Protocol):
    """A running watch on published list versions; `close()` stops it."""

    def wait_ready(self, timeout: float) -> bool:
        """True once the listener is connected and has reported the current versions."""
        ...

    @property
    def alive(self) -> bool:
        """Whether its thread still runs (for a readiness check)."""
        ...

    def close(self) -> None:
        """Stop and wait for the thread to end."""
        ...


class Store(Protocol):
    """Everything the service keeps beyond one process: audit trail, list versions, alerts and
    port calls. Backends are thread-safe; after a fork a child opens its own connections on its
    first call (gunicorn preloads the app in the master, then forks the workers)."""

    backend: str  # "postgresql" or "sqlite"

    @property
    def closed(self) -> bool: ...

    def migrate(self) -> list[int]:
        """Bring the schema up to date; the migration versions applied by this call (none when
        it already was). Safe when several processes start at once."""
        ...

    def ping(self) -> None:
        """Return when the store answers; raise StoreError when it does not."""
        ...

    def close(self) -> None:
        """Release every connection. Calls after close raise StoreError, and listeners started
        on this store stop."""
        ...

    # Audit trail.
    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        """Store all the records or none (one transaction); StoreError when not stored."""
        ...

    def get_screening(self, screening_id: str) -> ScreeningRecord | None: ...

    def screenings_since(
        self, since: datetime, until: datetime | None = None, batch: int = 1000
    ) -> Iterator[ScreeningRecord]:
        """Screenings with `since <= screened_at < until`, oldest first, read `batch` at a time
        (no connection is held between batches, so a slow consumer blocks nobody)."""
        ...

    # CSV jobs.
    def start_job(
        self, job_id: str, caller: str | None, filename: str | None, started_at: datetime
    ) -> None: ...

    def finish_job(
        self, job_id: str, rows: int, finished_at: datetime, error: str | None = None
    ) -> None:
        """Raises LookupError when no such job was started."""
        ...

    def get_job(self, job_id: str) -> JobRecord | None: ...

    def job_screenings(self, job_id: str) -> list[ScreeningRecord]:
        """The job's screenings in row order."""
        ...

    # List versions.
    def publish_list_version(self, info: ListInfo, entries: Sequence[Mapping[str, Any]]) -> bool:
        """Store a completely parsed list version with its entries (one JSON-able dict per
        vessel, each with an `entity_id`) and announce it. False when this list id and version
        were already stored (nothing is written then)."""
        ...

    def record_load_failure(
        self,
        list_id: str,
        error: str,
        at: datetime,
        version: str | None = None,
        sha256: Mapping[str, str] | None = None,
    ) -> None: ...

    def list_versions(self, list_id: str) -> list[ListVersionRecord]:
        """Every load of the list, published and failed, newest first."""
        ...

    def latest_version(self, list_id: str) -> ListVersionRecord | None:
        """The newest published version: the one published last."""
        ...

    def latest_versions(self) -> dict[str, ListVersionRecord]:
        """The newest published version of every list."""
        ...

    def list_version_entries(self, list_id: str, version: str) -> list[dict[str, Any]] | None:
        """The version's entries in the order they were published; None when the version
        is unknown."""
        ...

    def retire_lists(self, named: Collection[str], at: datetime) -> list[str]:
        """Make `named` the served set: every other list is retired (kept, no longer served,
        left out of `latest_versions`), a named list that was retired is served again, and
        listeners are told. The lists this call retired."""
        ...

    def retired_lists(self) -> dict[str, datetime]:
        """Each retired list and when it was retired."""
        ...

    def listen_versions(
        self,
        callback: VersionCallback,
        poll_interval: float | None = None,
        on_retired: RetiredCallback | None = None,
    ) -> Listener:
        """Call `callback(list_id, version)` from a background thread with the newest published
        version of each served list: for every list once it has started, then whenever a newer
        one is published, by this process or any other; and `on_retired(list_id)` when a list
        reported before is retired. Each (list, version) is reported once per listener; a
        callback that raises gets the same version again at the next look.

        PostgreSQL: LISTEN/NOTIFY on a connection of its own, reconnecting after a drop and
        catching up then; `poll_interval` (default 30 s) is a safety-net look. SQLite: a look
        every `poll_interval` seconds (default 1 s)."""
        ...

    # Raw AIS.
    def save_ais(
        self,
        source: str,
        sha256: str,
        chunks: Iterable[tuple[Positions, Sequence[StaticReport]]],
        at: datetime,
        rejected: Callable[[], int] = ...,
    ) -> AisIngest:
        """Store one ingest a chunk at a time (flat memory); it counts once complete. Nothing
        when the same bytes (`sha256`) were stored; on a failure, nothing of it is left."""
        ...

    def ais_known(self, sha256: str) -> AisIngest | None:
        """The stored ingest of these bytes, if any."""
        ...

    def ais_generation(self) -> int:
        """Grows with every stored ingest (0 before the first)."""
        ...

    def ais_sources(self) -> list[str]:
        """The names of the stored ingests, oldest first."""
        ...

    def ais_positions(self) -> Positions:
        """Every stored position."""
        ...

    def ais_statics(self) -> list[StaticReport]: ...

    # Alerts.
    def save_alerts(self, alerts: Sequence[AlertRecord]) -> int:
        """Store the alerts not already stored for the same screening, list version and vessel;
        how many were new."""
        ...

    def list_alerts(self, since: datetime | None = None, limit: int = 100) -> list[AlertRecord]:
        """Alerts created at or after `since`, newest first."""
        ...

    # Port calls.
    def save_port_calls(self, calls: Sequence[PortCall]) -> int:
        """Store calls not already stored under the natural key (imo, mmsi, locode, arrived_at,
        source); how many were new. The first report of a call wins."""
        ...

    def port_calls_since(self, seq: int = 0) -> tuple[list[PortCall], int]:
        """Calls stored after position `seq`, and the position to ask from next time."""
        ...


# --- Shared helpers -----------------------------------------------------------------------------


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive time is taken as UTC (as everywhere in the service)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def time_text(moment: datetime) -> str:
    """The one text form of a time in SQLite: fixed width, so text order is time order."""
    return utc(moment).isoformat(timespec="microseconds")


def text_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def dump_json(value: Any) -> str:
    """Compact JSON; NaN and Infinity are refused, since they are not JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def check_screenings(records: Sequence[ScreeningRecord]) -> None:
    for r in records:
        if r.kind not in SCREENING_KINDS:
            raise ValueError(f"screening {r.screening_id}: unknown kind {r.kind!r}")
        if r.kind == "csv" and (r.job_id is None or r.row is None):
            raise ValueError(f"screening {r.screening_id}: a CSV row needs its job_id and row")


def check_publication(info: ListInfo, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The entity ids of `entries`, after checking the version is whole and consistent."""
    if not info.id or ":" in info.id:
        # The NOTIFY payload is "<list_id>:<version>"; a colon in the id would make it ambiguous.
        raise ValueError(f"list id {info.id!r} must be non-empty and hold no ':'")
    if not info.version:
        raise ValueError(f"{info.id}: a list version needs a version")
    if info.entries != len(entries):
        raise ValueError(
            f"{info.id}@{info.version}: says {info.entries} entries, has {len(entries)}"
        )
    ids = [str(e.get("entity_id") or "") for e in entries]
    if not all(ids):
        raise ValueError(f"{info.id}@{info.version}: every entry needs an entity_id")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{info.id}@{info.version}: entity ids repeat")
    return ids


def vessel_count(entries: Sequence[Mapping[str, Any]]) -> int:
    """The vessels among a version's stored entries (the rest are listed companies)."""
    return sum(1 for e in entries if e.get("record_type") != "entity")


# --- Watching versions (both backends) ----------------------------------------------------------


@dataclass
class VersionTracker:
    """Reports each list's newest version to the callback once; used by a single listener
    thread. A failing callback is logged, does not stop the listener, and is retried with the
    same version at the next look."""

    callback: VersionCallback
    on_retired: RetiredCallback | None = None
    reported: dict[str, str] = field(default_factory=dict)

    def offer(self, latest: Mapping[str, ListVersionRecord]) -> None:
        for list_id in sorted(set(self.reported) - set(latest)):
            # Reported before and no longer among the served: retired.
            if self.on_retired is not None:
                try:
                    self.on_retired(list_id)
                except Exception:
                    log.exception("list retirement callback failed for %s", list_id)
                    continue
            del self.reported[list_id]
        for list_id, record in sorted(latest.items()):
            version = record.version
            if version is None or self.reported.get(list_id) == version:
                continue
            try:
                self.callback(list_id, version)
            except Exception:
                # Not marked reported: the next look (poll, notification, reconnect) retries,
                # so a worker whose swap failed once does not keep the old version for good.
                log.exception("list version callback failed for %s@%s", list_id, version)
                continue
            self.reported[list_id] = version
