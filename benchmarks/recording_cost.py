"""What recording every answer costs: single screening over HTTP, and one commit alone.

Over HTTP (the default), as callers meet it. The service is started as `make run` starts it
(gunicorn, 2 workers, the real OFAC files where present) once per mode, all at once, and each is
driven by `wrk` in alternating rounds, so that noise on this shared machine falls on every mode
alike:
- no store, the control: every worker's recorder replaced by counting alone (`served_config`
  below; the service itself has no switch to stop recording);
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

`--decompose` adds two modes that split the cost: the recorder with a stand-in store
(`StandInStore`) whose commits return at once (the cost of the recording machinery alone), and
one whose commits block for `--stand-in-ms` (default 1.5, a flush to disk under load on a
virtual disk) without doing any work (the cost of a request waiting on a flush).

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
(gunicorn's workers left to the kernel), each also compared with the unpinned control: what
keeping each worker on a core of its own changes, in the same run.

One commit alone (`--commit-cost`), on the PostgreSQL server: over HTTP the server's work is
mixed with the service's, `wrk`'s and the kernel's on the same cores. This takes it apart: the
service's own store records real answers (the queries above screened against the real OFAC
files where present, the bundled lists otherwise) through its hot path
(`PostgresStore.record_screenings`, one prepared multi-row INSERT in autocommit) on one
connection, group after group, and reads that connection's backend's time on a core from
/proc (`schedstat`, in nanoseconds: a commit is a tenth of a clock tick). For each group size
it prints the backend's CPU per commit and per record and this client's CPU per commit, for the
schema as migrated, with `synchronous_commit = off` (the same work without the flush of the
write-ahead log, so the flush's share is the difference; the service never runs that way), and
with the JSON columns as plain `text` (what the server's own JSON check costs). Needs a
PostgreSQL server on this machine (its backends' /proc).

Usage: python benchmarks/recording_cost.py [--lists DIR] [--seconds S] [--rounds R]
       [--connections 16,32,64] [--workers N] [--decompose [--stand-in-ms MS]]
       [--database-core] [--unpinned] [--json PATH]
       python benchmarks/recording_cost.py --commit-cost [--commits N] [--sizes 1,4,16]
       [--admin URL]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from service import create_app, metrics  # noqa: E402 - the repository is on the path first
from service.store.base import ScreeningRecord  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

ADMIN = os.environ.get("VS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
QUERIES = [
    {"name": "LADY R"},
    {"imo": "IMO 9179842"},
    {"name": "SEA BRIEZE", "flag": "Panama"},
    {"name": "NORDIC SPIRIT", "imo": "9161015"},
    {"name": "ЛЕДИ Р"},
]
TARGET_CUT = 0.30

# --- The modes the service has no setting for ---------------------------------------------------


class StandInStore:
    """A store that keeps nothing: each commit returns at once, or sleeps (letting go of
    Python's GIL, as a thread waiting on fdatasync does) for as long as a flush to disk."""

    def __init__(self, commit_seconds: float) -> None:
        self.commit_seconds = commit_seconds

    def record_screenings(self, records: Sequence[Any]) -> None:
        if self.commit_seconds > 0:
            time.sleep(self.commit_seconds)


def after_worker_init(service_hook: Callable[[Any], None], store: str) -> Callable[[Any], None]:
    """gunicorn.conf.py's `post_worker_init`, then the worker's recorder changed: `store`
    "none" (the control: it counts its screenings in /metrics and records nothing) or
    "stand-in" (the recorder as the service runs it, its store a `StandInStore` whose commits
    take STAND_IN_COMMIT_MS)."""
    if store not in ("none", "stand-in"):
        raise ValueError(f"store {store!r}: 'none' or 'stand-in'")

    def post_worker_init(worker: Any) -> None:
        service_hook(worker)
        recorder = worker.wsgi.extensions["vessel_screen"].recorder
        if store == "none":
            # The service counts screenings where they are recorded, so replacing the recorder's
            # `record` by the count alone keeps /metrics as a service without a store has it.
            recorder.record = metrics.count_screenings
        else:
            seconds = float(os.environ.get("STAND_IN_COMMIT_MS", "0")) / 1000
            recorder.store = StandInStore(seconds)

    return post_worker_init


def served_config(folder: Path, store: str) -> Path:
    """The gunicorn config of the control (`store` "none") or of the stand-in modes
    ("stand-in"), written into `folder`: gunicorn.conf.py as `make run` reads it, its
    `post_worker_init` wrapped in `after_worker_init`. The service itself has no switch to stop
    recording or to change its store; only this benchmark serves that way.

    The control's config imports the service (this module) before gunicorn.conf.py runs, so
    its prometheus_client keeps its values in process, where every other mode writes them to
    the multiprocess files gunicorn.conf.py's `_metrics_dir` sets up: the control measured by
    the figures in docs/benchmarks.md."""
    base = ROOT / "gunicorn.conf.py"
    load = "import recording_cost\n"
    service = (
        f"exec(compile(open({str(base)!r}, encoding='utf-8').read(), {str(base)!r}, 'exec'))\n"
    )
    path = folder / f"gunicorn.{store}.py"
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        + (load + service if store == "none" else service + load)
        + f"post_worker_init = recording_cost.after_worker_init(post_worker_init, {store!r})\n",
        encoding="utf-8",
    )
    return path


# --- Over HTTP ----------------------------------------------------------------------------------


def over_http(args: argparse.Namespace) -> int:
    if not Path(harness.WRK).exists():
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it as root)")
    with tempfile.TemporaryDirectory(prefix="vs-recording-") as scratch:
        return _over_http(args, Path(scratch))


def _over_http(args: argparse.Namespace, scratch: Path) -> int:
    script = harness.write_wrk_script(
        [("POST", "/v1/screen", json.dumps(q).encode()) for q in QUERIES]
    )
    admin_url = args.admin
    service = "gunicorn.conf.py"
    modes: dict[str, tuple[dict[str, str], str]] = {
        "no store": ({}, str(served_config(scratch, "none"))),
        "SQLite FULL": ({}, service),
        "SQLite NORMAL": ({"SQLITE_SYNCHRONOUS": "NORMAL"}, service),
    }
    if args.decompose:
        stand_in = str(served_config(scratch, "stand-in"))
        modes["instant commit"] = ({"STAND_IN_COMMIT_MS": "0"}, stand_in)
        modes[f"{args.stand_in_ms:g} ms commit"] = (
            {"STAND_IN_COMMIT_MS": str(args.stand_in_ms)},
            stand_in,
        )
    dbname = f"vs_bench_{uuid.uuid4().hex}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        modes["PostgreSQL"] = (
            {"DATABASE_URL": admin_url.rsplit("/", 1)[0] + f"/{dbname}"},
            service,
        )
    except psycopg.Error as exc:
        print(f"PostgreSQL not measured: {exc}")
        dbname = ""
    if args.unpinned:
        for name in [n for n in ("no store", "SQLite FULL", "PostgreSQL") if n in modes]:
            env, mode_config = modes[name]
            modes[f"{name}, unpinned"] = (env | {"PIN_WORKERS": "off"}, mode_config)

    moved: dict[int, set[int]] = {}
    layout = ""
    if args.database_core:
        if not dbname:
            raise SystemExit("--database-core needs the PostgreSQL server on 127.0.0.1")
        moved = move_database_server(admin_url)
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
    postmaster = database_server_pids(admin_url)[0] if dbname else None
    try:
        for number, (name, (env, mode_config)) in enumerate(modes.items()):
            data_dir = scratch / f"data-{number}"
            full_env = harness.isolated_env(data_dir, env.get("DATABASE_URL", "")) | env
            if args.threads:
                full_env["GUNICORN_CMD_ARGS"] = f"--threads {args.threads}"
            servers[name] = harness.launch(args.lists, args.workers, full_env, config=mode_config)
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
                        raise RuntimeError(
                            f"{name}: {busy.errors} failed requests at c{conns} (non-2xx "
                            f"{busy.non2xx}, socket {busy.socket_errors or 'none'})\n"
                            + harness.log_tail(server)
                        )
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
        script.unlink(missing_ok=True)
        if dbname:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )

    medians = {n: {k: statistics.median(v) for k, v in f.items()} for n, f in figures.items()}
    peaks = {n: peak_rates({c: f[f"c{c}_rate"] for c in levels}) for n, f in figures.items()}
    paired = {n: paired_ratios(p, peaks["no store"]) for n, p in peaks.items()}
    print(
        f"\nrecording cost over HTTP, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} "
        f"cores, commit {harness.git_commit()}, gunicorn {args.workers} workers, lists "
        f"{args.lists}; medians of {args.rounds} rounds of {args.seconds} s, modes alternated, "
        "wrk on the same machine"
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


# --- One commit alone, on the PostgreSQL server -------------------------------------------------

Variant = Callable[[psycopg.Connection, PostgresStore], None]


def on_cpu_seconds(pid: int) -> float:
    """Seconds the process `pid` has run on a core so far (its main thread: a PostgreSQL
    backend has only that one)."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def as_migrated(admin: psycopg.Connection, store: PostgresStore) -> None:
    pass


def no_flush(admin: psycopg.Connection, store: PostgresStore) -> None:
    recording(store).execute("SET synchronous_commit = off")


def text_columns(admin: psycopg.Connection, store: PostgresStore) -> None:
    for column in ("query", "list_versions", "response"):
        admin.execute(
            sql.SQL("ALTER TABLE screenings ALTER COLUMN {} TYPE text").format(
                sql.Identifier(column)
            )
        )


VARIANTS: dict[str, Variant] = {
    "as migrated": as_migrated,
    "synchronous_commit off": no_flush,
    "JSON columns as text": text_columns,
}


def recording(store: PostgresStore) -> psycopg.Connection:
    """The store's connection that records small groups (opened if it is not yet): the one
    whose backend is measured."""
    return store._recording_connection()


@contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"vs_commit_{uuid.uuid4().hex}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def real_records(lists: Path) -> list[ScreeningRecord]:
    """The records the service keeps for the benchmark's queries: its own answers, screened
    in process with the embedded store in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="vs-commit-") as data_dir:
        app = create_app(lists_dir=lists, data_dir=Path(data_dir), database_url="")
        store = app.extensions["vessel_screen"].store
        client = app.test_client()
        records = []
        for query in QUERIES:
            answer = client.post("/v1/screen", json=query)
            if answer.status_code != 200:
                raise SystemExit(f"{query}: {answer.status_code} {answer.text[:200]}")
            record = store.get_screening(answer.get_json()["screening_id"])
            assert record is not None
            records.append(record)
        store.close()
    return records


def groups(
    records: Sequence[ScreeningRecord], size: int, count: int
) -> list[list[ScreeningRecord]]:
    """`count` groups of `size` records taken in turn from `records`, each with an id of its
    own (built before the clock starts)."""
    out = []
    for g in range(count):
        group = []
        for i in range(size):
            record = records[(g * size + i) % len(records)]
            group.append(dataclasses.replace(record, screening_id=str(uuid.uuid4())))
        out.append(group)
    return out


def measure(
    url: str, variant: Variant, records: Sequence[ScreeningRecord], size: int, commits: int
) -> dict[str, float]:
    """Microseconds of the backend's CPU per commit and per record, the client's per commit
    and the wall time per commit, over `commits` groups of `size` records."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("TRUNCATE screenings CASCADE")
        store = PostgresStore(url)
        try:
            store.migrate()
            variant(admin, store)
            backend = recording(store).info.backend_pid
            work = groups(records, size, commits)
            store.record_screenings(work[0])  # the statement prepared, pages warm
            backend_before = on_cpu_seconds(backend)
            client_before, wall_before = time.process_time(), time.perf_counter()
            for group in work[1:]:
                store.record_screenings(group)
            wall = time.perf_counter() - wall_before
            client = time.process_time() - client_before
            server = on_cpu_seconds(backend) - backend_before
        finally:
            store.close()
    n = commits - 1
    return {
        "backend": 1e6 * server / n,
        "backend per record": 1e6 * server / n / size,
        "client": 1e6 * client / n,
        "wall": 1e6 * wall / n,
    }


def commit_cost(args: argparse.Namespace) -> int:
    sizes = [int(s) for s in args.sizes.split(",")]
    records = real_records(args.lists)
    answers = sorted(len(r.response_json) for r in records)
    print(
        f"one PostgreSQL commit of recorded screenings, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
        f"{os.cpu_count()} cores, commit {harness.git_commit()}, {args.commits} commits a "
        f"figure, one connection; answers of {answers[0]}-{answers[-1]} bytes from {args.lists}"
    )
    print(
        f"{'schema / setting':24} {'records':>7} {'backend us/commit':>18} "
        f"{'us/record':>10} {'client us/commit':>17} {'wall us/commit':>15}"
    )
    with scratch_database(args.admin) as url:
        PostgresStore(url).migrate()
        # In this order: the last variant changes the table for good.
        for name, variant in VARIANTS.items():
            for size in sizes:
                m = measure(url, variant, records, size, args.commits)
                print(
                    f"{name:24} {size:7} {m['backend']:18.0f} {m['backend per record']:10.1f} "
                    f"{m['client']:17.0f} {m['wall']:15.0f}"
                )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    real = harness.REAL_LISTS
    parser.add_argument("--lists", type=Path, default=real if real.exists() else ROOT / "lists")
    parser.add_argument("--admin", default=ADMIN, help="a PostgreSQL URL that may create databases")
    http = parser.add_argument_group("over HTTP (the default)")
    http.add_argument("--seconds", type=int, default=4, help="each wrk run")
    http.add_argument("--rounds", type=int, default=8)
    http.add_argument("--json", type=Path, help="also write the figures here")
    http.add_argument(
        "--threads", type=int, help="gunicorn threads a worker (default: gunicorn.conf.py's)"
    )
    http.add_argument(
        "--connections",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[16, 32, 64],
        help="wrk's connections in the busy runs, comma-separated (default 16,32,64)",
    )
    http.add_argument(
        "--workers", type=int, default=2, help="gunicorn workers of every mode (default 2)"
    )
    http.add_argument("--decompose", action="store_true", help="add the two stand-in store modes")
    http.add_argument(
        "--stand-in-ms", type=float, default=1.5, help="the blocking stand-in's commit"
    )
    http.add_argument(
        "--database-core",
        action="store_true",
        help="the PostgreSQL server on the last core, the services and wrk on the others",
    )
    http.add_argument(
        "--unpinned",
        action="store_true",
        help="add the control, SQLite FULL and PostgreSQL with PIN_WORKERS=off",
    )
    alone = parser.add_argument_group("one commit alone")
    alone.add_argument(
        "--commit-cost",
        action="store_true",
        help="measure one PostgreSQL commit alone instead of recording over HTTP",
    )
    alone.add_argument("--commits", type=int, default=3000, help="groups written per figure")
    alone.add_argument("--sizes", default="1,4,16", help="records a commit, comma-separated")
    args = parser.parse_args(argv)
    return commit_cost(args) if args.commit_cost else over_http(args)


if __name__ == "__main__":
    raise SystemExit(main())
