"""Bulk screening speed: CSV upload and batch over HTTP, and the matcher against a brute force.

Three measurements, printed as one table with the machine's core count:

1. `POST /v1/screen/csv` with a generated file of N rows (default 100,000) against the real OFAC
   files, served by gunicorn exactly as `make run` serves it (started, polled on /readyz and
   stopped by benchmarks/harness.py): seconds end to end (upload, screening, the whole streamed
   answer read), rows per second, and the peak RSS (VmHWM) of the worker that answered. Target:
   at most 10 s, under 300 MB.
2. `POST /v1/screen/batch` with 1,000 queries a request, R requests on one connection: queries
   per second (median request). Target: at least 10,000.
3. In process: N rows (default 100,000) against a generated list of 50,000 vessels, through the
   same code as the CSV endpoint (`bulk.open_csv`, `bulk.screen_file`) and through the
   matcher alone (`matcher.screen_many`), each against the floor measured in the same run: a
   brute-force `rapidfuzz.process.cdist(scorer=fuzz.ratio, workers=-1)` of every normalised row
   name against every normalised listed name (chunked so that it fits in memory); the three are
   alternated `--rounds` times (default 2) and the best of each kept. Target: at most 1.5 times
   the floor.

Rows are generated, never read from ../shared/eval: a fifth are listed names with variations
(typos, case, hull prefixes, the IMO number or the flag now and then), the rest ship-like names
made from place names (pycountry's subdivisions) and common ship-name words, some numbered.

Usage: .venv/bin/python benchmarks/bulk.py [--rows N] [--listed N] [--batches R] [--rounds R]
       [--skip-http] [--skip-floor]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pycountry
from anyascii import anyascii
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from harness import PssSampler, post

from service.bulk import screen_file
from service.bulk_read import Limits, count_line_breaks, open_csv
from service.bulk_write import Output
from service.index import ScreeningIndex, build_index
from service.loaders.registry import load_lists
from service.matcher import Policy, Query, screen_many
from service.model import ListInfo, LoadedList, Vessel, VesselName
from service.names import normalize_name
from service.serving import Serving
from service.settings import Settings
from service.store import open_store

ROOT = harness.ROOT
REAL_LISTS = harness.REAL_LISTS
TARGET_CSV_S = 10.0
TARGET_RSS_MB = 300.0
TARGET_BATCH_QPS = 10_000.0
TARGET_FLOOR_RATIO = 1.5
FLOOR_CHUNK = 500  # rows per brute-force cdist call: 500 x 50,000 float32 = 100 MB

NOUNS = [
    "STAR",
    "SPIRIT",
    "GLORY",
    "PRIDE",
    "QUEEN",
    "PRINCESS",
    "TRADER",
    "CARRIER",
    "PIONEER",
    "NAVIGATOR",
    "VOYAGER",
    "EXPRESS",
    "HOPE",
    "FORTUNE",
    "WAVE",
    "WIND",
    "SUN",
    "MOON",
    "SEA",
    "OCEAN",
    "RIVER",
    "BAY",
    "CAPE",
    "ISLAND",
    "HARBOUR",
    "EAGLE",
    "FALCON",
    "DOLPHIN",
    "LEADER",
    "VENTURE",
    "BREEZE",
    "HORIZON",
]
ADJECTIVES = [
    "GOLDEN",
    "SILVER",
    "BLUE",
    "GREEN",
    "GRAND",
    "ROYAL",
    "GREAT",
    "NEW",
    "NORTHERN",
    "SOUTHERN",
    "EASTERN",
    "WESTERN",
    "BRIGHT",
    "LUCKY",
    "HAPPY",
    "NOBLE",
    "BRAVE",
    "SWIFT",
]
PREFIXES = ("", "", "", "M/V ", "MV ", "MT ", "m.v. ")
FLAGS = ("PA", "LR", "MH", "MT", "BS", "GR", "CY", "SG", "HK", "NO", "Panama", "Liberia", "")


@dataclass
class Figures:
    label: str
    rows: int
    seconds: float
    rss_mb: float | None = None
    # Peak of the summed proportional set size (shared pages split between the processes that
    # share them) of the answering worker and the processes it forked to screen in parallel.
    pss_mb: float | None = None
    floor_s: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


class Names:
    """Ship-like names from place names and common ship-name words, reproducibly."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        places = {anyascii(s.name).upper() for s in pycountry.subdivisions}
        self.places = sorted(p for p in places if p.replace(" ", "").isalpha())
        words = {w for p in self.places for w in p.replace("-", " ").split()}
        self.words = sorted(w for w in words if len(w) > 2 and w.isalpha())

    def name(self) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.3:
            name = rng.choice(self.words)
        elif pick < 0.5:
            name = f"{rng.choice(self.words)} {rng.choice(NOUNS)}"
        elif pick < 0.65:
            name = f"{rng.choice(ADJECTIVES)} {rng.choice(self.words)}"
        elif pick < 0.8:
            name = rng.choice(self.places)
        else:
            name = f"{rng.choice(self.words)} {rng.choice(self.words)}"
        if rng.random() < 0.3:
            name += f" {rng.randint(1, 30)}"
        return name

    def variant(self, name: str) -> str:
        """A listed name as a caller may have it: a typo or two, case, a hull prefix."""
        rng = self.rng
        letters = list(name)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            i = rng.randrange(len(letters))
            kind = rng.random()
            if kind < 0.4:
                letters[i] = rng.choice("ABCDEFGHIKLMNOPRSTUVWY")
            elif kind < 0.7 and len(letters) > 3:
                del letters[i]
            else:
                letters.insert(i, rng.choice("AEIOURNST"))
        text = "".join(letters)
        text = text.lower() if rng.random() < 0.2 else text
        return rng.choice(PREFIXES) + text


def write_rows(vessels: tuple[Vessel, ...], names: Names, rows: int) -> bytes:
    """A CSV of `rows` rows: a fifth about listed vessels (varied), the rest not listed."""
    rng = names.rng
    out = io.StringIO()
    out.write("Vessel Name,IMO number,Flag,Reference\r\n")
    for number in range(rows):
        if rng.random() < 0.2:
            vessel = rng.choice(vessels)
            name = names.variant(rng.choice(vessel.all_names))
            imo = vessel.imo if vessel.imo and rng.random() < 0.3 else ""
            flag = vessel.flags[0] if vessel.flags and rng.random() < 0.3 else ""
        else:
            name, imo, flag = names.name(), "", rng.choice(FLAGS)
        cells = [name, imo, flag, f"cp-{number}"]
        out.write(",".join(f'"{c}"' if "," in c else c for c in cells) + "\r\n")
    return out.getvalue().encode()


# --- HTTP ----------------------------------------------------------------------------------------


def worker_peak_mb(server: harness.Server) -> float:
    """The highest peak RSS (VmHWM) among gunicorn's workers."""
    workers = harness.child_pids(server.proc.pid)
    peaks = [harness.memory_kib(pid).get("VmHWM", 0) for pid in workers]
    return max(peaks, default=0) / 1024


def http_figures(csv_body: bytes, rows: int, batches: int, lists_dir: Path) -> list[Figures]:
    print(f"starting gunicorn (LISTS_DIR={lists_dir}) ...", flush=True)
    server = harness.start_server(lists_dir, workers=2)
    figures: list[Figures] = []
    try:
        harness.wait_ready(server)
        rss_ready = worker_peak_mb(server)
        # Warm both workers (imports, caches) with a small file and a small batch.
        small = b"\n".join(csv_body.splitlines()[:200]) + b"\n"
        for _ in range(2):
            post(server.port, "/v1/screen/csv", small, {"Content-Type": "text/csv"})
        print(f"ready in {server.startup_s:.1f} s, worker RSS {rss_ready:.0f} MB", flush=True)

        for label, headers in (
            ("POST /v1/screen/csv (text/csv -> CSV)", {"Content-Type": "text/csv"}),
            (
                "POST /v1/screen/csv (-> NDJSON)",
                {"Content-Type": "text/csv", "Accept": "application/x-ndjson"},
            ),
        ):
            sampler = PssSampler(server.proc.pid)
            sampler.start()
            status, answer, seconds = post(server.port, "/v1/screen/csv", csv_body, headers)
            pss = sampler.stop()
            lines = answer.count(b"\n") - (1 if "NDJSON" not in label else 0)
            if status != 200 or lines != rows:
                raise RuntimeError(f"{label}: {status}, {lines} lines for {rows} rows")
            note = f"{len(answer):,} B out"
            figures.append(Figures(label, rows, seconds, worker_peak_mb(server), pss, note=note))
            print(f"  {label}: {seconds:.2f} s", flush=True)

        figures.append(batch_figures(server, csv_body, batches))
    finally:
        harness.stop_server(server)
    return figures


def batch_figures(server: harness.Server, csv_body: bytes, batches: int) -> Figures:
    lines = csv_body.decode().splitlines()[1:]
    bodies = []
    for b in range(batches):
        queries = []
        for line in lines[b * 1000 : (b + 1) * 1000]:
            name, imo, flag, reference = next(csv.reader([line]))
            query = {"name": name, "reference": reference}
            if imo:
                query["imo"] = imo
            if flag:
                query["flag"] = flag
            queries.append(query)
        bodies.append(json.dumps({"queries": queries}).encode())
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    try:
        post(server.port, "/v1/screen/batch", bodies[0], headers, conn)  # warm
        times = []
        for body in bodies:
            status, answer, seconds = post(server.port, "/v1/screen/batch", body, headers, conn)
            if status != 200 or len(json.loads(answer)["results"]) != 1000:
                raise RuntimeError(f"batch answered {status}")
            times.append(seconds)
    finally:
        conn.close()
    median = statistics.median(times)
    print(f"  POST /v1/screen/batch: median {median * 1000:.0f} ms per 1,000", flush=True)
    return Figures(
        f"POST /v1/screen/batch (1,000 a request, median of {len(times)})",
        1000,
        median,
        worker_peak_mb(server),
        note=f"best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms",
    )


# --- In process, 50,000 generated listed vessels -------------------------------------------------


def generated_index(names: Names, count: int) -> ScreeningIndex:
    rng = names.rng
    vessels = []
    for i in range(count):
        aliases = (VesselName(names.name(), "fka"),) if rng.random() < 0.1 else ()
        vessels.append(
            Vessel(
                entity_id=f"generated:{i}",
                list_id="generated",
                source_id=str(i),
                name=names.name(),
                names=aliases,
            )
        )
    info = ListInfo("generated", "generated vessels", "1", datetime.now(UTC), count)
    return build_index([LoadedList(info, tuple(vessels))])


def floor_seconds(row_names: list[str], index: ScreeningIndex) -> float:
    """Brute force: every normalised row name against every normalised listed name."""
    keys = [normalize_name(n).key for n in row_names]
    started = time.perf_counter()
    for start in range(0, len(keys), FLOOR_CHUNK):
        process.cdist(
            keys[start : start + FLOOR_CHUNK], index.name_keys, scorer=fuzz.ratio, workers=-1
        )
    return time.perf_counter() - started


def in_process_figures(rows: int, listed: int, rounds: int, data_dir: Path) -> list[Figures]:
    """The floor and the two bulk paths, alternated `rounds` times; the best of each is kept,
    so that another load on the machine in one phase does not decide the ratio."""
    names = Names(seed=20)
    print(f"generating {listed:,} listed vessels and {rows:,} rows ...", flush=True)
    index = generated_index(names, listed)
    body = write_rows(index.vessels, names, rows)
    row_names = [cells[0] for cells in csv.reader(body.decode().splitlines()[1:])]
    distinct = len({normalize_name(n).key for n in row_names})
    settings = Settings.from_env(lists_dir=ROOT / "lists", data_dir=data_dir, database_url="")
    store = open_store(settings)
    store.migrate()
    serving = Serving.from_settings(settings, store)
    serving.index = index
    queries = [Query(name=n) for n in row_names]

    floors: list[float] = []
    wholes: list[float] = []
    matchers: list[float] = []
    out = 0
    for number in range(1, rounds + 1):
        floors.append(floor_seconds(row_names, index))
        # Normalising names is part of screening, not of the floor: no help from earlier runs.
        normalize_name.cache_clear()
        stream = io.BytesIO(body)
        started = time.perf_counter()
        source = open_csv(stream, Limits(max_rows=rows), count_line_breaks(stream))
        answer = screen_file(
            source, serving.context(index), Output(), processes=os.cpu_count() or 1
        )
        out = sum(len(b) for b in answer)
        wholes.append(time.perf_counter() - started)
        normalize_name.cache_clear()
        started = time.perf_counter()
        for start in range(0, len(queries), 1000):
            screen_many(queries[start : start + 1000], index, Policy())
        matchers.append(time.perf_counter() - started)
        print(
            f"  round {number}: floor {floors[-1]:.1f} s, CSV path {wholes[-1]:.1f} s, "
            f"screen_many {matchers[-1]:.1f} s",
            flush=True,
        )
    floor = min(floors)
    every = f"best of {rounds}: " if rounds > 1 else ""
    return [
        Figures(
            f"CSV path in process (processes={os.cpu_count()}), {len(index.name_keys):,} "
            "listed names",
            rows,
            min(wholes),
            floor_s=floor,
            note=f"{every}{', '.join(f'{w:.1f}' for w in wholes)} s; {out:,} B out; "
            f"{distinct:,} distinct row names; floor {', '.join(f'{f:.1f}' for f in floors)} s",
        ),
        Figures(
            "matcher.screen_many alone, one process (names only)",
            rows,
            min(matchers),
            floor_s=floor,
            note=f"{every}{', '.join(f'{m:.1f}' for m in matchers)} s",
        ),
    ]


def print_table(figures: list[Figures], lists: str) -> None:
    print()
    print(f"date     {datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(
        f"machine  {os.cpu_count()} cores (os.cpu_count()), {platform.machine()}, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(f"commit   {harness.git_commit()}")
    threads = Settings.from_env().threads
    print(f"HTTP     gunicorn as `make run` (2 workers x {threads} threads), lists {lists}")
    print()
    print(
        "| what | rows | seconds | rows/s | peak RSS (worker) | peak PSS (worker + pool) "
        "| x floor | note |"
    )
    print("|" + "---|" * 8)
    for f in figures:
        rss = f"{f.rss_mb:.0f} MB" if f.rss_mb is not None else ""
        pss = f"{f.pss_mb:.0f} MB" if f.pss_mb is not None else ""
        ratio = f"{f.seconds / f.floor_s:.2f}" if f.floor_s else ""
        print(
            f"| {f.label} | {f.rows:,} | {f.seconds:.2f} | {f.rate:,.0f} | {rss} | {pss} "
            f"| {ratio} | {f.note} |"
        )
    for floor in {f.floor_s for f in figures if f.floor_s}:
        print(f"\nbrute-force cdist floor: {floor:.2f} s (best in the same run)")
    print(
        f"targets: CSV <= {TARGET_CSV_S:g} s and RSS < {TARGET_RSS_MB:g} MB; batch >= "
        f"{TARGET_BATCH_QPS:,.0f} queries/s; <= {TARGET_FLOOR_RATIO:g} x floor"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--listed", type=int, default=50_000)
    parser.add_argument("--batches", type=int, default=20, help="batch requests of 1,000")
    parser.add_argument("--lists", type=Path, default=REAL_LISTS)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-floor", action="store_true", help="skip the 50,000-vessel part")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the floor part")
    args = parser.parse_args(argv)
    if not args.lists.is_dir():
        print(f"{args.lists} is absent; this benchmark needs the real OFAC files", file=sys.stderr)
        return 1
    figures: list[Figures] = []
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp:
        if not args.skip_http:
            names = Names(seed=10)
            ofac = build_index(load_lists(args.lists))
            body = write_rows(ofac.vessels, names, args.rows)
            Path(tmp, "rows.csv").write_bytes(body)
            print(
                f"{args.rows:,} rows, {len(body):,} bytes, against {len(ofac.vessels)} "
                "listed OFAC vessels",
                flush=True,
            )
            figures += http_figures(body, args.rows, args.batches, args.lists.resolve())
        if not args.skip_floor:
            figures += in_process_figures(args.rows, args.listed, args.rounds, Path(tmp))
    print_table(figures, str(args.lists))
    return 0


if __name__ == "__main__":
    sys.exit(main())
