"""Port calls at scale: parse and index 1,000,000 calls of 50,000 vessels, then time the
`for_vessel` look-up with a 730-day window (the part a screening request pays for).

Run: .venv/bin/python benchmarks/portcalls_scale.py [--calls N] [--vessels N] [--lookups N]
The data is synthetic: IMO numbers with valid check digits, ports from the bundled table.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from generate import imo_with_check_digit

from service.portcalls.call_files import parse_port_calls
from service.portcalls.calls import PortCallIndex
from service.portcalls.ports import load_bundled_ports

HEADER = "imo,mmsi,port,arrived_at,departed_at,source,note,confidence"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
SPAN_DAYS = 4 * 365  # calls spread over four years, so a 730-day window cuts each track


def make_vessels(count: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """(IMO, MMSI or None): IMOs unique and valid; 40 % of vessels also report an MMSI."""
    sixes = rng.sample(range(100_000, 1_000_000), count)
    vessels = []
    for i, six in enumerate(sixes):
        mmsi = (
            f"{rng.choice((273, 636, 538, 351, 477, 445))}{i:06d}" if rng.random() < 0.4 else None
        )
        vessels.append((imo_with_check_digit(six), mmsi))
    return vessels


def make_csv(calls: int, vessels: list[tuple[str, str | None]], rng: random.Random) -> str:
    """One CSV text. 10 % of rows name the vessel by MMSI only where it has one, 10 % of calls
    are open, ports are written as LOCODEs, spaced LOCODEs and names in turn."""
    ports = load_bundled_ports()
    port_texts = [t for p in ports for t in (p.locode, f"{p.locode[:2]} {p.locode[2:]}", p.name)]
    start = NOW - timedelta(days=SPAN_DAYS)
    rows = [HEADER]
    for _ in range(calls):
        imo, mmsi = vessels[rng.randrange(len(vessels))]
        arrived = start + timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        departed = (
            "" if rng.random() < 0.1 else _iso(arrived + timedelta(hours=rng.randrange(6, 120)))
        )
        by_mmsi_only = mmsi is not None and rng.random() < 0.1
        rows.append(
            f"{'' if by_mmsi_only else imo},{mmsi or ''},{rng.choice(port_texts)},{_iso(arrived)},"
            f"{departed},synthetic AIS,,{rng.choice(('', '0.9', '1'))}"
        )
    return "\n".join(rows) + "\n"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def rss_mib() -> float:
    """Current resident set size (Linux /proc), else peak RSS from getrusage."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--vessels", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    vessels = make_vessels(args.vessels, rng)
    ports = load_bundled_ports()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_text(make_csv(args.calls, vessels, rng), encoding="utf-8")
        size_mib = path.stat().st_size / 2**20
        gc.collect()
        base = rss_mib()
        t0 = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as handle:
            result = parse_port_calls(handle, "csv", ports)
        parse_s = time.perf_counter() - t0
    gc.collect()
    after_parse = rss_mib()

    t0 = time.perf_counter()
    index = PortCallIndex(result.calls)
    index_s = time.perf_counter() - t0
    calls = result.calls
    del result
    gc.collect()
    after_index = rss_mib()

    since = NOW - timedelta(days=730)
    queries = []
    for _ in range(args.lookups):
        imo, mmsi = vessels[rng.randrange(len(vessels))]
        queries.append((None, mmsi) if mmsi is not None and rng.random() < 0.2 else (imo, mmsi))
    timings = []
    found = 0
    clock = time.perf_counter_ns
    for imo, mmsi in queries:
        t = clock()
        window = index.for_vessel(imo, mmsi, since)
        timings.append(clock() - t)
        found += len(window)
    # What the clock itself costs, so the look-up's own time can be read off.
    overhead = statistics.median(-(clock() - clock()) for _ in range(10_000)) or 0
    timings.sort()
    median_us = statistics.median(timings) / 1000
    p99_us = timings[int(0.99 * len(timings))] / 1000

    rows = [
        ("date", datetime.now().astimezone().isoformat(timespec="seconds")),
        ("commit", harness.git_commit()),
        (
            "machine",
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        ),
        ("calls accepted / rejected", f"{len(calls):,} / {args.calls - len(calls):,}"),
        (
            "vessels (IMO) / MMSI-only tracks",
            f"{args.vessels:,} / {index.vessel_count - len(set(c.imo for c in calls if c.imo)):,}",
        ),
        (
            "parse CSV file",
            f"{parse_s:.2f} s for {size_mib:.0f} MiB ({parse_s / args.calls * 1e6:.1f} us/row)",
        ),
        ("build index", f"{index_s:.2f} s"),
        ("RSS: parsed calls (list)", f"{after_parse - base:+.0f} MiB"),
        (
            "RSS: + index",
            f"{after_index - after_parse:+.0f} MiB (total {after_index - base:.0f} MiB)",
        ),
        ("for_vessel, 730-day window", f"median {median_us:.2f} us, p99 {p99_us:.2f} us"),
        ("  (timer overhead, included)", f"{overhead / 1000:.2f} us"),
        ("  calls returned per look-up", f"{found / args.lookups:.1f} on average"),
        ("target", "median under 100 us: " + ("met" if median_us < 100 else "MISSED")),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"portcalls_scale: {args.calls:,} calls, {args.vessels:,} vessels", end="")
    print(f", {args.lookups:,} look-ups")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()
