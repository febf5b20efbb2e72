"""The AIS behaviour a service serves: built from everything in the store plus the bundled
sample, rebuilt when the store's AIS generation grows (an ingest by any worker or instance),
and swapped whole.

A rebuild derives every event again over all positions held: simple, and right when a new file
fills in a track (a gap closed by late positions, a meeting with a ship heard elsewhere). It
runs in a background thread; screenings meanwhile use the previous `Behaviour`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from service.ais.behaviour import Behaviour, build_behaviour
from service.ais.folder import FolderAis, read_sample
from service.ais.ingest import IngestResult, ingest, ingest_folder
from service.ais.port_areas import PortAreas
from service.portcalls.calls import PortCallIndex
from service.portcalls.ports import PortTable
from service.settings import Settings
from service.store import Store, StoreError

log = logging.getLogger("service.ais")

@dataclass
class AisData:
    settings: Settings
    store: Store
    areas: PortAreas
    # The bundled sample, rendered at load and never stored: (positions, statics, names).
    sample: FolderAis | None = None
    behaviour: Behaviour | None = None
    _polled: float = 0.0
    _building: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Port calls with the AIS-derived ones added, for the port-call index they were added to.
    _calls: tuple[int, int, PortCallIndex] | None = None

    @classmethod
    def load(cls, settings: Settings, store: Store, ports: PortTable) -> AisData:
        """Ingest AIS_DIR's files not stored yet, render the sample, derive."""
        data = cls(settings, store, PortAreas.build(ports, settings.ais_params))
        data.read_folder()
        data.rebuild()
        return data

    def read_folder(self) -> None:
        folder = Path(self.settings.ais_dir) if self.settings.ais_dir else None
        if folder is None or not folder.is_dir():
            return
        ingest_folder(self.store, folder)
        self.sample = read_sample(folder)

    def rebuild(self) -> None:
        """Derive from what the store holds now (and the sample); on a store failure keep the
        behaviour served."""
        try:
            generation = self.store.ais_generation()
            positions = [self.store.ais_positions()]
            statics = self.store.ais_statics()
            sources = self.store.ais_sources()
        except StoreError as exc:
            log.error("AIS not read from the store, keeping what is served: %s", exc)
            return
        if self.sample is not None:
            positions.extend(self.sample[0])
            statics = [*statics, *self.sample[1]]
            sources.extend(self.sample[2])
        started = time.monotonic()
        built = build_behaviour(
            positions, statics, self.areas, self.settings.ais_params, generation, sources
        )
        self.behaviour = built
        self._polled = time.monotonic()
        log.info(
            "AIS behaviour: %d positions of %d ships, %s (%.1f s)",
            built.positions,
            built.tracks.ship_count,
            dict(built.derived.counts()) or "no events",
            time.monotonic() - started,
        )

    def current(self) -> Behaviour | None:
        """The behaviour to screen with; at most every PORT_CALLS_POLL_SECONDS, a look at the
        store's generation starts a rebuild in the background when it grew."""
        now = time.monotonic()
        if now - self._polled >= self.settings.port_calls_poll_seconds and not self._building:
            self._polled = now
            try:
                generation = self.store.ais_generation()
            except StoreError:
                return self.behaviour
            served = self.behaviour.generation if self.behaviour else -1
            if generation != served:
                with self._lock:
                    if not self._building:
                        self._building = True
                        threading.Thread(target=self._rebuild_now, daemon=True).start()
        return self.behaviour

    def _rebuild_now(self) -> None:
        try:
            self.rebuild()
        except Exception:  # a background job must log, never die silently
            log.exception("AIS behaviour rebuild failed")
        finally:
            self._building = False

    def calls_with_ais(self, calls: PortCallIndex) -> PortCallIndex:
        """`calls` with the AIS-derived port calls added (so the port-call flags apply)."""
        behaviour = self.behaviour
        if behaviour is None or not behaviour.derived.port_calls:
            return calls
        cached = self._calls
        if cached is not None and cached[0] == id(calls) and cached[1] == id(behaviour):
            return cached[2]
        merged = calls.add(behaviour.derived.port_calls)
        self._calls = (id(calls), id(behaviour), merged)
        return merged

    def ingest(self, body: bytes, name: str) -> IngestResult:
        """Store a posted body and derive again in this worker (the others follow the
        generation)."""
        result = ingest(self.store, body, name)
        if result.new:
            self.rebuild()
        return result
