"""The bundled AIS sample: a declarative voyage plan per ship (`ais/sample/voyages.json`)
rendered into position and static reports, with times placed relative to the moment it is
loaded, so that a fresh `make run` always has recent AIS behaviour to screen.

A plan gives each ship its identity, a start ("hours" after the plan's base, `base_days_ago`
before now) and legs, each one of:

- `{"sail": [[lat, lon], ...], "knots": k}`: through the waypoints at k knots, under way;
- `{"stay": "moored" | "at_anchor", "hours": h}` (or `"until_hours"`): stopped in place;
- `{"drift": course, "knots": k, "hours": h}` (or `"until_hours"`): slow drift at sea;
- `{"dark": [[lat, lon], ...], "hours": h}`: to the last waypoint with the transponder off;
- `{"meet": mmsi, "hours": h, "offset_m": m}`: alongside that ship, `m` metres east of it,
  which must be there (drifting or stopped) at the time.

Rendering is deterministic: the jitter comes from a generator seeded by each ship's MMSI, so
the same plan and `now` give the same reports, and two `now`s give the same tracks shifted.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from service.ais.model import Positions, StaticReport, unix_to_datetime
from service.identifiers import is_valid_imo

__all__ = ["BUNDLED_SAMPLE", "load_sample", "sample_source"]

BUNDLED_SAMPLE = Path(__file__).resolve().parents[2] / "ais" / "sample" / "voyages.json"
# Class A ships report every 2-10 s under way and every 3 min at anchor; one report in three
# minutes everywhere keeps a fortnight of a few ships small while every threshold still sees
# dense tracks (10-minute meeting bins, 2-hour stops).
DEFAULT_INTERVAL_S = 180
# Ships send their static data (type 5) every 6 minutes; a few per day are enough to carry the
# identity, and one always follows the transponder coming back on.
STATIC_EVERY_S = 6 * 3600
_STATUS = {"under_way": 0, "at_anchor": 1, "moored": 5}
_KINDS = ("sail", "stay", "drift", "dark", "meet")
_M_PER_DEG_LAT = 1852 * 60.0
# A meeting must begin close to the other ship; farther, the join would be a position jump.
_MEET_REACH_NM = 1.0

FloatArray = npt.NDArray[np.float64]


def sample_source(path: Path) -> str:
    """The source name events and port calls derived from the sample carry."""
    return f"sample:{path.name}"


class _Ship:
    """A ship's cursor (time in seconds after the base, place) while its legs are rendered, and
    the reports rendered so far: rows of (t, lat, lon, sog, cog, status)."""

    def __init__(self, plan: dict[str, Any], where: str, interval_s: int) -> None:
        self.plan, self.interval = plan, interval_s
        self.mmsi = _mmsi(plan.get("mmsi"), where)
        self.identity = _identity(plan, where)
        self.where = f"{where} ({self.identity[1]})"
        self.rng = np.random.default_rng(int(self.mmsi))
        start = _object(plan.get("start"), f"{where}: 'start'")
        self.t = _number(start, "hours", f"{where}: start", low=0) * 3600
        self.lat, self.lon = _point([start.get("lat"), start.get("lon")], f"{where}: start")
        self.next_report = self.t
        self.chunks: list[FloatArray] = [np.empty((0, 6))]

    def times(self, seconds: float) -> FloatArray:
        """Report times of the next `seconds`, a few seconds off the regular beat as receivers
        stamp them; advances the cursor."""
        end = self.t + seconds
        beat = np.arange(self.next_report, end, self.interval, dtype=np.float64)
        self.next_report = float(beat[-1] + self.interval) if len(beat) else self.next_report
        self.t = end
        spread = self.interval // 6
        return beat + self.rng.integers(-spread, spread + 1, len(beat))

    def add(
        self, t: FloatArray, lat: Any, lon: Any, sog: Any, cog: Any, status: int, jitter_m: float
    ) -> None:
        """Reports at `t`, scattered by `jitter_m` metres as GNSS fixes are."""
        north, east = self.rng.normal(0, jitter_m, (2, len(t)))
        lat = lat + north / _M_PER_DEG_LAT
        lon = lon + east / (_M_PER_DEG_LAT * _cos(lat))
        columns = np.broadcast_arrays(t, lat, lon, sog, cog, float(status))
        self.chunks.append(np.column_stack(columns))

    def rows(self) -> FloatArray:
        return np.concatenate(self.chunks)


def load_sample(
    path: Path, now: datetime, interval_s: int = DEFAULT_INTERVAL_S
) -> tuple[Positions, list[StaticReport]]:
    """The plan at `path` as position and static reports ending at `now` (reports a plan
    places after `now` are left out). Raises ValueError naming what is wrong with the plan."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    if interval_s < 10:
        raise ValueError("interval_s must be at least 10 seconds")
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not JSON: {exc}") from exc
    plan = _object(plan, path.name)
    base = now - timedelta(days=_number(plan, "base_days_ago", path.name, low=0))
    listed = plan.get("ships")
    if not isinstance(listed, list) or not listed:
        raise ValueError(f"{path.name}: 'ships' must be a non-empty list")
    ships = [
        _Ship(_object(s, f"{path.name}: ship {i}"), f"{path.name}: ship {i}", interval_s)
        for i, s in enumerate(listed, 1)
    ]
    by_mmsi = {s.mmsi: s for s in ships}
    if len(by_mmsi) < len(ships):
        raise ValueError(f"{path.name}: two ships share an MMSI")
    pending = list(ships)
    while pending:  # a ship that meets another is rendered after it
        ready = [s for s in pending if not set(_partners(s)) & {p.mmsi for p in pending}]
        unknown = {m for s in pending for m in _partners(s)} - set(by_mmsi)
        if unknown or not ready:
            raise ValueError(
                f"{path.name}: meetings name an unknown ship or form a cycle: "
                f"{sorted(unknown or {m for s in pending for m in _partners(s)})}"
            )
        for ship in ready:
            _render(ship, by_mmsi)
            pending.remove(ship)
    return _output(ships, base, now, sample_source(path))


def _partners(ship: _Ship) -> list[str]:
    legs = ship.plan.get("legs")
    if not isinstance(legs, list) or not legs:
        raise ValueError(f"{ship.where}: 'legs' must be a non-empty list")
    return [
        _mmsi(leg["meet"], ship.where) for leg in legs if isinstance(leg, dict) and "meet" in leg
    ]


def _render(ship: _Ship, by_mmsi: dict[str, _Ship]) -> None:
    for i, raw in enumerate(ship.plan["legs"], 1):
        where = f"{ship.where} leg {i}"
        leg = _object(raw, where)
        kinds = [k for k in _KINDS if k in leg]
        if len(kinds) != 1:
            raise ValueError(f"{where}: needs exactly one of {', '.join(_KINDS)}")
        kind = kinds[0]
        if kind in ("sail", "dark"):
            points = leg[kind]
            if not isinstance(points, list) or not points:
                raise ValueError(f"{where}: '{kind}' must be a list of [lat, lon] waypoints")
            track = np.array([(ship.lat, ship.lon)] + [_point(p, where) for p in points])
            if kind == "sail":
                _sail(ship, track, _number(leg, "knots", where, low=0.5, high=40))
            else:
                ship.t += _number(leg, "hours", where, low=0) * 3600
                ship.lat, ship.lon = float(track[-1, 0]), float(track[-1, 1])
                ship.next_report = ship.t
        elif kind == "meet":
            _meet(ship, by_mmsi[_mmsi(leg["meet"], where)], leg, where)
        else:
            _stay(ship, leg, kind, where)


def _sail(ship: _Ship, track: FloatArray, knots: float) -> None:
    north = np.diff(track[:, 0]) * 60.0
    east = np.diff(track[:, 1]) * 60.0 * _cos((track[1:, 0] + track[:-1, 0]) / 2)
    cum = np.concatenate(([0.0], np.cumsum(np.hypot(north, east))))
    start = ship.t
    t = ship.times(cum[-1] / knots * 3600)
    done = (t - start) / 3600 * knots
    lat, lon = np.interp(done, cum, track[:, 0]), np.interp(done, cum, track[:, 1])
    part = np.clip(np.searchsorted(cum, done) - 1, 0, len(north) - 1)
    cog = (np.degrees(np.arctan2(east, north))[part] + ship.rng.normal(0, 1.5, len(t))) % 360
    sog = np.round(knots + ship.rng.normal(0, 0.2, len(t)), 1)
    ship.add(t, lat, lon, sog, cog, _STATUS["under_way"], 8.0)
    ship.lat, ship.lon = float(track[-1, 0]), float(track[-1, 1])


def _stay(ship: _Ship, leg: dict[str, Any], kind: str, where: str) -> None:
    if "until_hours" in leg:
        seconds = _number(leg, "until_hours", where) * 3600 - ship.t
        if seconds <= 0:
            raise ValueError(
                f"{where}: 'until_hours' is before the leg begins, at hour {ship.t / 3600:.1f}"
            )
    else:
        seconds = _number(leg, "hours", where, low=0) * 3600
    start = ship.t
    t = ship.times(seconds)
    if kind == "stay":
        status = _STATUS.get(str(leg["stay"]), -1)
        if status < 1:
            raise ValueError(f"{where}: 'stay' must be 'moored' or 'at_anchor'")
        sog = np.round(np.abs(ship.rng.normal(0, 0.05, len(t))), 1)
        ship.add(t, ship.lat, ship.lon, sog, np.nan, status, 4.0)
        return
    course = _number(leg, "drift", where, low=0, high=360)
    knots = _number(leg, "knots", where, low=0, high=2)
    metres = (t - start) / 3600 * knots * 1852
    rad = math.radians(course)
    lat = ship.lat + metres * math.cos(rad) / _M_PER_DEG_LAT
    lon = ship.lon + metres * math.sin(rad) / (_M_PER_DEG_LAT * _cos(ship.lat))
    sog = np.round(np.abs(knots + ship.rng.normal(0, 0.1, len(t))), 1)
    cog = (course + ship.rng.normal(0, 5, len(t))) % 360
    ship.add(t, lat, lon, sog, cog, _STATUS["under_way"], 6.0)
    end = seconds * knots / 3600 * 1852
    ship.lat += end * math.cos(rad) / _M_PER_DEG_LAT
    ship.lon += end * math.sin(rad) / (_M_PER_DEG_LAT * _cos(ship.lat))


def _meet(ship: _Ship, other: _Ship, leg: dict[str, Any], where: str) -> None:
    """Alongside `other`: its rendered track, shifted east, at this ship's report times."""
    seconds = _number(leg, "hours", where, low=0) * 3600
    offset_m = _number(leg, "offset_m", where, low=0, high=2000) if "offset_m" in leg else 150.0
    ot, olat, olon, osog = other.rows()[:, :4].T
    start, end = ship.t, ship.t + seconds
    steps = np.diff(np.concatenate(([start], ot[(ot >= start) & (ot <= end)], [end])))
    if len(ot) == 0 or ot[0] > start or ot[-1] < end or steps.max() > 3 * other.interval:
        raise ValueError(
            f"{where}: {other.mmsi} is not reporting from hour {start / 3600:.1f} "
            f"to {end / 3600:.1f} to be met"
        )
    lat0, lon0 = float(np.interp(start, ot, olat)), float(np.interp(start, ot, olon))
    apart = math.hypot(lat0 - ship.lat, (lon0 - ship.lon) * _cos(ship.lat)) * 60
    if apart > _MEET_REACH_NM:
        raise ValueError(
            f"{where}: {other.mmsi} is {apart:.1f} nm away at hour "
            f"{start / 3600:.1f}; sail to it first"
        )
    t = ship.times(seconds)
    lat = np.interp(t, ot, olat)
    lon = np.interp(t, ot, olon) + offset_m / (_M_PER_DEG_LAT * _cos(lat))
    sog = np.round(np.abs(np.interp(t, ot, osog) + ship.rng.normal(0, 0.1, len(t))), 1)
    ship.add(t, lat, lon, sog, np.nan, _STATUS["under_way"], 6.0)
    ship.lat = float(np.interp(end, ot, olat))
    ship.lon = float(np.interp(end, ot, olon)) + offset_m / (_M_PER_DEG_LAT * _cos(ship.lat))


def _output(
    ships: list[_Ship], base: datetime, now: datetime, source: str
) -> tuple[Positions, list[StaticReport]]:
    rows, mmsis, statics = [], [], []
    for ship in ships:
        mine = ship.rows()
        mine[:, 0] = np.round(base.timestamp() + mine[:, 0])
        mine = mine[mine[:, 0] <= now.timestamp()]
        rows.append(mine)
        mmsis.append(np.full(len(mine), int(ship.mmsi)))
        statics += _statics(ship, mine[:, 0].astype(np.int64), source)
    t, lat, lon, sog, cog, status = np.concatenate(rows).T
    return Positions.from_columns(
        mmsi=np.concatenate(mmsis),
        t=t,
        lat=lat,
        lon=lon,
        sog=sog,
        cog=cog,
        heading=np.round(cog),
        status=status,
    ).sorted(), statics


def _statics(ship: _Ship, t: npt.NDArray[np.int64], source: str) -> list[StaticReport]:
    """One static report when each stretch of reports begins (the transponder coming on) and
    one every `STATIC_EVERY_S` after it."""
    if len(t) == 0:
        return []
    breaks = np.flatnonzero(np.diff(t) > 3600) + 1
    at: list[int] = []
    for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(t)], strict=True):
        beats = np.arange(t[lo], t[hi - 1] + 1, STATIC_EVERY_S)
        at += sorted({int(t[min(i, hi - 1)]) for i in np.searchsorted(t, beats)})
    imo, name, call_sign, kind = ship.identity
    return [
        StaticReport(ship.mmsi, unix_to_datetime(s), imo, name, call_sign, kind, source) for s in at
    ]


def _identity(plan: dict[str, Any], where: str) -> tuple[str | None, str, str | None, int]:
    """IMO, name, call sign and AIS ship type, checked: a typo in an IMO would otherwise
    quietly stop the sample matching the listed ship."""
    imo = plan.get("imo")
    if imo is not None and not (isinstance(imo, str) and is_valid_imo(imo)):
        raise ValueError(f"{where}: 'imo' {imo!r} is not a valid IMO number (seven digits)")
    kind = plan.get("ship_type")
    if not isinstance(kind, int) or isinstance(kind, bool) or not 0 <= kind <= 99:
        raise ValueError(f"{where}: 'ship_type' must be an AIS ship type 0-99, not {kind!r}")
    name, call_sign = plan.get("name"), plan.get("call_sign")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: 'name' must be a non-empty string")
    if call_sign is not None and not isinstance(call_sign, str):
        raise ValueError(f"{where}: 'call_sign' must be a string")
    return imo, name, call_sign, kind


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: must be a JSON object")
    return value


def _number(
    obj: dict[str, Any], key: str, where: str, low: float | None = None, high: float | None = None
) -> float:
    value = obj.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{where}: '{key}' must be a number, not {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{where}: '{key}' is {value}, outside {low} to {high}")
    return float(value)


def _point(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{where}: a waypoint must be [lat, lon], not {value!r}")
    pair = {"lat": value[0], "lon": value[1]}
    return (_number(pair, "lat", where, -90, 90), _number(pair, "lon", where, -180, 180))


def _mmsi(value: Any, where: str) -> str:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not (len(text) == 9 and text.isdigit()):
        raise ValueError(f"{where}: MMSI must be nine digits, not {value!r}")
    return text


def _cos(lat: Any) -> Any:
    return np.cos(np.radians(lat))
