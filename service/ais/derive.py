"""All AIS events of a set of positions and static reports, and the port calls they imply.

`derive_events` is the entry point. The work is partitioned so it can run spread out:

- Ship-wise events (port calls, gaps, jumps) need one ship's track only. `derive_partition`
  takes any set of whole tracks (e.g. MMSI modulo N, `Tracks.partition`) and returns their
  events, their port calls and their encounter points (one averaged point per slow ship and
  time bin, a small fraction of the positions).
- Meetings need several ships: the encounter points of all partitions are concatenated and
  joined by (time bin, space cell) in `find_encounters`. For data too large for one machine,
  that join splits by bands of cell rows (latitude), each band taking one row of overlap from
  its neighbours, and each band runs alone.
- Identity events need only the static reports, grouped by MMSI (or IMO for shared IMOs).

On one machine, `processes=N` runs N partitions in forked worker processes: each inherits the
positions (nothing large goes through a pipe), sorts its own MMSIs into tracks and derives them;
only events, port calls and encounter points come back. On an engine past one machine (Spark, Dask,
Ray, a batch queue), shuffle positions by MMSI modulo N, run `derive_partition` per partition
with the same `PortAreas` and `AisParams` broadcast to every worker, collect the encounter points
(shuffled by latitude band if large) into `find_encounters`, and union the events.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from service.ais.encounters import EncounterPoints, encounter_points, find_encounters
from service.ais.gaps import find_gaps
from service.ais.identity import find_identity_changes, find_shared_imos
from service.ais.jumps import find_jumps
from service.ais.model import AisEvent, EventKind, Positions, StaticReport
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.port_visits import find_port_calls
from service.ais.tracks import IdentityTimeline, Motion, Tracks
from service.identifiers import normalize_mmsi
from service.portcalls.calls import PortCall

__all__ = ["DerivedEvents", "PartitionResult", "derive_events", "derive_partition"]


@dataclass(frozen=True, eq=False)
class PartitionResult:
    """What one partition of whole tracks gives: its ship-wise events and port calls, and the
    points its ships contribute to the meeting search."""

    events: list[AisEvent]
    calls: list[PortCall]
    points: EncounterPoints


@dataclass(frozen=True, eq=False)
class DerivedEvents:
    """Every derived event, indexed by MMSI (each ship's in start order), and the port calls.
    A meeting appears under both ships' MMSIs, each naming the other."""

    events: list[AisEvent]
    port_calls: list[PortCall]
    identity: IdentityTimeline
    by_mmsi: dict[str, list[AisEvent]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, events: Iterable[AisEvent], calls: list[PortCall], identity: IdentityTimeline
    ) -> DerivedEvents:
        ordered = sorted(events, key=lambda e: (e.mmsi, e.start, e.kind))
        by_mmsi: dict[str, list[AisEvent]] = {}
        for event in ordered:
            by_mmsi.setdefault(event.mmsi, []).append(event)
        calls = sorted(calls, key=lambda c: (c.mmsi or "", c.arrived_at))
        return cls(ordered, calls, identity, by_mmsi)

    def for_mmsi(self, mmsi: str | int, kind: EventKind | None = None) -> list[AisEvent]:
        """Events of one MMSI (of one kind when given), in start order."""
        found = self.by_mmsi.get(normalize_mmsi(mmsi) or "", [])
        return found if kind is None else [e for e in found if e.kind == kind]

    def for_vessel(self, imo: str | None = None, mmsi: str | None = None) -> list[AisEvent]:
        """Events of every MMSI a listed ship may use: its MMSI and those that broadcast its
        IMO (`IdentityTimeline.mmsis_for`)."""
        found: list[AisEvent] = []
        for m in sorted(self.identity.mmsis_for(imo=imo, mmsi=mmsi)):
            found.extend(self.by_mmsi.get(m, []))
        return sorted(found, key=lambda e: (e.start, e.mmsi, e.kind))

    def counts(self) -> Counter[str]:
        """Events by kind (a meeting counts once per ship)."""
        return Counter(e.kind for e in self.events)


def derive_partition(
    tracks: Tracks,
    areas: PortAreas,
    identity: IdentityTimeline,
    params: AisParams,
    source: str,
) -> PartitionResult:
    """Ship-wise events, port calls and encounter points of a set of whole tracks."""
    motion = Motion.of(tracks)
    port_of = areas.locate(tracks.positions.lat, tracks.positions.lon)
    visits = find_port_calls(tracks, motion, port_of, areas, identity, params, source)
    events = [
        *visits.events,
        *find_gaps(tracks, motion, areas, params, source),
        *find_jumps(tracks, motion, params, source),
    ]
    points = encounter_points(tracks, motion, port_of, areas, params)
    return PartitionResult(events, visits.calls, points)


def derive_events(
    positions: Positions | Iterable[Positions],
    statics: Iterable[StaticReport],
    port_areas: PortAreas,
    params: AisParams | None = None,
    source: str = "",
    processes: int = 1,
) -> DerivedEvents:
    """Every event kind over the positions (any order, one batch or several) and static reports.

    `processes` > 1 derives that many MMSI partitions in forked processes where the platform
    forks (Linux); elsewhere, or with 1, it runs in this process.
    """
    params = params or AisParams()
    merged = positions if isinstance(positions, Positions) else Positions.concat(positions)
    identity = IdentityTimeline(statics)
    results = _partitions(merged, port_areas, identity, params, source, processes)
    points = EncounterPoints.concat(r.points for r in results)
    events = [e for r in results for e in r.events]
    events += find_encounters(points, identity, params, source)
    events += find_identity_changes(identity, params, source)
    events += find_shared_imos(identity, source)
    return DerivedEvents.of(events, [c for r in results for c in r.calls], identity)


# Set in the parent before forking: workers read their partition of it instead of receiving
# the arrays through a pipe.
_SHARED: tuple[Positions, PortAreas, IdentityTimeline, AisParams, str, int] | None = None


def _run_shared(part: int) -> PartitionResult:
    assert _SHARED is not None
    positions, areas, identity, params, source, parts = _SHARED
    tracks = Tracks.build(positions.take(positions.mmsi % parts == part))
    return derive_partition(tracks, areas, identity, params, source)


def _partitions(
    positions: Positions,
    areas: PortAreas,
    identity: IdentityTimeline,
    params: AisParams,
    source: str,
    processes: int,
) -> list[PartitionResult]:
    """Derive in this process, or in `processes` forked workers each sorting and deriving the
    MMSIs of one residue class (sorting is the largest single cost, so it is split too)."""
    forks = "fork" in multiprocessing.get_all_start_methods()
    if processes <= 1 or not forks or len(positions) < 2:
        return [derive_partition(Tracks.build(positions), areas, identity, params, source)]
    global _SHARED
    parts = max(1, min(processes, os.cpu_count() or processes))
    _SHARED = (positions, areas, identity, params, source, parts)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=parts, mp_context=context) as pool:
            return list(pool.map(_run_shared, range(parts)))
    finally:
        _SHARED = None
