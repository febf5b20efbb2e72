"""Latency of sequential single screening over loopback, served as `make run` serves it.

Starts gunicorn with gunicorn.conf.py on a free port, waits for /readyz, then sends N sequential
POST /v1/screen requests from one client connection, R times, and prints p50/p90/p99/max per run,
the median across runs against the targets (p50 <= 1 ms, p99 <= 5 ms) and each worker's peak RSS.
It prints figures and exits 0 whenever it ran; it exits non-zero only when the server did not
start (or stopped serving mid-way).

Usage: .venv/bin/python benchmarks/latency.py [--lists DIR] [--requests N] [--runs R] [--workers W]
       [--client raw|http.client]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    BUNDLED_LISTS,
    REAL_LISTS,
    Server,
    child_pids,
    get_json,
    git_commit,
    log_tail,
    memory_kib,
    percentile_ms,
    start_server,
    stop_server,
    wait_ready,
)

TARGET_P50_MS = 1.0
TARGET_P99_MS = 5.0
WARMUP_REQUESTS = 200

# A deterministic mix of what callers send: (kind, body). Names and identifiers are real SDN
# vessels (LADY R = IMO 9161003, MAIA-1, ARTAVIL ...) or ships that are not listed, so the mix
# exercises identifier look-ups, exact and fuzzy name matching, transliteration and misses.
QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("name exact", {"name": "LADY R"}),
    ("name typo", {"name": "LADY  R"}),
    ("name typo", {"name": "MAIA I"}),
    ("name script", {"name": "ЛЕДИ Р"}),
    ("imo only", {"imo": "IMO 9161003"}),
    ("name+ids+flag", {"name": "LADY R", "imo": "IMO 9161003", "flag": "RU"}),
    ("mmsi only", {"mmsi": "572469210"}),
    ("unlisted", {"name": "NORDIC SPIRIT"}),
    ("unlisted", {"name": "EVER GIVEN"}),
    ("name exact", {"name": "lady r"}),
    ("name typo", {"name": "SEA RAPSODY"}),
    ("imo only", {"imo": 9358010}),
    ("name+ids+flag", {"name": "ARTAVIL", "imo": "9187629", "flag": "Iran"}),
    ("mmsi only", {"mmsi": 273382620}),
    ("name exact", {"name": "M/V DEEP SEA"}),
    ("name typo", {"name": "DIAMOND 2"}),
    ("name+ids+flag", {"name": "NS CREATION", "mmsi": "626390000", "flag": "GA"}),
    ("unlisted", {"name": "MAERSK ALABAMA", "imo": "IMO 9164263", "flag": "US"}),
    ("name exact", {"name": "ALPHA"}),  # a former name (f.k.a.) of ARTAVIL
    ("unlisted", {"name": "QUEEN MARY 2"}),
]


@dataclass
class RunResult:
    latencies_ns: list[int]
    wall_ns: int
    kinds: list[str]
    errors: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0


# (kind, method, path, body) of each request a run cycles through.
Request = tuple[str, str, str, bytes | None]
SCREENS: list[Request] = [
    (kind, "POST", "/v1/screen", json.dumps(body).encode()) for kind, body in QUERIES
]
# The cheapest route through the same gunicorn + Flask stack: its latency is the floor under
# every screening (HTTP parsing, connection handling, routing), so a missed target can be
# attributed to the transport or to the matcher.
FLOOR: list[Request] = [("GET /healthz", "GET", "/healthz", None)]
FLOOR_REQUESTS = 1000


class RawResponse:
    def __init__(self, status: int, payload: bytes) -> None:
        self.status = status
        self.payload = payload

    def read(self) -> bytes:
        return self.payload


class RawConnection:
    """A keep-alive HTTP/1.1 client of a few lines, for answers with a Content-Length: what the
    service takes to answer, less the caller's own response parsing. `http.client` parses
    every answer's headers with the standard library's email parser, about 0.1 ms of client
    CPU an answer on this machine (`GET /healthz`: 0.39-0.45 ms from it, 0.26 ms from wrk),
    counted in every figure it times; `--client http.client` measures with it instead.
    The same calls as http.client.HTTPConnection, as far as `measure` uses them."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.address = (host, port)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self._pending = b""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, self.timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pending = b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.address[0]}:{self.address[1]}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))

    def getresponse(self) -> RawResponse:
        assert self.sock is not None
        data = self._pending
        while b"\r\n\r\n" not in data:
            data += self._recv()
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        length = None
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is None:
            raise http.client.HTTPException("an answer without a Content-Length")
        while len(rest) < length:
            rest += self._recv()
        self._pending = rest[length:]
        return RawResponse(int(status_line.split()[1]), rest[:length])

    def _recv(self) -> bytes:
        assert self.sock is not None
        chunk = self.sock.recv(65536)
        if not chunk:
            self.close()
            raise http.client.RemoteDisconnected("the server closed the connection")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


Connection = http.client.HTTPConnection | RawConnection


def measure(conn: Connection, count: int, requests: list[Request]) -> RunResult:
    """Send `count` sequential requests on `conn`, cycling `requests`; time each one."""
    headers = {"Content-Type": "application/json"}
    result = RunResult(latencies_ns=[], wall_ns=0, kinds=[])
    run_started = time.perf_counter_ns()
    for i in range(count):
        kind, method, path, body = requests[i % len(requests)]
        # http.client reopens the socket itself when the server closed it after the previous
        # answer; note it, because then the request also pays a TCP connect.
        if conn.sock is None:
            result.reconnects += 1
        started = time.perf_counter_ns()
        try:
            conn.request(method, path, body=body, headers=headers if body else {})
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            result.errors[type(exc).__name__] += 1
            conn.close()
            continue
        elapsed = time.perf_counter_ns() - started
        # Checking the answer is outside the timed window: it is the client's cost, not latency.
        if response.status != 200:
            result.errors[f"HTTP {response.status}"] += 1
        else:
            try:
                json.loads(payload)
            except ValueError:
                result.errors["invalid JSON"] += 1
        result.latencies_ns.append(elapsed)
        result.kinds.append(kind)
    result.wall_ns = time.perf_counter_ns() - run_started
    return result


def print_report(
    runs: list[RunResult],
    floor: RunResult,
    server: Server,
    lists_dir: Path,
    lists: list[dict[str, Any]],
    client: str,
) -> None:
    vessels = sum(int(item.get("entries", 0)) for item in lists)
    print()
    print(f"date           {datetime.now().astimezone().isoformat(timespec='seconds')}")
    print(f"machine        {os.cpu_count()} cores, {platform.machine()}, {platform.system()}")
    print(f"commit         {git_commit()}")
    print(f"python         {platform.python_version()} ({sys.executable})")
    print(f"lists          {lists_dir}")
    ids = ", ".join(str(item.get("id")) for item in lists)
    print(f"listed vessels {vessels} ({ids})")
    print(f"start-up       {server.startup_s:.2f} s to /readyz 200")
    print(f"client         {client} (--client), one keep-alive connection")
    print()
    print(
        f"{'run':>4} {'requests':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'req/s':>8} {'errors':>7} {'reconnects':>11}"
    )
    p50s: list[float] = []
    p99s: list[float] = []
    for number, run in enumerate(runs, 1):
        ordered = sorted(run.latencies_ns)
        p50, p99 = percentile_ms(ordered, 50), percentile_ms(ordered, 99)
        p50s.append(p50)
        p99s.append(p99)
        # Requests per second over the run's wall time: what one sequential client achieves.
        rate = len(run.latencies_ns) / (run.wall_ns / 1e9) if run.wall_ns else 0.0
        p90 = percentile_ms(ordered, 90)
        print(
            f"{number:>4} {len(run.latencies_ns):>9} {p50:>8.3f} {p90:>8.3f} "
            f"{p99:>8.3f} {percentile_ms(ordered, 100):>8.3f} {rate:>8.0f} "
            f"{sum(run.errors.values()):>7} {run.reconnects:>11}"
        )
    median_p50, median_p99 = statistics.median(p50s), statistics.median(p99s)
    print()
    print(
        f"median p50 {median_p50:.3f} ms  target <= {TARGET_P50_MS:g} ms  "
        f"{'MET' if median_p50 <= TARGET_P50_MS else 'MISSED'}"
    )
    print(
        f"median p99 {median_p99:.3f} ms  target <= {TARGET_P99_MS:g} ms  "
        f"{'MET' if median_p99 <= TARGET_P99_MS else 'MISSED'}"
    )

    errors: Counter[str] = Counter()
    for run in runs:
        errors += run.errors
    total = sum(len(run.latencies_ns) + sum(run.errors.values()) for run in runs)
    if errors:
        detail = ", ".join(f"{name}: {n}" for name, n in errors.most_common())
        print(f"errors         {sum(errors.values())} of {total} requests ({detail})")
    else:
        print(f"errors         none in {total} requests (every answer 200 and JSON)")
    reconnects = sum(run.reconnects for run in runs)
    if reconnects:
        # gunicorn's default sync worker answers "Connection: close", so keep-alive is not
        # possible and every request also pays a loopback TCP connect; say so next to the figures.
        print(
            f"connection     server closed the connection after {reconnects} of {total} "
            "answers (no keep-alive); those requests include a TCP connect"
        )
    else:
        print("connection     one keep-alive connection for every request")

    ordered = sorted(floor.latencies_ns)
    print(
        f"floor          GET /healthz p50 {percentile_ms(ordered, 50):.3f} ms, "
        f"p99 {percentile_ms(ordered, 99):.3f} ms ({len(ordered)} requests, "
        f"{sum(floor.errors.values())} errors): the HTTP stack without screening"
    )

    # Which kind of query costs what, over all runs: points at the slow path if a target is missed.
    by_kind: dict[str, list[int]] = defaultdict(list)
    for run in runs:
        for kind, ns in zip(run.kinds, run.latencies_ns, strict=True):
            by_kind[kind].append(ns)
    print()
    print(f"{'query kind':<15} {'requests':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, values in sorted(by_kind.items()):
        ordered = sorted(values)
        print(
            f"{kind:<15} {len(ordered):>9} {percentile_ms(ordered, 50):>8.3f} "
            f"{percentile_ms(ordered, 99):>8.3f}"
        )

    print()
    master = memory_kib(server.proc.pid)
    peak = master.get("VmHWM", 0) / 1024
    print(f"gunicorn master pid {server.proc.pid}: peak RSS {peak:.1f} MiB")
    for pid in child_pids(server.proc.pid):
        mem = memory_kib(pid)
        print(
            f"  worker pid {pid}: peak RSS {mem.get('VmHWM', 0) / 1024:.1f} MiB, "
            f"now {mem.get('VmRSS', 0) / 1024:.1f} MiB"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--lists",
        type=Path,
        default=None,
        help=f"LISTS_DIR to serve (default {REAL_LISTS}, else {BUNDLED_LISTS})",
    )
    parser.add_argument("--requests", type=int, default=5000, help="requests per run")
    parser.add_argument("--runs", type=int, default=5, help="measured runs")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn WORKERS")
    parser.add_argument(
        "--client",
        choices=("raw", "http.client"),
        default="raw",
        help="raw: a minimal keep-alive client (the service's latency); http.client: the "
        "standard library's, whose own response parsing is in every figure",
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.runs < 1 or args.workers < 1:
        parser.error("--requests, --runs and --workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lists_dir: Path = args.lists
    if lists_dir is None:
        lists_dir = REAL_LISTS
        if not lists_dir.is_dir():
            print(
                f"{REAL_LISTS} is absent: falling back to the bundled sample {BUNDLED_LISTS}; "
                "its figures are not those of the real list"
            )
            lists_dir = BUNDLED_LISTS
    lists_dir = lists_dir.resolve()

    print(f"starting gunicorn (WORKERS={args.workers}, LISTS_DIR={lists_dir}) ...", flush=True)
    server: Server | None = None
    try:
        try:
            server = start_server(lists_dir, args.workers)
            wait_ready(server)
        except (RuntimeError, OSError) as exc:
            print(f"server failed to start: {exc}", file=sys.stderr)
            if server is not None:
                print(log_tail(server), file=sys.stderr)
            return 1
        lists = get_json(server.port, "/v1/lists")["lists"]
        print(
            f"ready in {server.startup_s:.2f} s on port {server.port}; "
            f"warming up with {WARMUP_REQUESTS} requests, then {args.runs} runs of "
            f"{args.requests}",
            flush=True,
        )
        client = RawConnection if args.client == "raw" else http.client.HTTPConnection
        conn: Connection = client("127.0.0.1", server.port, timeout=10)
        try:
            # The first requests fill caches and trigger lazy imports in each worker.
            measure(conn, WARMUP_REQUESTS, SCREENS)
            floor = measure(conn, FLOOR_REQUESTS, FLOOR)
            runs: list[RunResult] = []
            for number in range(1, args.runs + 1):
                runs.append(measure(conn, args.requests, SCREENS))
                print(f"  run {number}/{args.runs} done", flush=True)
                if server.proc.poll() is not None:
                    print(
                        f"gunicorn exited with code {server.proc.returncode} during the benchmark",
                        file=sys.stderr,
                    )
                    return 1
        finally:
            conn.close()
        print_report(runs, floor, server, lists_dir, lists, args.client)
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
