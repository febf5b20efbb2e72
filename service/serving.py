"""What the service is serving right now: one screening index and one port-call index, each
swapped whole when something new is published.

A request reads `Serving.index` once and works only with that object, so a swap mid-request
never mixes two list versions in one answer. The swap is a single reference assignment, atomic
under the GIL.

List versions go through the store: a list that loaded whole is published there, and every
worker of every instance listens for published versions (`start_listening`, after the fork) and
swaps in the newest, read back from the store, so all serve the same version.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service import collector, metrics, snapshot
from service.ais_serving import AisData
from service.index import ScreeningIndex, build_index
from service.loaders.errors import ListLoadError
from service.loaders.registry import load_lists
from service.matcher import Policy
from service.model import LoadedList
from service.names import name_readings, normalize_company, normalize_name
from service.portcalls.calls import CallFileSummary, PortCall, PortCallIndex
from service.portcalls.ports import PortTable
from service.portcalls.risk import RiskPolicy
from service.rescreen import past_from_answer, rescreen
from service.screening import Context
from service.settings import Settings
from service.sources import policy_of, read_port_files
from service.store import AlertRecord, Listener, Store, StoreError
from service.store.recorder import Recorder
from service.versions import diff, loaded_from_records, records_of

log = logging.getLogger("service.serving")

# How far back re-screening looks when a new list version adds or changes vessels.
RESCREEN_DAYS = 365


@dataclass
class PortData:
    """Port table, risk policy and the port calls: from files at start, plus those pushed
    (kept in the store and taken in by every worker at most `poll_seconds` after the push)."""

    ports: PortTable
    risk: RiskPolicy
    files: list[CallFileSummary]
    store: Store
    poll_seconds: float
    calls: PortCallIndex
    _seq: int = 0
    _polled: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, force: bool = False) -> PortCallIndex:
        now = time.monotonic()
        if not force and now - self._polled < self.poll_seconds:
            return self.calls
        with self._lock:
            try:
                new, self._seq = self.store.port_calls_since(self._seq)
            except StoreError as exc:
                log.error("port calls not refreshed from the store: %s", exc)
                return self.calls
            self._polled = now
            if new:
                self.calls = self.calls.add(new)
            return self.calls


def load_port_data(settings: Settings, store: Store) -> PortData:
    """The port files (see `sources.read_port_files`) and the calls pushed to the store."""
    port = read_port_files(settings)
    data = PortData(
        port.ports, port.risk, port.files, store, settings.port_calls_poll_seconds, port.calls
    )
    data.refresh(force=True)
    return data


def release_memory() -> None:
    """Give back to the system the memory the parsed lists took (the index keeps none of their
    objects), so that the workers forked next do not start with it: the normalisation caches
    emptied (the last names of the build, left all over the memory the build took, would keep
    much of it from being freed), a collection, then glibc's free memory returned (a no-op
    where there is no glibc). The caches fill again with the names queries send."""
    for cached in (normalize_name, name_readings, normalize_company):
        cached.cache_clear()
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass
class Serving:
    settings: Settings
    policy: Policy
    store: Store
    port_data: PortData
    index: ScreeningIndex | None = None
    last_error: str | None = None
    listener: Listener | None = None
    # Set on SIGTERM (gunicorn.conf.py): still serving, but /readyz sends traffic elsewhere.
    draining: bool = False
    # Raw AIS and the behaviour derived from it (AIS_DIR, POST /v1/ais, the bundled sample).
    ais: AisData | None = None
    # Entries (vessels and companies) of the lists the last reload parsed and indexed here and
    # kept in a snapshot; 0 when it served a snapshot already kept or kept none.
    built_into_snapshot: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        # Every answered screening is recorded through it, and counted once committed.
        self.recorder = Recorder(self.store, metrics.count_screenings, metrics.count_refused)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> Serving:
        port_data = load_port_data(settings, store)
        ais = AisData.load(settings, store, port_data.ports)
        return cls(settings, policy_of(settings), store, port_data, ais=ais)

    # --- Lists ---------------------------------------------------------------------------------

    def reload(self, lists_dir: Path | None = None) -> bool:
        """Load the lists from files, publish each in the store, and serve them.

        Any failure (a bad file, the store unable to keep the version) leaves what was served
        serving, and the failure is recorded and shown by /readyz and GET /v1/lists.
        """
        folder = lists_dir or self.settings.lists_dir
        starting = self.index is None  # port data was read a moment ago, in from_settings
        # The collector paused (service/collector.py) for the load, the store writes of the
        # publishing thread and the build alike.
        with self._lock, collector.paused():
            key = None
            if self.settings.snapshots != "off":
                # Where the folder cannot be read, loading the lists says what is wrong.
                with contextlib.suppress(ListLoadError, OSError):
                    key = snapshot.key_of(folder)
            kept = None if key is None else snapshot.load(self.settings.data_dir, key)
            if kept is not None:
                key = None  # served from the snapshot already
            try:
                loaded = load_lists(folder) if kept is None else kept[0]
            except (ListLoadError, OSError) as exc:
                self._failed(f"list load from {folder} failed: {exc}")
                return False
            # The store writes and the index build overlap; the index is served only once every
            # version is stored. With snapshots, a forked process builds the index and writes
            # it, while this one stores the versions, and the index is served from its file,
            # mapped: its arrays in the page cache, shared by every worker, rather than in this
            # process's memory.
            data_dir = self.settings.data_dir
            apart = False
            with ThreadPoolExecutor(1, thread_name_prefix="publish") as pool:
                stored = pool.submit(self._publish_all, loaded, folder)
                index = None if kept is None else kept[1]
                if index is None and key is not None:
                    if snapshot.build_apart(data_dir, key, loaded):
                        index = snapshot.mapped(data_dir, key, [lst.info for lst in loaded])
                    if index is not None:
                        key = None  # written already
                        apart = True
                if index is None:
                    index = build_index(loaded)
                try:
                    stored.result()
                except (StoreError, ValueError) as exc:
                    self._failed(f"list version not stored, not served: {exc}")
                    return False
            self._serve(loaded, index)
            built = 0 if kept is not None else sum(len(x.vessels) + len(x.entities) for x in loaded)
            del loaded, index, kept  # the parsed lists: the index holds what it needs of them
            # Built here (no fork): written now, then served from the file all the same.
            written = (
                key is not None
                and self.index is not None
                and snapshot.save(data_dir, key, list(self.index.loaded), self.index)
            )
            if written and key is not None and self.index is not None:
                self.index = snapshot.mapped(data_dir, key, self.index.lists) or self.index
            self.built_into_snapshot = built if apart or written else 0
            self.last_error = None
        release_memory()
        if not starting:
            self.reload_port_data()
        return True

    def _publish_all(self, loaded: list[LoadedList], folder: Path) -> None:
        """Publish every loaded list, then make them the served set: a list that the folder no
        longer names is retired in every worker and instance, its history kept."""
        for lst in loaded:
            self._publish(lst)
        for list_id in self.store.retire_lists([lst.info.id for lst in loaded], datetime.now(UTC)):
            log.warning(
                "retired %s: %s no longer names it; its versions stay in the store, "
                "it is no longer served",
                list_id,
                folder,
            )

    def reload_port_data(self) -> None:
        """Read the port table, the risk policy and the port-call files again (pushed calls
        stay: they are in the store); on a bad policy file keep what was loaded."""
        try:
            self.port_data = load_port_data(self.settings, self.store)
        except (ValueError, OSError) as exc:
            log.error("port data not reloaded, keeping the previous: %s", exc)
        # AIS_DIR's new files, and the port areas of the table just read.
        self.ais = AisData.load(self.settings, self.store, self.port_data.ports)

    def record_failure(self, list_id: str, message: str) -> None:
        """A failure met outside `reload` (a list download): shown and kept like a bad file."""
        self._failed(message, list_id)

    def _failed(self, message: str, list_id: str = "*") -> None:
        self.last_error = message
        metrics.list_load_failed(list_id)
        log.error("%s; still serving the previous version", message)
        try:
            self.store.record_load_failure(list_id, message, datetime.now(UTC))
            if self.index is None:
                self._serve_published()
        except StoreError as exc:
            log.error("the failure itself could not be recorded: %s", exc)

    def _serve_published(self) -> None:
        """At start, with no good files: serve the newest versions the store has published."""
        loaded = []
        for list_id, record in self.store.latest_versions().items():
            entries = self.store.list_version_entries(list_id, record.version or "")
            if entries is not None:
                loaded.append(loaded_from_records(record.to_list_info(), entries))
        if loaded:
            log.warning("serving the last published versions from the store")
            self._serve(loaded)

    def _publish(self, lst: LoadedList) -> None:
        previous = self.store.latest_version(lst.info.id)
        if previous is not None and previous.version == lst.info.version:
            return  # a restart on the same files: stored already, nothing to build or write
        records = records_of(lst)
        # Against the last published version (vessels and companies alike), so the guard also
        # holds for the first load after a restart, when nothing is served yet.
        if previous is not None and previous.version != lst.info.version:
            floor = previous.entries * (1 - self.settings.max_list_shrink)
            if len(records) < floor:
                raise ValueError(
                    f"{lst.info.id} version {lst.info.version} has {len(records)} entries "
                    f"against {previous.entries} in version {previous.version}: it shrank by "
                    f"more than MAX_LIST_SHRINK ({self.settings.max_list_shrink:.0%}), so it is "
                    "refused as a likely broken or partial file"
                )
        # The store keeps the listed companies with the vessels (owner screening needs them) and
        # counts both; the served ListInfo counts vessels (see versions.loaded_from_records).
        stored = replace(lst.info, entries=len(records))
        if not self.store.publish_list_version(stored, records):
            return
        log.info(
            "published %s version %s (%d vessels)", lst.info.id, lst.info.version, lst.info.entries
        )
        if previous is not None and previous.version and previous.version != lst.info.version:
            threading.Thread(
                target=self._rescreen,
                args=(lst, previous.version),
                name=f"rescreen-{lst.info.id}",
                daemon=True,
            ).start()

    def _serve(self, loaded: list[LoadedList], index: ScreeningIndex | None = None) -> None:
        """Serve `loaded` (`index`: its index, where already built)."""
        self.index = index or build_index(loaded)
        log.info(
            "serving %s",
            ", ".join(f"{i.id}@{i.version} ({i.entries} vessels)" for i in self.index.lists),
        )

    def start_listening(self, poll_interval: float | None = None) -> None:
        """Follow published versions (call in each worker, after gunicorn forks)."""
        if self.listener is None:
            self.listener = self.store.listen_versions(
                self._on_version, poll_interval, self._on_retired
            )

    def _on_version(self, list_id: str, version: str) -> None:
        """Serve `version` of `list_id` if it is not what this worker serves already."""
        current = self.index
        if current is not None and any(
            i.id == list_id and i.version == version for i in current.lists
        ):
            return
        record = next(
            (r for r in self.store.list_versions(list_id) if r.version == version and r.published),
            None,
        )
        with collector.paused():  # a million records read back and made into entities
            entries = self.store.list_version_entries(list_id, version)
            if record is None or entries is None:
                return
            incoming = loaded_from_records(record.to_list_info(), entries)
        with self._lock:
            kept = [] if self.index is None else self._loaded_except(self.index, list_id)
            self._serve([*kept, incoming])

    def _on_retired(self, list_id: str) -> None:
        """Stop serving a list the store retired (another process reloaded without it)."""
        with self._lock:
            if self.index is None or list_id not in self.index.list_ids:
                return
            kept = self._loaded_except(self.index, list_id)
            log.warning("no longer serving %s: retired", list_id)
            if kept:
                self._serve(kept)
            else:
                self.index = None

    @staticmethod
    def _loaded_except(index: ScreeningIndex, list_id: str) -> list[LoadedList]:
        return [lst for lst in index.loaded if lst.info.id != list_id]

    def _rescreen(self, lst: LoadedList, previous_version: str) -> None:
        """Screen the last year's queries again against what the new version added or changed,
        and store new or stronger matches as alerts."""
        try:
            before = self.store.list_version_entries(lst.info.id, previous_version) or []
            changes = diff(loaded_from_records(lst.info, before).vessels, lst.vessels)
            if not changes.touched:
                return
            since = datetime.now(UTC) - timedelta(days=RESCREEN_DAYS)
            past = (
                past_from_answer(r.screening_id, r.query, r.response)
                for r in self.store.screenings_since(since)
            )
            alerts = rescreen(past, changes, lst.info, self.policy)
            now = datetime.now(UTC)
            stored = self.store.save_alerts(
                [
                    AlertRecord(
                        alert_id=f"{a.screening_id}:{a.list_id}:{a.version}:{a.entity_id}",
                        created_at=now,
                        screening_id=a.screening_id,
                        list_id=a.list_id,
                        version=a.version,
                        entity_id=a.entity_id,
                        score=a.score,
                        decision=a.decision,
                        previous_decision=a.previous_decision,
                        reason=a.reason,
                    )
                    for a in alerts
                ]
            )
            log.info(
                "re-screening after %s@%s: %d new alerts", lst.info.id, lst.info.version, stored
            )
        except Exception:  # a background job must log, never die silently
            log.exception("re-screening after %s@%s failed", lst.info.id, lst.info.version)

    # --- Port calls ----------------------------------------------------------------------------

    def port_calls(self) -> PortCallIndex:
        return self.port_data.refresh()

    def context(self, index: ScreeningIndex) -> Context:
        """What a screening against `index` reads, as served at this moment."""
        calls = self.port_calls()
        behaviour = None
        if self.ais is not None:
            behaviour = self.ais.current()
            calls = self.ais.calls_with_ais(calls)
        return Context(
            index,
            self.policy,
            calls,
            self.port_data.risk,
            self.settings.port_call_window_days,
            behaviour,
        )

    def push_calls(self, calls: list[PortCall]) -> None:
        """Store pushed calls (raises StoreError when they are not kept)."""
        self.store.save_port_calls(calls)
        self.port_data.refresh(force=True)

    def ready_reasons(self) -> list[str]:
        reasons = []
        if self.draining:
            reasons.append("draining: the service is shutting down")
        if self.index is None:
            reasons.append("no sanctions list is loaded")
        if self.recorder.recently_failed:
            # Known down a moment ago: say so at once rather than wait out another timeout.
            reasons.append("the store failed to record a screening a moment ago")
        else:
            try:
                self.store.ping()
            except StoreError as exc:
                reasons.append(f"the store does not answer: {exc}")
        if self.listener is not None and not self.listener.alive:
            reasons.append("the list version listener has stopped")
        return reasons
