"""Reliability of the service as `make run` serves it: load, a killed worker, PostgreSQL cut.

Scenarios, each bounded in time (`--quick` shortens them for a smoke run):
1. load: gunicorn (2 workers), the real OFAC files, `wrk` POSTing varied /v1/screen bodies at
   32 connections for 60 s; requests, non-2xx answers, socket errors, p50/p99, requests/s.
2. worker killed: `wrk` at 16 connections in consecutive 1 s slices; half-way through
   the 6th one worker gets SIGKILL; errors, when the replacement worker appears, when the rate
   is back.
3. PostgreSQL cut: the store in a fresh database; 8 client threads screen while every backend of
   that database is terminated and new connections are refused for 8 s (longer than
   DB_TIMEOUT_SECONDS, 5 s, so waiting requests time out); /readyz must go 503 and
   back to 200, and every screening answered 200 must be in `screenings` (records lost: 0).
4. bad list files: covered by tests/test_serving.py (a line says so).

It prints each scenario's figures as it runs, then one table of them all headed by the date,
the core count and the commit measured; it exits 0 whenever the scenarios ran, non-zero only if
one could not run.

Usage: .venv/bin/python benchmarks/reliability.py [--quick] [--only load,kill,pg] [--lists DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness
from harness import (
    BUNDLED_LISTS,
    REAL_LISTS,
    Server,
    WrkResult,
    child_pids,
    isolated_env,
    run_wrk,
    stop_server,
    write_wrk_script,
)
from latency import QUERIES

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BODIES = [json.dumps(body) for _, body in QUERIES]


def launch(lists_dir: Path, workers: int, data_dir: Path, database_url: str = "") -> Server:
    """gunicorn as `make run` starts it, with a throw-away DATA_DIR and no Redis or keys."""
    return harness.launch(lists_dir, workers, isolated_env(data_dir, database_url))


def lua_script() -> Path:
    """A wrk script cycling the benchmark's query mix as POST /v1/screen bodies."""
    return write_wrk_script([("POST", "/v1/screen", body.encode()) for body in BODIES])


# --- scenarios ---------------------------------------------------------------------------------


# Each scenario prints its figures as it goes and returns its row of the closing table:
# (scenario, result, target and verdict).
Row = tuple[str, str, str]


def scenario_load(lists_dir: Path, data_dir: Path, seconds: int) -> Row:
    print(f"\n== 1. load: wrk -t2 -c32 -d{seconds}s, POST /v1/screen, 2 workers ==", flush=True)
    server = launch(lists_dir, 2, data_dir / "load")
    script = lua_script()
    try:
        r = run_wrk(server.port, script, 2, 32, seconds)
    finally:
        stop_server(server)
        script.unlink()
    print(f"requests       {r.requests} in {r.seconds:.1f} s ({r.rate:.0f} requests/s)")
    print(f"non-2xx        {r.non2xx}")
    print(f"socket errors  {r.socket_errors or 'none'}")
    print(f"latency        p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms")
    verdict = "MET" if r.errors == 0 else "MISSED"
    print(f"target         no error answers: {verdict}")
    return (
        f"load, wrk -t2 -c32 -d{seconds}s",
        f"{r.requests} requests, {r.rate:.0f}/s, {r.errors} errors, p50 {r.p50_ms:.1f} ms, "
        f"p99 {r.p99_ms:.1f} ms",
        f"no error answers: {verdict}",
    )


def scenario_kill(lists_dir: Path, data_dir: Path, slices: int, kill_after: int) -> Row:
    print(
        f"\n== 2. worker killed: wrk -t2 -c16 in {slices} slices of 1 s, SIGKILL one worker "
        f"in slice {kill_after + 1} ==",
        flush=True,
    )
    server = launch(lists_dir, 2, data_dir / "kill")
    script = lua_script()
    results: list[tuple[float, WrkResult]] = []  # (end time, result)
    killed_at = 0.0
    victim = 0
    workers_before = child_pids(server.proc.pid)
    replacement_at: float | None = None
    replacement = 0
    stop = threading.Event()

    def watch() -> None:  # when the master has forked a worker that was not there before
        nonlocal replacement_at, replacement
        while not stop.is_set():
            if killed_at and replacement_at is None:
                new = set(child_pids(server.proc.pid)) - set(workers_before)
                if new:
                    replacement_at, replacement = time.perf_counter(), min(new)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:

        def kill() -> None:
            nonlocal killed_at, victim, workers_before
            workers_before = child_pids(server.proc.pid)
            victim = workers_before[0]
            killed_at = time.perf_counter()
            os.kill(victim, signal.SIGKILL)

        for number in range(1, slices + 1):
            # The kill lands half-way through the slice after `kill_after`, under load.
            timer = threading.Timer(0.5, kill) if number == kill_after + 1 else None
            if timer:
                timer.start()
            result = run_wrk(server.port, script, 2, 16, 1)
            results.append((time.perf_counter(), result))
            if timer:
                timer.join()
        workers_after = child_pids(server.proc.pid)
    finally:
        stop.set()
        watcher.join()
        stop_server(server)
        script.unlink()
    before = [r.rate for _, r in results[:kill_after]][1:]  # the first slice warms up
    baseline = statistics.median(before) if before else results[0][1].rate
    back_at: float | None = None
    for end, r in results[kill_after + 1 :]:
        if r.rate >= 0.9 * baseline and r.errors == 0:
            back_at = end - killed_at
            break
    print("slice  requests/s  errors")
    for number, (_, r) in enumerate(results, 1):
        mark = "  <- SIGKILL 0.5 s into this slice" if number == kill_after + 1 else ""
        print(f"{number:>5} {r.rate:>11.0f} {r.errors:>7}{mark}")
    errors_after = sum(r.errors for _, r in results[kill_after:])
    socket: Counter[str] = Counter()
    for _, r in results:
        socket.update(r.socket_errors)
    print(f"killed         worker {victim}; workers before {workers_before}, after {workers_after}")
    print(
        f"requests       {sum(r.requests for _, r in results)}, errors after the kill "
        f"{errors_after} (non-2xx {sum(r.non2xx for _, r in results)}, "
        f"socket {dict(+socket) or 'none'})"
    )
    if replacement_at is not None:
        print(
            f"replacement    worker {replacement} forked {replacement_at - killed_at:.2f} s "
            "after the kill"
        )
    else:
        print("replacement    none seen")
    print(f"rate before    {baseline:.0f} requests/s (median of slices 2..{kill_after})")
    verdict = "MET" if back_at is not None and back_at <= 2.0 else "MISSED"
    if back_at is not None:
        print(
            f"recovery       back at full rate (>= 90%, no errors) in the 1 s slice ending "
            f"{back_at:.1f} s after the kill; target 2 s: {verdict}"
        )
    else:
        print("recovery       rate not back within the run: MISSED")
    forked = "none seen" if replacement_at is None else f"{replacement_at - killed_at:.2f} s"
    back = "not within the run" if back_at is None else f"{back_at:.1f} s"
    return (
        "one worker SIGKILLed under wrk -c16",
        f"{errors_after} errors after the kill, replacement forked {forked} after it, "
        f"back at full rate {back} after it",
        f"back at full rate within 2 s: {verdict}",
    )


@dataclass
class PgLoad:
    answers: Counter[str] = field(default_factory=Counter)
    ids: list[str] = field(default_factory=list)
    ok_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client(port: int, load: PgLoad, stop: threading.Event, offset: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    headers = {"Content-Type": "application/json"}
    i = offset
    while not stop.is_set():
        body = BODIES[i % len(BODIES)].encode()
        i += 1
        try:
            conn.request("POST", "/v1/screen", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            with load.lock:
                load.answers[type(exc).__name__] += 1
            time.sleep(0.01)
            continue
        with load.lock:
            load.answers[str(response.status)] += 1
            if response.status == 200:
                load.ids.append(json.loads(payload)["screening_id"])
                load.ok_times.append(time.perf_counter())
    conn.close()


def _readyz(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/readyz")
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


def scenario_pg(
    lists_dir: Path, data_dir: Path, before_s: float, cut_s: float, after_s: float
) -> Row:
    import psycopg

    db = f"vs_rel_{uuid.uuid4().hex[:12]}"
    print(
        f"\n== 3. PostgreSQL cut: database {db}, 8 client threads, backends terminated and "
        f"connections refused for {cut_s:.0f} s ==",
        flush=True,
    )
    admin = psycopg.connect(ADMIN_DSN, autocommit=True)
    admin.execute(f"CREATE DATABASE {db}")
    server: Server | None = None
    try:
        server = launch(lists_dir, 2, data_dir / "pg", f"postgresql://postgres@127.0.0.1:5432/{db}")
        port = server.port
        load, stop = PgLoad(), threading.Event()
        ready_log: list[tuple[float, int]] = []

        def poll_ready() -> None:
            while not stop.is_set():
                ready_log.append((time.perf_counter(), _readyz(port)))
                time.sleep(0.1)

        threads = [threading.Thread(target=_client, args=(port, load, stop, n)) for n in range(8)]
        threads.append(threading.Thread(target=poll_ready))
        for t in threads:
            t.start()
        time.sleep(before_s)
        cut_start = time.perf_counter()
        admin.execute(f"ALTER DATABASE {db} ALLOW_CONNECTIONS false")
        terminated = 0
        while time.perf_counter() - cut_start < cut_s:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (db,),
            ).fetchall()
            terminated += sum(1 for (ok,) in rows if ok)
            time.sleep(0.1)
        admin.execute(f"ALTER DATABASE {db} ALLOW_CONNECTIONS true")
        cut_end = time.perf_counter()
        time.sleep(after_s)
        stop.set()
        for t in threads:
            t.join()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:5432/{db}") as conn:
            stored = {row[0] for row in conn.execute("SELECT screening_id FROM screenings")}
        ok_ids = set(load.ids)
        lost = ok_ids - stored
        extra = stored - ok_ids
        ready_down = [t for t, status in ready_log if cut_start <= t <= cut_end and status == 503]
        ready_back = next((t for t, s in ready_log if t > cut_end and s == 200), None)
        first_ok = next((t for t in load.ok_times if t > cut_end), None)
        last_ok_before = max((t for t in load.ok_times if t < cut_start), default=cut_start)
        oks_during = sum(1 for t in load.ok_times if cut_start <= t <= cut_end)
        total = sum(load.answers.values())
        other = {k: v for k, v in load.answers.items() if k not in ("200", "503")}
        print(
            f"requests       {total}: 200 {load.answers['200']}, 503 {load.answers['503']}, "
            f"other {other or 'none'}"
        )
        print(
            f"cut            {cut_end - cut_start:.1f} s, {terminated} backends terminated; "
            f"200 answers during the cut {oks_during} (last before it "
            f"{cut_start - last_ok_before:.2f} s before)"
        )
        print(
            f"/readyz        503 answers during the cut: {len(ready_down)} "
            f"(of {sum(1 for t, _ in ready_log if cut_start <= t <= cut_end)} polls); "
            f"200 again {'%.2f s' % (ready_back - cut_end) if ready_back else 'never'} "
            "after connections were allowed"
        )
        print(
            f"recovery       first 200 screening "
            f"{'%.2f s' % (first_ok - cut_end) if first_ok else 'never'} after the cut ended"
        )
        print(
            f"records        {len(stored)} rows in screenings for {len(ok_ids)} answers 200 "
            f"({len(load.ids) - len(ok_ids)} duplicate ids); lost {len(lost)}; "
            f"stored but not answered 200: {len(extra)}"
        )
        verdict = "MET" if not lost else "MISSED"
        print(f"target         records lost 0: {verdict}")
        back = "never" if ready_back is None else f"{ready_back - cut_end:.2f} s"
        return (
            f"PostgreSQL cut for {cut_s:.0f} s, 8 client threads",
            f"{total} requests: {load.answers['200']} x 200, {load.answers['503']} x 503; "
            f"/readyz 200 again {back} after; {len(lost)} records lost",
            f"records lost 0: {verdict}",
        )
    finally:
        if server is not None:
            stop_server(server)
        admin.execute(f"ALTER DATABASE {db} ALLOW_CONNECTIONS true")
        admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short durations, a smoke run")
    parser.add_argument("--only", default="load,kill,pg", help="comma list of load,kill,pg")
    parser.add_argument("--lists", type=Path, default=None)
    args = parser.parse_args(argv)
    lists_dir: Path = args.lists or (REAL_LISTS if REAL_LISTS.is_dir() else BUNDLED_LISTS)
    lists_dir = lists_dir.resolve()
    only = set(args.only.split(","))
    data_dir = Path(tempfile.mkdtemp(prefix="reliability-"))
    failed: list[str] = []
    rows: list[Row] = []
    scenarios: list[tuple[str, Any]] = [
        ("load", lambda: scenario_load(lists_dir, data_dir, 10 if args.quick else 60)),
        (
            "kill",
            lambda: scenario_kill(
                lists_dir, data_dir, 8 if args.quick else 20, 3 if args.quick else 5
            ),
        ),
        (
            "pg",
            lambda: scenario_pg(
                lists_dir, data_dir, 2 if args.quick else 4, 8.0, 3 if args.quick else 6
            ),
        ),
    ]
    try:
        for name, run in scenarios:
            if name not in only:
                continue
            try:
                rows.append(run())
            except Exception as exc:
                print(
                    f"scenario {name} could not run: {type(exc).__name__}: {exc}", file=sys.stderr
                )
                failed.append(name)
                rows.append((name, f"could not run: {type(exc).__name__}", ""))
        print("\n== 4. bad list files ==")
        print(
            "covered by tests/test_serving.py (a broken or shrunken list is refused and the "
            "serving version stays)"
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    rows.append(("bad list files", "covered by tests/test_serving.py", ""))
    print()
    print(f"date           {datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"machine        {os.cpu_count()} cores; lists {lists_dir}")
    print(f"commit         {harness.git_commit()}")
    print()
    print("| scenario | result | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
