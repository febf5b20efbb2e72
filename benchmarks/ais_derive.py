"""AIS event derivation at scale: synthetic traffic of thousands of ships sailing between the
bundled ports of their region, calling, anchoring, with planted dark gaps, meetings at sea,
spoofed positions and renames; times `derive_events` (median of several runs) and prints one
table of the current figures.

Run: .venv/bin/python benchmarks/ais_derive.py [--positions N] [--ships N] [--runs N]
     [--processes N]
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import harness
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.ais.derive import derive_events
from service.ais.geo import haversine_nm
from service.ais.model import EVENT_KINDS, EventKind, Positions, StaticReport
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.portcalls.ports import load_bundled_ports

T0 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
REGION_NM = 1500  # a ship's next port is one of its current port's neighbours within this


def _ship_plan(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, neighbours: list[np.ndarray],
    hours: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Waypoints (time s, lat, lon, sog, status) of one ship: berth, sail, berth, sail...

    Each stop is a pair of waypoints at the same place; each passage a straight line at a
    service speed. Some passages stop half-way at sea for a few hours (waiting for orders).
    """
    here = int(rng.integers(len(lat)))
    t = float(rng.uniform(-48, 0) * 3600)
    way: list[tuple[float, float, float, float, int]] = []
    berth_lat = lat[here] + rng.normal(0, 0.01)
    berth_lon = lon[here] + rng.normal(0, 0.01)
    while t < hours * 3600:
        stay = rng.uniform(6, 48) * 3600
        for when in (t, t + stay):
            way.append((when, berth_lat, berth_lon, 0.0, 5))
        t += stay
        there = int(rng.choice(neighbours[here]))
        to_lat = lat[there] + rng.normal(0, 0.01)
        to_lon = lon[there] + rng.normal(0, 0.01)
        speed = rng.uniform(9, 15)
        nm = float(haversine_nm(berth_lat, berth_lon, to_lat, to_lon))
        passage = nm / speed * 3600
        if rng.random() < 0.15 and nm > 200:  # a drift at sea half-way
            mid_lat, mid_lon = (berth_lat + to_lat) / 2, (berth_lon + to_lon) / 2
            wait = rng.uniform(3, 10) * 3600
            for when in (t + passage / 2, t + passage / 2 + wait):
                way.append((when, mid_lat, mid_lon, 0.3, 0))
            t += wait
        t += passage
        here, berth_lat, berth_lon = there, to_lat, to_lon
    way.append((t, berth_lat, berth_lon, 0.0, 5))
    wt, wlat, wlon, wsog, wst = (np.array(column) for column in zip(*way, strict=True))
    return wt, wlat, wlon, wsog, wst


def generate(
    positions: int, ships: int, seed: int = 1
) -> tuple[Positions, list[StaticReport], dict[str, set[str]]]:
    """About `positions` reports of `ships` ships, and the MMSIs each kind was planted on."""
    rng = np.random.default_rng(seed)
    ports = [p for p in load_bundled_ports() if p.lat is not None]
    lat = np.array([p.lat for p in ports])
    lon = np.array([p.lon for p in ports])
    dist = haversine_nm(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    neighbours = []
    for i in range(len(ports)):
        near = np.flatnonzero((dist[i] < REGION_NM) & (dist[i] > 0))
        neighbours.append(near if len(near) else np.argsort(dist[i])[1:4])
    interval = 240.0  # mean seconds between reports
    hours = positions / ships * interval / 3600
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("mmsi", "t", "lat", "lon", "sog", "status")
    }
    statics: list[StaticReport] = []
    planted_mmsis: dict[str, set[str]] = {
        "dark": set(),
        "meetings": set(),
        "spoofs": set(),
        "renames": set(),
    }
    mmsis = 200_000_000 + rng.choice(500_000_000, ships, replace=False)
    for k, mmsi in enumerate(mmsis):
        wt, wlat, wlon, wsog, wst = _ship_plan(rng, lat, lon, neighbours, hours)
        step = rng.uniform(0.5, 1.5) * interval
        t = np.arange(0, hours * 3600, step) + rng.uniform(0, step)
        plat = np.interp(t, wt, wlat) + rng.normal(0, 0.0001, len(t))
        plon = np.interp(t, wt, wlon) + rng.normal(0, 0.0001, len(t))
        moving = np.interp(t, wt, np.arange(len(wt))) % 2 >= 1  # between two stop waypoints
        idx = np.minimum(np.searchsorted(wt, t), len(wt) - 1)
        sog = np.where(moving, rng.uniform(9, 15), wsog[idx]) + rng.normal(0, 0.1, len(t))
        status = np.where(moving, 0, wst[idx]).astype(np.int8)
        keep = np.ones(len(t), dtype=bool)
        if k % 50 == 1:  # dark for 15-40 h in the middle of a passage
            gap = rng.uniform(15, 40) * 3600
            under_way = np.flatnonzero(moving & (sog > 5))
            for fraction in (0.5, 0.3, 0.7):
                if len(under_way) < 100:
                    break
                start = t[under_way[int(len(under_way) * fraction)]]
                # Under way from 2 h before to 2 h after: both ends well away from port.
                around = (t >= start - 7200) & (t <= start + gap + 7200)
                if moving[around].all() and t[-1] > start + gap + 7200:
                    keep &= (t <= start) | (t > start + gap)
                    planted_mmsis["dark"].add(str(mmsi))
                    break
        if k % 100 == 2 and len(t) > 10:  # one spoofed report
            j = len(t) // 3
            plat[j] += 1.5
            planted_mmsis["spoofs"].add(str(mmsi))
        columns["mmsi"].append(np.full(int(keep.sum()), mmsi, np.int64))
        columns["t"].append((T0 + t[keep]).astype(np.int64))
        columns["lat"].append(plat[keep])
        columns["lon"].append(plon[keep])
        columns["sog"].append(np.abs(sog[keep]).astype(np.float32))
        columns["status"].append(status[keep])
        name = f"SHIP {k:05d}"
        imo = _imo(1_000_000 + k * 7)
        for hour in range(0, int(hours), 6):
            renamed = k % 200 == 3 and hour > hours / 2
            statics.append(
                StaticReport(str(mmsi), datetime.fromtimestamp(T0 + hour * 3600, UTC), imo,
                             f"NEW {name}" if renamed else name, f"CS{k:05d}", 70, "bench")
            )  # fmt: skip
        if k % 200 == 3:
            planted_mmsis["renames"].add(str(mmsi))
        if k % 10 == 5:  # a companion alongside during a drift at sea of 3 h or more
            drift = keep & ~moving & (status == 0)
            if drift.sum() > 3 * 3600 / step:
                first = np.flatnonzero(drift)[0]
                inside = drift & (t >= t[first]) & (t <= t[first] + 3.5 * 3600)
                mt = t[inside] + 30.0
                buddy = 900_000_000 + k
                columns["mmsi"].append(np.full(len(mt), buddy, np.int64))
                columns["t"].append((T0 + mt).astype(np.int64))
                columns["lat"].append(plat[inside] + 0.0015)  # about 170 m north
                columns["lon"].append(plon[inside])
                columns["sog"].append(np.full(len(mt), 0.4, np.float32))
                columns["status"].append(np.zeros(len(mt), np.int8))
                planted_mmsis["meetings"].add(str(buddy))
    merged = {k: np.concatenate(v) for k, v in columns.items()}
    order = rng.permutation(len(merged["t"]))
    shuffled = Positions.from_columns(**{k: v[order] for k, v in merged.items()})
    return shuffled, statics, planted_mmsis


def _imo(n: int) -> str:
    six = f"{n % 1_000_000:06d}"
    total = sum(int(d) * w for d, w in zip(six, (7, 6, 5, 4, 3, 2), strict=True))
    return six + str(total % 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=10_000_000)
    parser.add_argument("--ships", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    positions, statics, planted = generate(args.positions, args.ships)
    generated = time.perf_counter() - started
    areas = PortAreas.build(load_bundled_ports())
    params = AisParams()
    timings = []
    result = None
    for _ in range(args.runs):
        gc.collect()
        t = time.perf_counter()
        result = derive_events(positions, statics, areas, params, "bench", args.processes)
        timings.append(time.perf_counter() - t)
    assert result is not None
    seconds = statistics.median(timings)
    counts = result.counts()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"# AIS event derivation ({platform.python_implementation()} {platform.python_version()})"
    )
    print(f"generated in {generated:.1f} s")
    kind_of: dict[str, EventKind] = {
        "dark": "ais_gap",
        "meetings": "ship_to_ship",
        "spoofs": "position_jump",
        "renames": "identity_change",
    }
    recall = []
    for what, mmsis in planted.items():
        hit = sum(1 for m in mmsis if result.for_mmsi(m, kind_of[what]))
        recall.append(f"{what} {hit}/{len(mmsis)}")
    print("planted and found: " + ", ".join(recall))
    print("| date | cores | processes | commit | positions | ships | seconds (median of "
          f"{args.runs}) | positions/s | peak RSS MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {datetime.now(UTC):%Y-%m-%d %H:%M} | {os.cpu_count()} | {args.processes} | "
        f"{harness.git_commit()} | {len(positions):,} | {len(np.unique(positions.mmsi)):,} | "
        f"{seconds:.2f} | {len(positions) / seconds:,.0f} | {rss_mb:,.0f} |"
    )
    print("| " + " | ".join(EVENT_KINDS) + " | derived port calls |")
    print("|" + "---|" * (len(EVENT_KINDS) + 1))
    print("| " + " | ".join(str(counts.get(k, 0)) for k in EVENT_KINDS)
          + f" | {len(result.port_calls):,} |")  # fmt: skip
    print("runs (s): " + ", ".join(f"{x:.2f}" for x in timings))


if __name__ == "__main__":
    main()
