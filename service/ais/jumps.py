"""Position jumps: consecutive reports of one MMSI whose implied speed no ship reaches, over a
distance that receiver jitter cannot explain: a spoofed position, or two transmitters sharing
one MMSI. Found in one vectorised pass over the steps of all tracks."""

from __future__ import annotations

import numpy as np

from service.ais.geo import distance_nm
from service.ais.model import AisEvent, Positions, unix_to_datetime
from service.ais.params import AisParams
from service.ais.tracks import Motion, Tracks

__all__ = ["find_jumps"]


def find_jumps(tracks: Tracks, motion: Motion, params: AisParams, source: str) -> list[AisEvent]:
    """Jumps faster than `jump_max_speed_kn` over more than `jump_min_distance_nm`; jumps of one
    MMSI within `jump_join_hours` of the previous are one event counting them."""
    if len(tracks) < 2:
        return []
    p = tracks.positions
    dt = motion.step_s
    fast = motion.step_nm * 3600.0 > params.jump_max_speed_kn * np.maximum(dt, 0)
    steps = np.flatnonzero(motion.same & (motion.step_nm > params.jump_min_distance_nm) & fast)
    if len(steps) == 0:
        return []
    mmsi = p.mmsi[steps]
    new = np.ones(len(steps), dtype=bool)
    new[1:] = (mmsi[1:] != mmsi[:-1]) | (
        p.t[steps[1:]] - p.t[steps[:-1] + 1] > params.jump_join_hours * 3600
    )
    firsts = np.flatnonzero(new)
    lasts = np.append(firsts[1:], len(steps)) - 1
    events: list[AisEvent] = []
    for lo, hi in zip(firsts, lasts, strict=True):
        group = steps[lo : hi + 1]
        i = int(group[0])
        speeds = [_speed(float(motion.step_nm[g]), int(dt[g])) for g in group]
        start, end = unix_to_datetime(int(p.t[i])), unix_to_datetime(int(p.t[int(group[-1]) + 1]))
        evidence = {
            "from": _point(p, i),
            "to": _point(p, i + 1),
            "distance_nm": round(float(motion.step_nm[i]), 2),
            "seconds": int(dt[i]),
            "implied_speed_kn": speeds[0],
            "jumps": len(group),
            "max_implied_speed_kn": max(speeds, key=lambda s: float("inf") if s is None else s),
            "returned": _returned(p, i, int(group[-1]) + 1, params),
        }
        mmsi_text = str(int(p.mmsi[i])).zfill(9)
        events.append(
            AisEvent(
                "position_jump",
                mmsi_text,
                start,
                end,
                float(p.lat[i + 1]),
                float(p.lon[i + 1]),
                evidence,
                source,
            )
        )
    return events


def _speed(nm: float, seconds: int) -> float | None:
    """Implied speed in knots; None when both reports carry the same second (infinite)."""
    return round(nm * 3600 / seconds, 1) if seconds > 0 else None


def _returned(p: Positions, before: int, after: int, params: AisParams) -> bool:
    """Whether the report after the last jump is back near the report before the first (a
    single spoofed report or a burst of them, rather than a track that moved on)."""
    nm = distance_nm(
        float(p.lat[before]), float(p.lon[before]), float(p.lat[after]), float(p.lon[after])
    )
    return nm <= params.jump_min_distance_nm


def _point(p: Positions, i: int) -> dict[str, object]:
    return {
        "lat": float(p.lat[i]),
        "lon": float(p.lon[i]),
        "at": unix_to_datetime(int(p.t[i])).isoformat(),
    }
