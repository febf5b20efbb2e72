"""AIS end to end into the store, and what a ship's events add to a screening.

Generates traffic with `ais_derive.generate` (thousands of ships between the bundled ports),
writes it as a MarineCadastre CSV and as NMEA with tag blocks (pyais's encoder), and times
`service.ais.ingest.ingest` (read, clean, store in one transaction) into the embedded SQLite
store and, when one answers, PostgreSQL (COPY). Then times `screening.run` for a listed ship
with and without its behaviour attached, in the same run, median of many.

Run: .venv/bin/python benchmarks/ais_ingest.py [--positions N] [--sentences N] [--runs N]
     [--database-url postgresql://.../postgres]   (a scratch database is made on that server)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from ais_derive import generate

from service.ais.behaviour import build_behaviour
from service.ais.ingest import ingest
from service.ais.model import Positions, StaticReport
from service.ais.nmea import tag_block
from service.ais.port_areas import PortAreas
from service.matcher import Query
from service.portcalls.ports import load_bundled_ports
from service.screening import Request, run
from service.settings import Settings
from service.sources import offline_context
from service.store import open_store

LADY_R_IMO = "9161003"


def write_csv(p: Positions, path: Path) -> None:
    import polars as pl

    when = (p.t.astype("datetime64[s]")).astype(str)
    frame = pl.DataFrame(
        {
            "MMSI": p.mmsi,
            "BaseDateTime": when,
            "LAT": np.round(p.lat, 5),
            "LON": np.round(p.lon, 5),
            "SOG": np.round(np.nan_to_num(p.sog, nan=0.0), 1),
            "COG": np.round(np.nan_to_num(p.cog, nan=0.0), 1),
            "Heading": np.full(len(p), 511),
            "VesselName": [f"SHIP {m % 100000}" for m in p.mmsi.tolist()],
            "IMO": [""] * len(p),
            "CallSign": [""] * len(p),
            "VesselType": np.full(len(p), 70),
            "Status": np.clip(p.status, 0, 15),
            "Length": np.full(len(p), 120),
            "Width": np.full(len(p), 20),
            "Draft": np.full(len(p), 7.5),
            "Cargo": np.full(len(p), 70),
            "TransceiverClass": ["A"] * len(p),
        }
    )
    frame.write_csv(path)


def write_nmea(p: Positions, count: int, path: Path) -> int:
    from pyais.encode import encode_dict

    lines = []
    for i in range(min(count, len(p))):
        [sentence] = encode_dict(
            {
                "msg_type": 1,
                "mmsi": int(p.mmsi[i]),
                "lat": float(p.lat[i]),
                "lon": float(p.lon[i]),
                "speed": float(np.nan_to_num(p.sog[i])),
                "course": float(np.nan_to_num(p.cog[i])),
            },
            radio_channel="A",
        )
        lines.append(tag_block(int(p.t[i])) + sentence)
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def time_ingest(settings: Settings, path: Path, runs: int) -> tuple[float, int]:
    """Median seconds of `runs` ingests of `path`, each into an empty store (a new SQLite file,
    or the PostgreSQL tables emptied), and the positions kept."""
    seconds = []
    kept = 0
    for run_number in range(runs):
        if not settings.database_url:
            settings = replace(settings, data_dir=settings.data_dir.parent / f"run-{run_number}")
        store = open_store(settings)
        store.migrate()
        started = time.perf_counter()
        result = ingest(store, path, path.name)
        seconds.append(time.perf_counter() - started)
        assert result.new, "the store was not empty"
        kept = result.summary.positions
        store.close()
        if settings.database_url:
            _drop_ais(settings)
    return statistics.median(seconds), kept


def _drop_ais(settings: Settings) -> None:
    import psycopg

    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute("TRUNCATE ais_chunks, ais_statics, ais_ingests")


def scratch_database(admin_url: str) -> str:
    """A database of the benchmark's own on the server of `admin_url`, so its schema and data
    never meet another's."""
    import secrets

    import psycopg

    name = f"vs_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def drop_database(admin_url: str, url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


def screening_cost(
    positions: Positions, statics: list[StaticReport], rounds: int
) -> tuple[float, float, int]:
    """Median microseconds of screening LADY R by IMO without and with her AIS behaviour,
    interleaved in one run; and how many events were attached."""
    ctx = offline_context(Settings.from_env(ais_dir=""))  # no AIS: the baseline
    # One generated ship broadcasts LADY R's IMO: her events are that ship's.
    lady = int(positions.mmsi[0])
    statics = [*statics, StaticReport(str(lady), datetime.now(UTC), LADY_R_IMO, "LADY R")]
    areas = PortAreas.build(load_bundled_ports())
    behaviour = build_behaviour(positions, statics, areas, Settings.from_env().ais_params, 1)
    with_events = replace(ctx, behaviour=behaviour)
    request = Request(Query(imo=LADY_R_IMO), window_days=36500)
    events = len(run(request, with_events).histories[0].events)
    plain, rich = [], []
    for _ in range(rounds):
        for target, context in ((plain, ctx), (rich, with_events)):
            started = time.perf_counter()
            run(request, context)
            target.append((time.perf_counter() - started) * 1e6)
    return statistics.median(plain), statistics.median(rich), events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=2_000_000)
    parser.add_argument("--sentences", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()

    positions, statics, _ = generate(args.positions, max(100, args.positions // 2500))
    with tempfile.TemporaryDirectory(prefix="ais-bench-") as scratch:
        folder = Path(scratch)
        csv_path, nmea_path = folder / "positions.csv", folder / "positions.nmea"
        write_csv(positions, csv_path)
        sentences = write_nmea(positions, args.sentences, nmea_path)
        stores = [("SQLite", Settings.from_env(data_dir=folder / "data" / "run", database_url=""))]
        scratch_url = scratch_database(args.database_url) if args.database_url else ""
        if scratch_url:
            stores.append(("PostgreSQL", Settings.from_env(database_url=scratch_url)))
        print(f"# AIS into the store ({harness.git_commit()}, "
              f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; "
              f"median of {args.runs})")  # fmt: skip
        print("| store | input | messages | seconds | messages/s | target |")
        print("|---|---|---|---|---|---|")
        for label, settings in stores:
            seconds, kept = time_ingest(settings, csv_path, args.runs)
            print(f"| {label} | MarineCadastre CSV | {kept:,} | {seconds:.2f} | "
                  f"{kept / seconds:,.0f} | 300,000 |")  # fmt: skip
            seconds, kept = time_ingest(settings, nmea_path, args.runs)
            print(f"| {label} | NMEA, tag blocks | {sentences:,} | {seconds:.2f} | "
                  f"{sentences / seconds:,.0f} | 50,000 |")  # fmt: skip
        if scratch_url:
            drop_database(args.database_url, scratch_url)
    plain, rich, events = screening_cost(positions, statics, args.rounds)
    print()
    print("| screening LADY R by IMO | median µs |")
    print("|---|---|")
    print(f"| without behaviour | {plain:.1f} |")
    print(f"| with her behaviour ({events} events attached) | {rich:.1f} |")
    print(f"| added | {rich - plain:.1f} (target < 100) |")


if __name__ == "__main__":
    main()
