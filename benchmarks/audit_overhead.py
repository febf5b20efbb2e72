"""What the audit trail costs single screening: the same requests with and without recording.

Runs in one process through the Flask test client (the HTTP stack is the same for both, so the
ratio isolates the store), alternating the modes so machine noise falls on both alike:
- no store: `record_screenings` replaced by a no-op;
- SQLite: the embedded default (WAL, synchronous=FULL: an fsync per screening);
- PostgreSQL: the real server on 127.0.0.1:5432 (a database of its own, dropped after),
  when it answers.
Target (issue 5): recording cuts single-screening throughput by at most 30%.

Usage: python benchmarks/audit_overhead.py [--lists DIR] [--requests N] [--rounds R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from service import create_app

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    {"name": "LADY R"},
    {"imo": "IMO 9179842"},
    {"name": "SEA BRIEZE", "flag": "Panama"},
    {"name": "NORDIC SPIRIT", "imo": "9161015"},
    {"name": "ЛЕДИ Р"},
]
ADMIN = os.environ.get("VS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def throughput(app: Any, requests: int, clients: int) -> float:
    """Screenings a second with `clients` concurrent callers (threads, as gthread serves them:
    while one waits for its commit, another screens)."""

    def run(n: int) -> None:
        client = app.test_client()
        for i in range(n):
            answer = client.post("/v1/screen", json=QUERIES[i % len(QUERIES)])
            assert answer.status_code == 200, answer.get_data(as_text=True)

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, [requests // clients] * clients))
    return (requests // clients * clients) / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default_lists = ROOT.parent / "shared" / "data" / "ofac"
    parser.add_argument(
        "--lists", type=Path, default=default_lists if default_lists.exists() else ROOT / "lists"
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="concurrent callers")
    args = parser.parse_args()

    apps: dict[str, Any] = {}
    bare = create_app(lists_dir=args.lists, data_dir=Path(tempfile.mkdtemp()))
    bare.extensions["vessel_screen"].store.record_screenings = lambda records: None
    apps["no store"] = bare
    apps["SQLite"] = create_app(lists_dir=args.lists, data_dir=Path(tempfile.mkdtemp()))
    dbname = f"vs_bench_{uuid.uuid4().hex}"
    try:
        with psycopg.connect(ADMIN, autocommit=True, connect_timeout=3) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        url = ADMIN.rsplit("/", 1)[0] + f"/{dbname}"
        apps["PostgreSQL"] = create_app(
            lists_dir=args.lists, data_dir=Path(tempfile.mkdtemp()), database_url=url
        )
    except psycopg.Error as exc:
        print(f"PostgreSQL not measured: {exc}")
        dbname = ""
    try:
        for app in apps.values():
            throughput(app, 200, args.clients)  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(args.rounds):
            for name, app in apps.items():
                rates[name].append(throughput(app, args.requests, args.clients))
    finally:
        for app in apps.values():
            app.extensions["vessel_screen"].store.close()
        if dbname:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(dbname)
                    )
                )

    base = statistics.median(rates["no store"])
    print(
        f"\naudit overhead, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, lists "
        f"{args.lists}, {args.rounds} rounds of {args.requests} sequential screenings "
        "(medians)"
    )
    print(f"{'store':12} {'screens/s':>10} {'vs none':>8}  target")
    for name, values in rates.items():
        median = statistics.median(values)
        cut = 1 - median / base
        verdict = "" if name == "no store" else ("met" if cut <= 0.30 else "MISSED")
        print(f"{name:12} {median:10.0f} {-cut:8.1%}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
