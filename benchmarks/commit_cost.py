"""What one recorded commit costs the PostgreSQL server, measured alone.

`audit_overhead.py` measures recording over HTTP, where the server's work is mixed with the
service's, `wrk`'s and the kernel's on the same cores. This takes the server apart: the
service's own store records real answers (the benchmark's queries screened against the real
OFAC files where present, the bundled lists otherwise) through its hot path
(`PostgresStore.record_screenings`, one prepared multi-row INSERT in autocommit) on one
connection, group after group, and reads that connection's backend's time on a core from
/proc (`schedstat`, in nanoseconds: a commit is a tenth of a clock tick).

For each group size it prints the backend's CPU per commit and per record and this client's
CPU per commit, for the schema as migrated, with `synchronous_commit = off` (the same work
without the flush of the write-ahead log, so the flush's share is the difference; the service
never runs that way), and with the JSON columns as plain `text` (what the server's own JSON
check costs). Needs a PostgreSQL server on this machine (its backends' /proc).

Usage: python benchmarks/commit_cost.py [--commits N] [--sizes 1,4,16] [--admin URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import harness
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audit_overhead import ADMIN, QUERIES  # noqa: E402 - benchmarks/ is on the path first

from service import create_app  # noqa: E402
from service.store.base import ScreeningRecord  # noqa: E402
from service.store.postgres import PostgresStore  # noqa: E402

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    real = harness.REAL_LISTS
    parser.add_argument("--lists", type=Path, default=real if real.exists() else ROOT / "lists")
    parser.add_argument("--admin", default=ADMIN, help="a URL that may create databases")
    parser.add_argument("--commits", type=int, default=3000, help="groups written per figure")
    parser.add_argument("--sizes", default="1,4,16", help="records a commit, comma-separated")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    records = real_records(args.lists)
    answers = sorted(len(r.response_json) for r in records)
    print(
        f"one PostgreSQL commit of recorded screenings, {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} cores, {args.commits} commits a figure, one connection; answers of "
        f"{answers[0]}-{answers[-1]} bytes from {args.lists}"
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


if __name__ == "__main__":
    raise SystemExit(main())
