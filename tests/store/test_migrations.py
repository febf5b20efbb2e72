"""Migrations apply once, whoever starts first, and refuse a database that no longer matches."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from service.store import StoreError
from service.store.migrate import migrations, sqlite_statements

from .helpers import Backend

REPO = Path(__file__).resolve().parents[2]
TABLES = {
    "schema_migrations",
    "list_versions",
    "list_entries",
    "list_load_failures",
    "retired_lists",
    "ais_ingests",
    "ais_chunks",
    "ais_statics",
    "jobs",
    "screenings",
    "alerts",
    "port_calls",
}


def _tables(backend: Backend) -> set[str]:
    if backend.name == "postgresql":
        with backend.admin() as conn:
            rows = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
    else:
        with sqlite3.connect(backend.settings.data_dir / "vessel-screen.sqlite3") as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
    return {r[0] for r in rows}


def _applied(backend: Backend) -> list[int]:
    if backend.name == "postgresql":
        with backend.admin() as conn:
            rows = conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    else:
        with sqlite3.connect(backend.settings.data_dir / "vessel-screen.sqlite3") as conn:
            rows = conn.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
    return [int(r[0]) for r in rows]


def test_both_dialects_have_the_same_migrations() -> None:
    pg = [(m.version, m.name) for m in migrations("postgresql")]
    lite = [(m.version, m.name) for m in migrations("sqlite")]
    assert pg == lite
    assert pg[0] == (1, "initial")


def test_migrate_applies_every_migration_once(backend: Backend) -> None:
    store = backend.open()
    every = [m.version for m in migrations(backend.name)]
    assert store.migrate() == every
    assert store.migrate() == []
    assert backend.open().migrate() == []
    assert _tables(backend) == TABLES
    assert _applied(backend) == every


def test_workers_starting_at_once_migrate_exactly_once(backend: Backend) -> None:
    stores = [backend.open() for _ in range(4)]
    start = threading.Barrier(len(stores))
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=10)
            results.append(stores[i].migrate())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results) == [[], [], [], [m.version for m in migrations(backend.name)]]
    assert _applied(backend) == [m.version for m in migrations(backend.name)]


_MIGRATE_IN_A_PROCESS = """
import sys
from service.settings import Settings
from service.store import open_store
store = open_store(Settings.from_env({"DATA_DIR": sys.argv[1], "DATABASE_URL": sys.argv[2]}))
print(len(store.migrate()))
store.close()
"""


def test_processes_starting_at_once_migrate_exactly_once(backend: Backend) -> None:
    # Separate processes, as gunicorn workers and other instances are: each has its own
    # connections, and only the database's own lock keeps them apart.
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _MIGRATE_IN_A_PROCESS,
                str(backend.settings.data_dir),
                backend.settings.database_url,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    applied_now = sorted(int(out) for out, _ in outputs)
    assert applied_now == [0, 0, len(migrations(backend.name))]


def test_a_migration_edited_after_it_was_applied_stops_the_start(backend: Backend) -> None:
    store = backend.open()
    store.migrate()
    if backend.name == "postgresql":
        with backend.admin() as conn:
            conn.execute("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1")
    else:
        with sqlite3.connect(backend.settings.data_dir / "vessel-screen.sqlite3") as conn:
            conn.execute("UPDATE schema_migrations SET sha256 = 'edited' WHERE version = 1")
    with pytest.raises(StoreError, match="changed after it was applied"):
        backend.open().migrate()


def test_sqlite_scripts_split_on_statements_not_on_every_semicolon() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE a (x TEXT DEFAULT 'a;b');\n"
        "\n"
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
        "  UPDATE a SET x = 'c;d';\n"
        "END;\n"
        "-- trailing comment\n"
    )
    statements = sqlite_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(RuntimeError, match="unterminated"):
        sqlite_statements("CREATE TABLE b (x TEXT)")
