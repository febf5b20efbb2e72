"""Dark gaps: a ship that sends no position for longer than the threshold while at sea, away
from every port (GFW's AIS-disabling event, with its own distance from port).

Candidates come from one vectorised pass over the time steps of all tracks; only the few steps
long enough are then checked against the (buffered) port areas and described one by one.
"""

from __future__ import annotations

import numpy as np

from service.ais.geo import KM_PER_NM, distance_nm
from service.ais.model import AisEvent, unix_to_datetime
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.tracks import Motion, Tracks

__all__ = ["find_gaps"]


def find_gaps(
    tracks: Tracks, motion: Motion, areas: PortAreas, params: AisParams, source: str
) -> list[AisEvent]:
    """Gaps of at least `gap_min_hours` whose last and next positions both lie outside every
    port area widened by `gap_min_port_distance_nm`."""
    if len(tracks) < 2:
        return []
    p = tracks.positions
    long_steps = np.flatnonzero(motion.same & (motion.step_s >= params.gap_min_hours * 3600))
    if len(long_steps) == 0:
        return []
    near = areas.buffered(params.gap_min_port_distance_nm)
    before = near.contains(p.lat[long_steps], p.lon[long_steps])
    after = near.contains(p.lat[long_steps + 1], p.lon[long_steps + 1])
    events: list[AisEvent] = []
    for i in long_steps[~before & ~after]:
        a, b = int(i), int(i) + 1
        hours = int(motion.step_s[a]) / 3600
        nm = float(motion.step_nm[a])
        sail_hours = nm / params.gap_typical_speed_kn
        spare_hours = hours - sail_hours
        reach = _ports_in_reach(
            areas, float(p.lat[a]), float(p.lon[a]), float(p.lat[b]), float(p.lon[b]), hours, params
        )
        start, end = unix_to_datetime(int(p.t[a])), unix_to_datetime(int(p.t[b]))
        evidence = {
            "vanished": {"lat": float(p.lat[a]), "lon": float(p.lon[a]), "at": start.isoformat()},
            "reappeared": {"lat": float(p.lat[b]), "lon": float(p.lon[b]), "at": end.isoformat()},
            "hours": round(hours, 2),
            "distance_nm": round(nm, 2),
            "implied_speed_kn": round(nm / hours, 2) if hours > 0 else None,
            "hours_left_after_sailing_straight": round(spare_hours, 2),
            "typical_speed_kn": params.gap_typical_speed_kn,
            "port_call_could_fit": spare_hours >= params.port_min_stop_hours,
            "ports_in_reach": reach[0],
            "ports_in_reach_count": reach[1],
        }
        mmsi = str(int(p.mmsi[a])).zfill(9)
        events.append(
            AisEvent(
                "ais_gap", mmsi, start, end, float(p.lat[a]), float(p.lon[a]), evidence, source
            )
        )
    return events


def _ports_in_reach(
    areas: PortAreas,
    lat_a: float,
    lon_a: float,
    lat_b: float,
    lon_b: float,
    hours: float,
    params: AisParams,
) -> tuple[list[dict[str, object]], int]:
    """Ports the ship could have sailed to from where it vanished, stayed the minimum call time
    and sailed on from to where it reappeared, at the typical speed: nearest detours first."""
    budget_nm = (hours - params.port_min_stop_hours) * params.gap_typical_speed_kn
    direct_nm = distance_nm(lat_a, lon_a, lat_b, lon_b)
    if budget_nm < direct_nm or len(areas) == 0:
        return [], 0
    # Any port with a detour within the budget lies within (budget + direct) / 2 of the midpoint.
    mid_lat, mid_lon = (lat_a + lat_b) / 2, _mid_lon(lon_a, lon_b)
    around = areas.nearest_within(mid_lat, mid_lon, (budget_nm + direct_nm) / 2 * KM_PER_NM)
    found: list[tuple[float, dict[str, object]]] = []
    for index, _ in around:
        port = areas.ports[index]
        assert port.lat is not None and port.lon is not None
        detour = distance_nm(lat_a, lon_a, port.lat, port.lon) + distance_nm(
            port.lat, port.lon, lat_b, lon_b
        )
        if detour <= budget_nm:
            found.append(
                (
                    detour,
                    {
                        "locode": port.locode,
                        "name": port.name,
                        "country": port.country,
                        "detour_nm": round(detour, 1),
                    },
                )
            )
    found.sort(key=lambda item: item[0])
    return [entry for _, entry in found[: params.gap_max_ports_in_reach]], len(found)


def _mid_lon(a: float, b: float) -> float:
    if abs(a - b) <= 180:
        return (a + b) / 2
    mid = (a + b + 360) / 2
    return mid - 360 if mid > 180 else mid
