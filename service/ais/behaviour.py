"""What the AIS on record shows a listed ship did: its derived events within a window, the risk
flags they raise, and its track, looked up by the ship's IMO and MMSI.

Built once per AIS generation (every ingest makes a new one) from all positions and static
reports held, and swapped whole, like the screening index: a screening reads one `Behaviour`.
Looking a ship up is a few dict and array look-ups, so a screening with events attached costs
next to nothing more than one without.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from service.ais.derive import DerivedEvents, derive_events
from service.ais.identity import mid_flag_mismatch
from service.ais.model import AisEvent, EventKind, Positions, StaticReport
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.tracks import Tracks
from service.model import Vessel
from service.portcalls.risk import RiskFlag

# The risk flag each behaviour event raises (port calls raise the port-call flags instead).
EVENT_FLAGS: dict[EventKind, str] = {
    "ais_gap": "ais_gap",
    "ship_to_ship": "ship_to_ship",
    "identity_change": "identity_change",
    "position_jump": "position_jump",
}
MID_FLAG = "mmsi_flag_mismatch"


@dataclass(frozen=True, eq=False)
class Behaviour:
    derived: DerivedEvents
    tracks: Tracks
    generation: int
    sources: tuple[str, ...] = ()

    @property
    def positions(self) -> int:
        return len(self.tracks)

    def mmsis_of(self, vessel: Vessel) -> list[str]:
        """Every MMSI the ship may broadcast under: its listed one and those that sent its
        IMO."""
        return sorted(self.derived.identity.mmsis_for(imo=vessel.imo, mmsi=vessel.mmsi))

    def events_of(self, vessel: Vessel, since: datetime | None = None) -> list[AisEvent]:
        """The ship's events that end at or after `since` (all when None), in time order;
        a port call is kept too (it also feeds the port-call history)."""
        found = self.derived.for_vessel(imo=vessel.imo, mmsi=vessel.mmsi)
        if since is not None:
            found = [e for e in found if e.end >= since]
        return found

    def track_of(
        self,
        vessel: Vessel,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 2000,
    ) -> tuple[list[str], Positions, int]:
        """The ship's positions between `start` and `end` (every MMSI it used, in time order),
        thinned evenly to at most `limit` points: (MMSIs, points, how many there were)."""
        mmsis = self.mmsis_of(vessel)
        parts = [self.tracks.track(m) for m in mmsis]
        merged = Positions.concat(parts)
        if len(merged) == 0:
            return mmsis, merged, 0
        merged = merged.take(np.argsort(merged.t, kind="stable"))
        lo = 0 if start is None else int(np.searchsorted(merged.t, start.timestamp(), "left"))
        hi = (
            len(merged) if end is None else int(np.searchsorted(merged.t, end.timestamp(), "right"))
        )
        window = merged.take(slice(lo, hi))
        total = len(window)
        if total > limit > 0:
            # Evenly spaced, first and last kept: the shape of the voyage at any zoom.
            window = window.take(np.unique(np.linspace(0, total - 1, limit).round().astype(int)))
        return mmsis, window, total


def behaviour_flags(vessel: Vessel, events: Sequence[AisEvent]) -> list[RiskFlag]:
    """One flag per kind of behaviour shown, with the evidence summed up in words; and one when
    an MMSI the ship used names (by its MID) a flag state other than the listed flags."""
    flags: list[RiskFlag] = []
    by_kind: dict[str, list[AisEvent]] = {}
    for event in events:
        if event.kind in EVENT_FLAGS:
            by_kind.setdefault(EVENT_FLAGS[event.kind], []).append(event)
    for code, found in by_kind.items():
        flags.append(RiskFlag(code, _reason(code, found)))
    seen = {e.mmsi for e in events}
    if vessel.mmsi:
        seen.add(vessel.mmsi)
    for mmsi in sorted(seen):
        mismatch = mid_flag_mismatch(mmsi, vessel.flags)
        if mismatch is not None:
            flags.append(
                RiskFlag(
                    MID_FLAG,
                    f"MMSI {mmsi} names {mismatch['mid_flag_name']} by its MID "
                    f"{mismatch['mid']}; the list gives {', '.join(mismatch['listed_flags'])}",
                )
            )
            break
    return flags


def _reason(code: str, events: list[AisEvent]) -> str:
    first, last = events[0], events[-1]
    count = f"{len(events)} time{'s' if len(events) > 1 else ''}"
    span = f"{_day(first.start)} to {_day(last.end)}"
    if code == "ais_gap":
        longest = max(e.hours for e in events)
        return f"AIS dark at sea {count} ({span}), the longest {longest:.0f} h"
    if code == "ship_to_ship":
        others = sorted(
            {str(e.evidence.get("other_name") or e.evidence.get("other_mmsi")) for e in events}
        )
        return f"alongside another ship at sea {count} ({span}): {', '.join(others)}"
    if code == "position_jump":
        return f"positions jumped impossibly {count} ({span}): spoofing or a shared MMSI"
    return f"broadcast identity changed {count} ({span})"


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def source_label(sources: Sequence[str]) -> str:
    """What derived events and calls name as their source (`ais:<this>`): the file or feed,
    or the first and how many more when positions from several were joined into tracks."""
    if not sources:
        return ""
    return sources[0] if len(sources) == 1 else f"{sources[0]} and {len(sources) - 1} more"


def build_behaviour(
    positions: Positions | Iterable[Positions],
    statics: Iterable[StaticReport],
    areas: PortAreas,
    params: AisParams,
    generation: int,
    sources: Sequence[str] = (),
    processes: int = 1,
) -> Behaviour:
    merged = positions if isinstance(positions, Positions) else Positions.concat(positions)
    statics = list(statics)
    derived = derive_events(merged, statics, areas, params, source_label(sources), processes)
    return Behaviour(derived, Tracks.build(merged), generation, tuple(sources))
