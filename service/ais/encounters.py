"""Ship-to-ship meetings: two MMSIs within `encounter_max_distance_m` of each other, slow, away
from ports, for at least `encounter_min_hours` (GFW's encounter definition, as settings).

Two steps, so that the expensive one runs per partition of ships:

1. `encounter_points` (per MMSI partition): each ship's slow reports outside the buffered port
   areas, averaged into one point per time bin. This is small: one point per ship and bin.
2. `find_encounters` (over all points, or per band of space cells): points are keyed by (bin,
   cell) and every point looks up only its own and the eight neighbouring cells in the same
   bin, with a searchsorted on the sorted keys; pairs are never formed between all ships.
   Close pairs are then grouped per ship pair into runs of nearby bins. Cells do not wrap at
   the antimeridian: a meeting straddling longitude 180 is not found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.ais.geo import KM_PER_NM, haversine_km
from service.ais.model import AisEvent, unix_to_datetime
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.tracks import IdentityTimeline, Motion, Tracks

__all__ = ["EncounterPoints", "encounter_points", "find_encounters"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_KM_PER_DEG = 111.2
# Cells a little wider than the meeting distance, so rounding never hides a neighbour.
_CELL_MARGIN = 1.1


@dataclass(frozen=True, eq=False)
class EncounterPoints:
    """One point per ship and time bin: mean position and speed of its slow reports in the bin,
    and the first and last report times."""

    mmsi: IntArray
    bin: IntArray
    t_first: IntArray
    t_last: IntArray
    lat: FloatArray
    lon: FloatArray
    sog: FloatArray

    def __len__(self) -> int:
        return len(self.mmsi)

    @classmethod
    def concat(cls, parts: Iterable[EncounterPoints]) -> EncounterPoints:
        parts = list(parts)
        names = ("mmsi", "bin", "t_first", "t_last", "lat", "lon", "sog")
        return cls(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))


def encounter_points(
    tracks: Tracks, motion: Motion, port_of: IntArray, areas: PortAreas, params: AisParams
) -> EncounterPoints:
    """The slow, away-from-port reports of these tracks, one averaged point per ship and bin.
    Reports up to twice the median-speed limit are kept so a brief speed-up does not split a
    meeting; the median test in `find_encounters` decides."""
    p = tracks.positions
    keep = np.flatnonzero(
        (motion.speed_kn <= 2 * params.encounter_max_median_sog_kn) & (port_of < 0)
    )
    if len(keep) and params.encounter_port_buffer_nm > 0:
        near = areas.buffered(params.encounter_port_buffer_nm).contains(p.lat[keep], p.lon[keep])
        keep = keep[~near]
    bin_s = params.encounter_bin_minutes * 60
    mmsi, t = p.mmsi[keep], p.t[keep]
    bins = t // bin_s
    if len(keep) == 0:
        e = np.empty(0, np.int64)
        f = np.empty(0, np.float64)
        return EncounterPoints(e, e, e, e, f, f, f)
    # Rows are in (mmsi, t) order, so (mmsi, bin) groups are contiguous.
    starts = np.flatnonzero(
        np.concatenate(([True], (mmsi[1:] != mmsi[:-1]) | (bins[1:] != bins[:-1])))
    )
    counts = np.diff(np.append(starts, len(keep)))
    ends = starts + counts - 1
    return EncounterPoints(
        mmsi=mmsi[starts],
        bin=bins[starts],
        t_first=t[starts],
        t_last=t[ends],
        lat=np.add.reduceat(p.lat[keep], starts) / counts,
        lon=np.add.reduceat(p.lon[keep], starts) / counts,
        sog=np.add.reduceat(motion.speed_kn[keep], starts) / counts,
    )


def _close_pairs(points: EncounterPoints, max_km: float) -> tuple[IntArray, IntArray, FloatArray]:
    """Index pairs (a, b) of points in the same bin, MMSI a < MMSI b, within `max_km`, and
    their distances in km."""
    dlat = max_km * _CELL_MARGIN / _KM_PER_DEG
    rows_total = int(np.ceil(180.0 / dlat)) + 2
    row = np.floor((points.lat + 90.0) / dlat).astype(np.int64)

    # Each row's cell width in longitude is set at its poleward edge, so a cell is at least the
    # distance wide everywhere in it.
    def width(r: IntArray) -> FloatArray:
        edge = np.maximum(np.abs(r * dlat - 90.0), np.abs((r + 1) * dlat - 90.0))
        return np.asarray(dlat / np.maximum(np.cos(np.radians(np.minimum(edge, 89.9))), 1e-3))

    # Widths never fall below `dlat`, so no row has more columns than the equator's.
    max_cols = int(np.ceil(360.0 / dlat)) + 3
    bin0 = points.bin - points.bin.min()

    def key(b: IntArray, r: IntArray, c: IntArray) -> IntArray:
        return np.asarray((b * rows_total + r) * max_cols + c)

    col = np.floor((points.lon + 180.0) / width(row)).astype(np.int64)
    own = key(bin0, row, col)
    order = np.argsort(own, kind="stable")
    sorted_keys = own[order]
    found_a: list[IntArray] = []
    found_b: list[IntArray] = []
    idx = np.arange(len(points))
    for dr in (-1, 0, 1):
        r = row + dr
        c0 = np.floor((points.lon + 180.0) / width(r)).astype(np.int64)
        for dc in (-1, 0, 1):
            q = key(bin0, r, c0 + dc)
            lo = np.searchsorted(sorted_keys, q, side="left")
            hi = np.searchsorted(sorted_keys, q, side="right")
            counts = hi - lo
            has = counts > 0
            if not has.any():
                continue
            a = np.repeat(idx[has], counts[has])
            run_start = np.repeat(np.cumsum(counts[has]) - counts[has], counts[has])
            b = order[np.repeat(lo[has], counts[has]) + np.arange(len(a)) - run_start]
            mine = points.mmsi[a] < points.mmsi[b]
            found_a.append(a[mine])
            found_b.append(b[mine])
    if not found_a:
        e = np.empty(0, np.int64)
        return e, e, np.empty(0, np.float64)
    a = np.concatenate(found_a)
    b = np.concatenate(found_b)
    km = haversine_km(points.lat[a], points.lon[a], points.lat[b], points.lon[b])
    close = km <= max_km
    return a[close], b[close], km[close]


def find_encounters(
    points: EncounterPoints, identity: IdentityTimeline, params: AisParams, source: str
) -> list[AisEvent]:
    """Meetings among `points`: one event for each ship of a pair, naming the other."""
    if len(points) < 2:
        return []
    a, b, km = _close_pairs(points, params.encounter_max_distance_m / 1000)
    if len(a) == 0:
        return []
    order = np.lexsort((points.bin[a], points.mmsi[b], points.mmsi[a]))
    a, b, km = a[order], b[order], km[order]
    ma, mb, bins = points.mmsi[a], points.mmsi[b], points.bin[a]
    new = np.ones(len(a), dtype=bool)
    new[1:] = (
        (ma[1:] != ma[:-1])
        | (mb[1:] != mb[:-1])
        | (bins[1:] - bins[:-1] > params.encounter_max_gap_bins + 1)
    )
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(a)) - 1
    begin = np.maximum(points.t_first[a[starts]], points.t_first[b[starts]])
    finish = np.minimum(points.t_last[a[ends]], points.t_last[b[ends]])
    long_enough = np.flatnonzero(finish - begin >= params.encounter_min_hours * 3600)
    events: list[AisEvent] = []
    for k in long_enough:
        rows = slice(int(starts[k]), int(ends[k]) + 1)
        ia, ib = a[rows], b[rows]
        median_sog = float(np.median(np.concatenate((points.sog[ia], points.sog[ib]))))
        if median_sog >= params.encounter_max_median_sog_kn:
            continue
        start, end = unix_to_datetime(int(begin[k])), unix_to_datetime(int(finish[k]))
        lat = float(np.mean((points.lat[ia] + points.lat[ib]) / 2))
        lon = float(np.mean((points.lon[ia] + points.lon[ib]) / 2))
        distances = km[rows]
        common = {
            "hours": round((int(finish[k]) - int(begin[k])) / 3600, 2),
            "median_distance_m": round(float(np.median(distances)) * 1000, 1),
            "median_distance_nm": round(float(np.median(distances)) / KM_PER_NM, 3),
            "min_distance_m": round(float(distances.min()) * 1000, 1),
            "median_sog_kn": round(median_sog, 2),
            "close_bins": len(ia),
            "bin_minutes": params.encounter_bin_minutes,
            "started_at": start.isoformat(),
            "ended_at": end.isoformat(),
            "lat": round(lat, 5),
            "lon": round(lon, 5),
        }
        one, other = str(int(ma[starts[k]])).zfill(9), str(int(mb[starts[k]])).zfill(9)
        for me, them in ((one, other), (other, one)):
            span = identity.identity_at(them, start)
            evidence = {
                "other_mmsi": them,
                "other_name": span.name if span else None,
                "other_imo": span.imo if span else None,
                "other_call_sign": span.call_sign if span else None,
                **common,
            }
            events.append(AisEvent("ship_to_ship", me, start, end, lat, lon, evidence, source))
    return events
