"""Port calls from tracks: a ship that enters a port area, stops there (slow, anchored or moored)
for the minimum time and leaves; brief steps outside the area are joined into one visit, as
GFW's port-visit method joins them.

Runs of "which port area is this report in" are found on the whole sorted arrays (change points
with flatnonzero); only the visits themselves, a few per ship, are looped over in Python. Each
visit gives an `AisEvent` of kind "port_call" and a `PortCall`, so the port-call risk policy in
`service.portcalls` reads AIS-derived calls like reported ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.ais.model import AisEvent, unix_to_datetime
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.tracks import IdentityTimeline, Motion, Tracks
from service.portcalls.calls import PortCall

__all__ = ["PortVisits", "find_port_calls", "stopped_mask"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PortVisits:
    events: list[AisEvent]
    calls: list[PortCall]


def stopped_mask(tracks: Tracks, motion: Motion, params: AisParams) -> npt.NDArray[np.bool_]:
    """Rows where the ship is stopped: speed at or under the stop speed, or a stopped status."""
    status = tracks.positions.status
    by_status = np.isin(status, np.asarray(params.port_stop_statuses, dtype=status.dtype))
    return np.asarray((motion.speed_kn <= params.port_stop_max_sog_kn) | by_status)


def find_port_calls(
    tracks: Tracks,
    motion: Motion,
    port_of: IntArray,
    areas: PortAreas,
    identity: IdentityTimeline,
    params: AisParams,
    source: str,
) -> PortVisits:
    """Port calls of every track. `port_of` is `areas.locate` of every row (-1 at sea)."""
    n = len(tracks)
    if n == 0:
        return PortVisits([], [])
    t = tracks.positions.t
    track_start = np.zeros(n, dtype=bool)
    track_start[tracks.starts] = True

    change = track_start.copy()
    change[1:] |= port_of[1:] != port_of[:-1]
    run_start = np.flatnonzero(change)
    run_end = np.append(run_start[1:], n)  # exclusive
    label = port_of[run_start]
    new_track = track_start[run_start]

    # A port run joins the visit before it when it follows one outside run, in the same track,
    # that began within the join time of this run's start: the ship stepped out briefly.
    merge = np.zeros(len(run_start), dtype=bool)
    if len(run_start) > 2:
        i = np.arange(2, len(run_start))
        merge[2:] = (
            (label[i] >= 0)
            & (label[i - 1] < 0)
            & (label[i - 2] == label[i])
            & ~new_track[i]
            & ~new_track[i - 1]
            & (t[run_start[i]] - t[run_start[i - 1]] <= params.port_join_hours * 3600)
        )
    port_runs = np.flatnonzero(label >= 0)
    if len(port_runs) == 0:
        return PortVisits([], [])
    opens = ~merge[port_runs]
    group = np.cumsum(opens) - 1
    first_run = port_runs[opens]
    last_run = port_runs[np.append(np.flatnonzero(opens)[1:], len(port_runs)) - 1]
    visit_start = run_start[first_run]
    visit_end = run_end[last_run] - 1  # inclusive
    visit_port = label[first_run]
    visit_runs = np.bincount(group, minlength=len(first_run))

    stop_rows = np.flatnonzero(stopped_mask(tracks, motion, params) & (port_of >= 0))
    visit_of = np.searchsorted(visit_start, stop_rows, side="right") - 1
    ok = (visit_of >= 0) & (stop_rows <= visit_end[np.maximum(visit_of, 0)])
    ok &= port_of[stop_rows] == visit_port[np.maximum(visit_of, 0)]
    stop_rows, visit_of = stop_rows[ok], visit_of[ok]
    if len(stop_rows) == 0:
        return PortVisits([], [])
    visits, first_at = np.unique(visit_of, return_index=True)
    last_at = np.append(first_at[1:], len(visit_of)) - 1
    first_stop, last_stop = stop_rows[first_at], stop_rows[last_at]
    stop_count = np.diff(np.append(first_at, len(visit_of)))
    long_enough = (t[last_stop] - t[first_stop]) >= params.port_min_stop_hours * 3600

    track_end = np.zeros(n, dtype=bool)
    track_end[tracks.ends - 1] = True
    p = tracks.positions
    events: list[AisEvent] = []
    calls: list[PortCall] = []
    for k in np.flatnonzero(long_enough):
        v = int(visits[k])
        lo, hi = int(visit_start[v]), int(visit_end[v])
        port = areas.ports[int(visit_port[v])]
        mmsi = str(int(p.mmsi[lo])).zfill(9)
        rows = slice(lo, hi + 1)
        stop_lo, stop_hi = int(first_stop[k]), int(last_stop[k])
        in_port = port_of[rows] == visit_port[v]
        arrived = unix_to_datetime(int(t[lo]))
        still_there = bool(track_end[hi])
        departed = None if still_there else unix_to_datetime(int(t[hi]))
        area_hours = (int(t[hi]) - int(t[lo])) / 3600
        stop_hours = (int(t[stop_hi]) - int(t[stop_lo])) / 3600
        reports = int(in_port.sum())
        longest_silence = float(np.diff(t[rows]).max(initial=0)) / 3600
        density = reports / max(area_hours, 1 / 60)
        stopped_here = slice(stop_lo, stop_hi + 1)
        lat = float(np.mean(p.lat[stopped_here]))
        lon = float(np.mean(p.lon[stopped_here]))
        confidence = round(
            min(0.95, 0.5 + 0.25 * min(1.0, stop_hours / 24) + 0.2 * min(1.0, density / 6)), 2
        )
        evidence = {
            "locode": port.locode,
            "port_name": port.name,
            "country": port.country,
            "port_lat": port.lat,
            "port_lon": port.lon,
            "port_radius_km": float(areas.radius_km[int(visit_port[v])]),
            "arrived_at": arrived.isoformat(),
            "departed_at": None if departed is None else departed.isoformat(),
            "still_in_port_at_track_end": still_there,
            "stop_began_at": unix_to_datetime(int(t[stop_lo])).isoformat(),
            "stop_ended_at": unix_to_datetime(int(t[stop_hi])).isoformat(),
            "hours_in_area": round(area_hours, 2),
            "hours_stopped": round(stop_hours, 2),
            "stopped_reports": int(stop_count[k]),
            "reports_in_area": reports,
            "reports_per_hour": round(density, 2),
            "longest_silence_hours": round(longest_silence, 2),
            "steps_outside": int(visit_runs[v]) - 1,
            "entry": {"lat": float(p.lat[lo]), "lon": float(p.lon[lo])},
            "exit": {"lat": float(p.lat[hi]), "lon": float(p.lon[hi])},
            "confidence": confidence,
        }
        end = unix_to_datetime(int(t[hi]))
        events.append(AisEvent("port_call", mmsi, arrived, end, lat, lon, evidence, source))
        span = identity.identity_at(mmsi, arrived)
        calls.append(
            PortCall(
                imo=span.imo if span is not None else None,
                mmsi=mmsi,
                locode=port.locode,
                port_name=port.name,
                country=port.country,
                arrived_at=arrived,
                departed_at=departed,
                source=f"ais:{source}" if source else "ais",
                note=(
                    f"AIS: stopped {stop_hours:.1f} h in the {port.locode} port area "
                    f"({reports} reports)"
                    + ("; still there when the track ends" if still_there else "")
                ),
                confidence=confidence,
            )
        )
    return PortVisits(events, calls)
