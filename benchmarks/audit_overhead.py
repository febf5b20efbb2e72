"""What the audit trail costs single screening, over HTTP as callers meet it.

The service is started as `make run` starts it (gunicorn, 2 workers, the real OFAC files where
present) once per store, all at once, and each is driven by `wrk` in alternating rounds, so that
noise on this shared machine falls on every mode alike:
- no store: `benchmarks/gunicorn_unrecorded.py`, every worker's recorder a no-op (the control);
- SQLite FULL, the embedded default (each record flushed to disk before its answer is sent);
- SQLite NORMAL (`SQLITE_SYNCHRONOUS=NORMAL`: in the write-ahead log, not flushed);
- PostgreSQL on 127.0.0.1:5432 (a database of its own, dropped after), when it answers.
Each round measures screens per second at each busy concurrency (`--connections`, default 16,
32 and 64 connections) of every mode one after the other, with the p99, then the p50 at
concurrency 1 of each. Target (issue 5): recording cuts single-screening throughput by at most
30%. A mode's throughput in a round is its highest rate over the busy concurrencies, the
control's alike: at a single concurrency of 16 the rate is 16 divided by the response time, so
a mode whose answers wait for a flush to disk shows its latency there, not how many screenings
it can answer (its cores sit partly idle). The c16 rate's own paired cut is printed too.

`--decompose` adds two modes that split the cost (`benchmarks/gunicorn_stand_in_store.py`): the
recorder with a stand-in store whose commits return at once (the cost of the recording
machinery alone), and one whose commits block for `--stand-in-ms` (default 1.5, a flush to disk
under load on a virtual disk) without doing any work (the cost of a request waiting on a flush).

The verdict is the median over rounds of each round's own ratio (a mode's throughput over the
control's in the same round), printed with its range: on a shared host whose speed drifts for
seconds at a time, a ratio of two runs taken seconds apart is steadier than the ratio of two
medians taken over the whole run (both are printed).

Each busy run also splits the machine's core time per screening (from /proc): the service's
processes, the PostgreSQL server's, cores left idle (or waiting for I/O), and the rest (wrk,
the kernel's own threads). It shows where a mode's throughput went: work added, or cores that
sat idle while answers waited for their commits.

`--database-core` measures as if PostgreSQL ran on a machine of its own, as it does in
production: the local PostgreSQL server's processes are moved to the last core for the run (and
put back after), and the services and `wrk`, every mode's alike, to the others. On a 2-core
machine the server's own work (about 0.16 ms of CPU a screening) otherwise comes out of the
cores the service and its control share, which no deployment with a database server elsewhere
pays. Needs a local server whose processes this user may move (root, or the server's user).

`--unpinned` adds the control, SQLite FULL and PostgreSQL served with `PIN_WORKERS=off`
(gunicorn's workers left to the kernel, as before PIN_WORKERS), each also compared with the
unpinned control: what keeping each worker on a core of its own changes, in the same run.

Usage: python benchmarks/audit_overhead.py [--lists DIR] [--seconds S] [--rounds R]
       [--decompose [--stand-in-ms MS]] [--database-core] [--unpinned]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import harness
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
ADMIN = os.environ.get("VS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
QUERIES = [
    {"name": "LADY R"},
    {"imo": "IMO 9179842"},
    {"name": "SEA BRIEZE", "flag": "Panama"},
    {"name": "NORDIC SPIRIT", "imo": "9161015"},
    {"name": "ЛЕДИ Р"},
]
CONTROL = "benchmarks/gunicorn_unrecorded.py"
STAND_IN = "benchmarks/gunicorn_stand_in_store.py"
TARGET_CUT = 0.30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    real = harness.REAL_LISTS
    parser.add_argument("--lists", type=Path, default=real if real.exists() else ROOT / "lists")
    parser.add_argument("--seconds", type=int, default=4, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--threads", type=int, help="gunicorn threads a worker (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[16, 32, 64],
        help="wrk's connections in the busy runs, comma-separated (default 16,32,64)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of every mode (default 2)"
    )
    parser.add_argument("--decompose", action="store_true", help="add the two stand-in store modes")
    parser.add_argument(
        "--stand-in-ms", type=float, default=1.5, help="the blocking stand-in's commit"
    )
    parser.add_argument(
        "--database-core",
        action="store_true",
        help="the PostgreSQL server on the last core, the services and wrk on the others",
    )
    parser.add_argument(
        "--unpinned",
        action="store_true",
        help="add the control, SQLite FULL and PostgreSQL with PIN_WORKERS=off",
    )
    args = parser.parse_args()
    if not Path(harness.WRK).exists():
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it as root)")

    script = harness.write_wrk_script(
        [("POST", "/v1/screen", json.dumps(q).encode()) for q in QUERIES]
    )
    modes: dict[str, tuple[dict[str, str], str]] = {
        "no store": ({}, CONTROL),
        "SQLite FULL": ({}, "gunicorn.conf.py"),
        "SQLite NORMAL": ({"SQLITE_SYNCHRONOUS": "NORMAL"}, "gunicorn.conf.py"),
    }
    if args.decompose:
        modes["instant commit"] = ({"STAND_IN_COMMIT_MS": "0"}, STAND_IN)
        modes[f"{args.stand_in_ms:g} ms commit"] = (
            {"STAND_IN_COMMIT_MS": str(args.stand_in_ms)},
            STAND_IN,
        )
    dbname = f"vs_bench_{uuid.uuid4().hex}"
    try:
        with psycopg.connect(ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        modes["PostgreSQL"] = (
            {"DATABASE_URL": ADMIN.rsplit("/", 1)[0] + f"/{dbname}"},
            "gunicorn.conf.py",
        )
    except psycopg.Error as exc:
        print(f"PostgreSQL not measured: {exc}")
        dbname = ""
    if args.unpinned:
        for name in [n for n in ("no store", "SQLite FULL", "PostgreSQL") if n in modes]:
            env, config = modes[name]
            modes[f"{name}, unpinned"] = (env | {"PIN_WORKERS": "off"}, config)

    moved: dict[int, set[int]] = {}
    layout = ""
    if args.database_core:
        if not dbname:
            raise SystemExit("--database-core needs the PostgreSQL server on 127.0.0.1")
        moved = move_database_server(ADMIN)
        service_cores = os.sched_getaffinity(0)
        layout = (
            f"services and wrk on cores {sorted(service_cores)}, the PostgreSQL server on core "
            f"{sorted(moved[0] - service_cores)}"
        )

    servers: dict[str, harness.Server] = {}
    levels = args.connections
    figures: dict[str, dict[str, list[float]]] = {
        name: {"c1_p50_ms": []} | {f"c{c}_{k}": [] for c in levels for k in ("rate", "p99_ms")}
        for name in modes
    }
    # Per busy concurrency, per mode: each part's microseconds per screening, one per round.
    core_us: dict[int, dict[str, dict[str, list[float]]]] = {
        c: {name: {} for name in modes} for c in levels
    }
    postmaster = database_server_pids(ADMIN)[0] if dbname else None
    try:
        for name, (env, config) in modes.items():
            data_dir = Path(tempfile.mkdtemp(prefix="vs-audit-"))
            full_env = harness.isolated_env(data_dir, env.get("DATABASE_URL", "")) | env
            if args.threads:
                full_env["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
            servers[name] = harness.launch(args.lists, args.workers, full_env, config=config)
        for server in servers.values():  # warm-up: first requests, connections, caches
            harness.run_wrk(server.port, script, 2, 16, 2)
        for _ in range(args.rounds):
            # At each concurrency, the runs of every mode back to back: each round's ratios
            # compare runs taken seconds apart.
            for conns in levels:
                for name, server in servers.items():
                    before = core_seconds(server, postmaster)
                    busy = harness.run_wrk(server.port, script, 2, conns, args.seconds)
                    after = core_seconds(server, postmaster)
                    if busy.errors:
                        raise RuntimeError(f"{name}: {busy.errors} failed requests at c{conns}")
                    for part, spent in per_screening(before, after, busy.requests).items():
                        core_us[conns][name].setdefault(part, []).append(spent)
                    figures[name][f"c{conns}_rate"].append(busy.rate)
                    figures[name][f"c{conns}_p99_ms"].append(busy.p99_ms)
            for name, server in servers.items():
                calm = harness.run_wrk(server.port, script, 1, 1, args.seconds)
                if calm.errors:
                    raise RuntimeError(f"{name}: {calm.errors} failed requests")
                figures[name]["c1_p50_ms"].append(calm.p50_ms)
    finally:
        for server in servers.values():
            harness.stop_server(server)
        put_back(moved)
        if dbname:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )

    medians = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    peaks = {n: peak_rates({c: f[f"c{c}_rate"] for c in levels}) for n, f in figures.items()}
    paired = {n: paired_ratios(p, peaks["no store"]) for n, p in peaks.items()}
    print(
        f"\naudit overhead over HTTP, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"gunicorn {args.workers} workers, lists {args.lists}; medians of {args.rounds} rounds of "
        f"{args.seconds} s, modes alternated, wrk on the same machine"
    )
    if moved:
        print(layout)
    rates = "".join(f"{f'c{c}/s':>7}" for c in levels)
    print(
        f"{'store':21}{rates} {'throughput':>11} {'paired cut':>11} {'paired range':>14} "
        f"{'c16 cut':>8} {'c16 p99':>9} {'c1 p50':>8}  target"
    )
    for name, m in medians.items():
        cut = 1 - statistics.median(paired[name])
        spread = f"{min(paired[name]) - 1:+.0%} .. {max(paired[name]) - 1:+.0%}"
        verdict = "" if name == "no store" else ("met" if cut <= TARGET_CUT else "MISSED")
        c16 = ""
        if 16 in levels:
            at16 = paired_ratios(figures[name]["c16_rate"], figures["no store"]["c16_rate"])
            c16 = f"{statistics.median(at16) - 1:.1%}"
        p99 = f"{m['c16_p99_ms']:7.2f}ms" if 16 in levels else ""
        level_rates = "".join(f"{m[f'c{c}_rate']:7.0f}" for c in levels)
        print(
            f"{name:21}{level_rates} "
            f"{statistics.median(peaks[name]):11.0f} {-cut:11.1%} {spread:>14} {c16:>8} "
            f"{p99:>9} {m['c1_p50_ms']:6.2f}ms  {verdict}"
        )
    if "no store, unpinned" in figures:
        print("\nunpinned modes against the unpinned control (throughput, paired):")
        for unpinned in figures:
            if unpinned.endswith(", unpinned") and unpinned != "no store, unpinned":
                ratios = paired_ratios(peaks[unpinned], peaks["no store, unpinned"])
                cut = 1 - statistics.median(ratios)
                spread = f"{min(ratios) - 1:+.0%} .. {max(ratios) - 1:+.0%}"
                verdict = "met" if cut <= TARGET_CUT else "MISSED"
                print(f"{unpinned:21} {-cut:8.1%} {spread:>16}  {verdict}")
    for conns in levels:
        print(
            f"\ncore time per c{conns} screening, us (medians): {'service':>8} {'of it sys':>9} "
            f"{'database':>9} {'idle':>6} {'rest':>6} {'busy':>6} {'busy vs none':>13} "
            f"{'switches':>9}"
        )
        split = {
            n: {k: statistics.median(v) for k, v in parts.items()}
            for n, parts in core_us[conns].items()
        }
        for name, m in split.items():
            busy_more = m["busy"] / split["no store"]["busy"] - 1
            print(
                f"{name:42} {m['service']:8.0f} {m['service system']:9.0f} "
                f"{m['database']:9.0f} {m['idle']:6.0f} {m['rest']:6.0f} {m['busy']:6.0f} "
                f"{busy_more:13.1%} {m['switches']:9.2f}"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "medians": medians,
                    "runs": figures,
                    "throughput": peaks,
                    "paired": paired,
                    "core_us": {f"c{c}": parts for c, parts in core_us.items()},
                },
                indent=1,
            )
        )
    return 0


def peak_rates(rates_by_connections: dict[int, list[float]]) -> list[float]:
    """A mode's throughput in each round: its highest rate over the busy concurrencies of that
    round (rates listed round by round, per concurrency)."""
    return [max(round_rates) for round_rates in zip(*rates_by_connections.values(), strict=True)]


def paired_ratios(rates: list[float], control: list[float]) -> list[float]:
    """Each round's rate over the control's rate in the same round."""
    return [rate / c for rate, c in zip(rates, control, strict=True)]


def core_seconds(server: harness.Server, postmaster: int | None) -> dict[str, float]:
    """Core seconds so far: the service's processes (gunicorn's master and workers), of that
    the kernel's share (system time), the PostgreSQL server's (none without one), idle, and the
    whole machine; and the service's threads' voluntary context switches."""
    idle, machine = harness.machine_seconds()
    database = 0.0
    if postmaster is not None:
        database = harness.cpu_seconds([postmaster, *harness.child_pids(postmaster)])
    pids = [server.proc.pid, *harness.child_pids(server.proc.pid)]
    user, system = harness.cpu_split(pids)
    return {
        "service": user + system,
        "service system": system,
        "database": database,
        "idle": idle,
        "machine": machine,
        "switches": float(harness.voluntary_switches(pids)),
    }


def per_screening(
    before: dict[str, float], after: dict[str, float], screenings: int
) -> dict[str, float]:
    """Per screening between two `core_seconds`: microseconds of core time of the service (and
    of that its system time), the database, idle, the rest (wrk, the kernel's threads, other
    processes) and busy (all but idle); and the service's voluntary context switches (a count,
    not microseconds). A backend that ended between the two takes its time with it; the
    service's connections stay open through a run, so that leaves out only a connection opened
    and closed meanwhile."""
    spent = {part: after[part] - before[part] for part in before}
    parts = {part: spent[part] for part in ("service", "service system", "database", "idle")}
    named = spent["service"] + spent["database"] + spent["idle"]
    parts["rest"] = max(0.0, spent["machine"] - named)
    parts["busy"] = spent["machine"] - spent["idle"]
    n = max(screenings, 1)
    split = {part: 1e6 * seconds / n for part, seconds in parts.items()}
    split["switches"] = spent["switches"] / n
    return split


def database_server_pids(url: str) -> list[int]:
    """The local PostgreSQL server's processes: the postmaster (the parent of the backend that
    serves a connection to `url`) and its children."""
    with psycopg.connect(url, connect_timeout=3) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        backend = int(row[0])
        # Read while the connection is open: its backend exits when it closes.
        status = Path(f"/proc/{backend}/status").read_text()
    postmaster = int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])
    if Path(f"/proc/{postmaster}/comm").read_text().strip() not in ("postgres", "postmaster"):
        raise SystemExit(f"process {postmaster}, the parent of backend {backend}, is not postgres")
    return [postmaster, *harness.child_pids(postmaster)]


def move_database_server(url: str) -> dict[int, set[int]]:
    """Move the server to the last core and this process (so the services and wrk it starts)
    to the others; each moved process's former cores, for `put_back`. New backends are forked
    by the postmaster and start on its core."""
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        raise SystemExit("--database-core needs 2 cores or more")
    last = max(cores)
    moved: dict[int, set[int]] = {0: cores}
    try:
        for pid in database_server_pids(url):
            try:
                before = os.sched_getaffinity(pid)
                os.sched_setaffinity(pid, {last})
            except ProcessLookupError:  # a backend that ended meanwhile
                continue
            moved[pid] = before
    except BaseException:
        put_back(moved)
        raise
    os.sched_setaffinity(0, cores - {last})
    return moved


def put_back(moved: dict[int, set[int]]) -> None:
    """Every process `move_database_server` moved, and every backend the server forked since,
    on its former cores again."""
    if not moved:
        return
    postmaster = next((pid for pid in moved if pid != 0), None)
    if postmaster is not None:
        for pid in harness.child_pids(postmaster):
            moved.setdefault(pid, moved[postmaster])
    for pid, cores in moved.items():
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.sched_setaffinity(pid, cores)


if __name__ == "__main__":
    raise SystemExit(main())
