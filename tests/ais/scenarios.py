"""Ground truth for AIS event derivation: tracks built from a script of legs, with the events
planted in them written down as they are planted.

`build_scenario()` returns one `Scenario`: positions (shuffled, in two batches, as readers may
deliver them), static reports, the bundled port table, the `Planted` events that must be found,
and the MMSIs of ordinary ships that must raise nothing beyond what is listed for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from service.ais.model import Positions, StaticReport
from service.portcalls.ports import PortTable, load_bundled_ports

T0 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
NM_PER_DEG_LAT = 60.0


def iso(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def imo_with_check(six: str) -> str:
    """A valid IMO number from six digits (the seventh is the check digit)."""
    total = sum(int(d) * w for d, w in zip(six, (7, 6, 5, 4, 3, 2), strict=True))
    return six + str(total % 10)


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `north_m`, `east_m` metres from (lat, lon)."""
    dlat = north_m / 1852 / NM_PER_DEG_LAT
    dlon = east_m / 1852 / (NM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


class Track:
    """A ship's positions, built leg by leg from a start time and place."""

    def __init__(
        self, mmsi: int, t: int, lat: float, lon: float, interval_s: int = 180, seed: int = 0
    ) -> None:
        self.mmsi, self.t, self.lat, self.lon = mmsi, t, lat, lon
        self.interval = interval_s
        self.rng = np.random.default_rng(seed or mmsi % 100_000)
        self.rows: list[tuple[int, float, float, float, float, int]] = []

    def report(self, sog: float, cog: float = 0.0, status: int = 0) -> None:
        self.rows.append((self.t, self.lat, self.lon, sog, cog, status))

    def sail_to(self, lat: float, lon: float, knots: float, report: bool = True) -> Track:
        """Straight (in degrees) to (lat, lon) at `knots`; with `report=False` the leg is
        sailed in silence (a dark passage): only time and place move."""
        dnorth = (lat - self.lat) * NM_PER_DEG_LAT
        deast = (lon - self.lon) * NM_PER_DEG_LAT * math.cos(math.radians((lat + self.lat) / 2))
        nm = math.hypot(dnorth, deast)
        seconds = nm / knots * 3600
        cog = math.degrees(math.atan2(deast, dnorth)) % 360
        steps = max(1, int(seconds // self.interval))
        lat0, lon0, t0 = self.lat, self.lon, self.t
        for k in range(1, steps + 1):
            f = k / steps
            self.lat, self.lon = lat0 + (lat - lat0) * f, lon0 + (lon - lon0) * f
            self.t = t0 + round(seconds * f)
            if report:
                self.report(knots, cog)
        return self

    def stay(
        self,
        hours: float,
        jitter_m: float = 5.0,
        status: int = 5,
        sog: float = 0.0,
        drift_kn: float = 0.0,
    ) -> Track:
        """Stay (or drift north at `drift_kn`) for `hours`, reports scattered by `jitter_m`."""
        lat0, lon0 = self.lat, self.lon
        steps = int(hours * 3600 // self.interval)
        for k in range(1, steps + 1):
            north = drift_kn * 1852 * k * self.interval / 3600
            jn, je = self.rng.normal(0, jitter_m, 2)
            self.t += self.interval
            self.lat, self.lon = offset(lat0, lon0, north + jn, je)
            self.report(sog if drift_kn == 0 else drift_kn, 0.0, status)
        self.lat, self.lon = offset(lat0, lon0, drift_kn * 1852 * steps * self.interval / 3600, 0)
        return self

    def silence(self, hours: float) -> Track:
        """No reports for `hours`, without moving."""
        self.t += round(hours * 3600)
        return self

    def spoof(self, lat: float, lon: float) -> Track:
        """One report from somewhere else, then the track carries on where it was."""
        self.t += self.interval
        self.rows.append((self.t, lat, lon, 12.0, 0.0, 0))
        return self

    def positions(self) -> dict[str, list[Any]]:
        t, lat, lon, sog, cog, status = (list(c) for c in zip(*self.rows, strict=True))
        return {
            "mmsi": [self.mmsi] * len(t),
            "t": t,
            "lat": lat,
            "lon": lon,
            "sog": sog,
            "cog": cog,
            "status": status,
        }


@dataclass(frozen=True)
class Planted:
    """An event that must be found: its kind, ship, times (tolerance in the test) and what its
    evidence must say."""

    kind: str
    mmsi: str
    start: datetime
    end: datetime
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scenario:
    batches: list[Positions]
    statics: list[StaticReport]
    ports: PortTable
    planted: list[Planted]
    # MMSI -> event kinds it may raise (its planted or expected ones); all others must not.
    allowed: dict[str, set[str]]
    imos: dict[str, str]
    names: dict[str, str]


# Open water in the Sea of Japan, more than 100 nm from every bundled port.
SEA = (40.3, 133.6)
RAJIN = (42.23, 130.30)
VOSTOCHNY = (42.75, 133.08)
NAKHODKA = (42.80, 132.88)


def build_scenario(seed: int = 7) -> Scenario:
    tracks: list[Track] = []
    planted: list[Planted] = []
    allowed: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    imos: dict[str, str] = {}
    statics: list[StaticReport] = []

    def ship(mmsi: int, name: str, imo_six: str | None, *kinds: str) -> str:
        key = str(mmsi)
        names[key] = name
        if imo_six:
            imos[key] = imo_with_check(imo_six)
        allowed[key] = set(kinds)
        for hours in (0, 6, 30):
            statics.append(
                StaticReport(
                    key, iso(T0 + hours * 3600), imos.get(key), name, f"UB{mmsi % 10_000}", 70, "t"
                )
            )
        return key

    # 1. Calls at Rajin: arrives from sea, moored 30 h with a 14 h silence in port, leaves.
    caller = ship(273000001, "RAJIN CALLER", "916100", "port_call")
    tr = Track(273000001, T0, 41.6, 131.0)
    tr.sail_to(*offset(*RAJIN, -500, 300), knots=10)
    arrived = tr.t  # entry is some minutes earlier; the test finds it from the area
    tr.stay(10).silence(14).stay(6)
    departed_stop = tr.t
    tr.sail_to(41.6, 131.0, knots=10)
    tracks.append(tr)
    planted.append(
        Planted("port_call", caller, iso(arrived), iso(departed_stop), {"locode": "KPRJN"})
    )

    # 2. Goes dark at sea for 30 h while sailing on.
    dark = ship(273000002, "DARK SAILOR", "923456", "ais_gap")
    tr = Track(273000002, T0, 39.5, 132.0)
    tr.sail_to(*SEA, knots=10)
    vanished = tr.t
    tr.sail_to(39.2, 136.5, knots=5, report=False)  # about 150 nm in 30 h
    reappeared = tr.t
    tr.sail_to(38.8, 137.5, knots=10)
    tracks.append(tr)
    hours = round((reappeared - vanished) / 3600, 2)
    assert 29 < hours < 31
    planted.append(Planted("ais_gap", dark, iso(vanished), iso(reappeared), {"hours": hours}))

    # 3. Two ships alongside each other at sea for 4 h, drifting at 0.5 kn, 150 m apart.
    a = ship(273000003, "MEETER ONE", "934567", "ship_to_ship")
    b = ship(273000004, "MEETER TWO", "945678", "ship_to_ship")
    spot = (SEA[0] + 0.3, SEA[1] - 0.5)
    ta = Track(273000003, T0, spot[0] - 0.8, spot[1], seed=seed)
    tb = Track(273000004, T0 + 1800, *offset(spot[0] + 0.9, spot[1], 0, 150), seed=seed + 1)
    ta.sail_to(*spot, knots=10)
    tb.sail_to(*offset(*spot, 0, 150), knots=12)
    met = max(ta.t, tb.t)
    ta.stay(met - ta.t and (met - ta.t) / 3600, jitter_m=3, status=0, sog=0.3)
    tb.stay(met - tb.t and (met - tb.t) / 3600, jitter_m=3, status=0, sog=0.3)
    ta.t = tb.t = met
    ta.stay(4, jitter_m=10, status=0, drift_kn=0.5)
    tb.stay(4, jitter_m=10, status=0, drift_kn=0.5)
    parted = min(ta.t, tb.t)
    ta.sail_to(spot[0] - 1.5, spot[1] + 1.0, knots=11)
    tb.sail_to(spot[0] + 1.0, spot[1] + 1.5, knots=11)
    tracks += [ta, tb]
    for me, other in ((a, b), (b, a)):
        planted.append(
            Planted(
                "ship_to_ship",
                me,
                iso(met),
                iso(parted),
                {"other_mmsi": other, "other_name": names[other], "other_imo": imos[other]},
            )
        )

    # 4. Renamed mid-track: name and call sign change together on day 2.
    renamed = ship(273000005, "OCEAN STAR", "956789", "identity_change")
    statics.append(
        StaticReport(renamed, iso(T0 + 48 * 3600), imos[renamed], "SEA PEARL", "UBZZ9", 70, "t")
    )
    statics.append(
        StaticReport(renamed, iso(T0 + 54 * 3600), imos[renamed], "SEA PEARL", "UBZZ9", 70, "t")
    )
    tr = Track(273000005, T0, 39.0, 131.0)
    tr.sail_to(39.0, 136.0, knots=6)  # about 39 h
    tracks.append(tr)
    planted.append(
        Planted(
            "identity_change",
            renamed,
            iso(T0 + 30 * 3600),
            iso(T0 + 48 * 3600),
            {
                "changes": {
                    "name": {"from": "OCEAN STAR", "to": "SEA PEARL"},
                    "call_sign": {"from": "UB5", "to": "UBZZ9"},
                }
            },
        )
    )

    # 5. A spoofed report 80 nm away in the middle of an ordinary passage.
    spoofed = ship(273000006, "SPOOFED", "967890", "position_jump")
    tr = Track(273000006, T0, 38.5, 131.0)
    tr.sail_to(38.5, 132.0, knots=12)
    jumped = tr.t
    tr.spoof(38.5 + 80 / 60, 132.0)
    tr.sail_to(38.5, 133.0, knots=12)
    tracks.append(tr)
    planted.append(Planted("position_jump", spoofed, iso(jumped), iso(jumped + 360), {}))

    # 6. One IMO under two MMSIs (a Russian and a Panamanian one), both at sea.
    first = ship(273000007, "TWIN", "978901", "identity_change")
    second = ship(351000008, "TWIN", None, "identity_change")
    imos[second] = imos[first]
    statics[:] = [
        StaticReport(s.mmsi, s.at, imos[first], s.name, s.call_sign, s.ship_type, s.source)
        if s.mmsi == second
        else s
        for s in statics
    ]
    for mmsi, lat in ((273000007, 37.8), (351000008, 37.4)):
        tr = Track(mmsi, T0, lat, 131.0)
        tr.sail_to(lat, 133.0, knots=9)
        tracks.append(tr)
    for me, other in ((first, second), (second, first)):
        planted.append(
            Planted(
                "identity_change",
                me,
                iso(T0),
                iso(T0 + 30 * 3600),
                {"change": "imo_shared", "imo": imos[first], "other": other},
            )
        )

    # --- Ordinary ships: none of these may raise anything not listed in `allowed`.
    # 7. Straight past Rajin at 12 kn, 1 km from the port's centre.
    ship(273000011, "PASSER BY", "989012")
    tr = Track(273000011, T0, 41.9, *offset(*RAJIN, 0, 1000)[1:])
    tr.sail_to(42.6, offset(*RAJIN, 0, 1000)[1], knots=12)
    tracks.append(tr)

    # 8. Two ships passing each other at speed, 100 m apart at the closest.
    ship(273000012, "NORTHBOUND", "990123")
    ship(273000013, "SOUTHBOUND", "901234")
    tr = Track(273000012, T0, 38.0, 134.5, interval_s=60)
    tr.sail_to(39.0, 134.5, knots=12)
    tr2 = Track(273000013, T0, 39.0, 134.5 + 0.0012, interval_s=60)
    tr2.sail_to(38.0, 134.5 + 0.0012, knots=12)
    tracks += [tr, tr2]

    # 9. Two ships moored 200 m apart in Vostochny for 10 h: port calls, not a meeting.
    for mmsi, east in ((273000014, 0), (273000015, 200)):
        ship(mmsi, f"BERTH {mmsi % 100}", f"91{mmsi % 10000:04d}", "port_call")
        tr = Track(mmsi, T0, 42.3, 133.4)
        tr.sail_to(*offset(*VOSTOCHNY, -300, east), knots=10)
        tr.stay(10, jitter_m=3)
        tr.sail_to(42.3, 133.4, knots=10)
        tracks.append(tr)

    # 10. A 2 h reporting gap at sea (under the threshold).
    ship(273000016, "SHORT SILENCE", "923457")
    tr = Track(273000016, T0, 38.0, 135.5)
    tr.sail_to(38.5, 136.5, knots=11)
    tr.sail_to(38.8, 137.0, knots=11, report=False)
    tr.sail_to(39.5, 138.0, knots=11)
    tracks.append(tr)

    # 11. A 20 h reporting gap while moored in Nakhodka.
    ship(273000017, "QUIET IN PORT", "934568", "port_call")
    tr = Track(273000017, T0, 42.4, 132.9)
    tr.sail_to(*offset(*NAKHODKA, -400, 0), knots=9)
    tr.stay(3).silence(20).stay(3)
    tr.sail_to(42.4, 132.9, knots=9)
    tracks.append(tr)

    # 12. Anchored alone at sea for a day, reporting every 10 s with a few metres of jitter.
    ship(273000018, "JITTERY", "945679")
    tr = Track(273000018, T0, 37.0, 136.0, interval_s=10)
    tr.stay(24, jitter_m=4, status=1)
    tracks.append(tr)

    columns = [t.positions() for t in tracks]
    merged = {k: np.concatenate([np.asarray(c[k]) for c in columns]) for k in columns[0]}
    order = np.random.default_rng(seed).permutation(len(merged["t"]))
    shuffled = Positions.from_columns(**{k: v[order] for k, v in merged.items()})
    half = len(shuffled) // 2
    batches = [shuffled.take(slice(0, half)), shuffled.take(slice(half, None))]
    return Scenario(batches, statics, load_bundled_ports(), planted, allowed, imos, names)
