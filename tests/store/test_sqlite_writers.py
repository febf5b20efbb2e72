"""The embedded store with several gunicorn workers writing at once, forks, and durability:
SQLite's own write lock and busy timeout keep the writers apart (a lock that is never free is a
StoreError after the timeout, not a hang), and `SQLITE_SYNCHRONOUS` is SQLite's own setting."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from service.store import StoreError
from service.store.sqlite import DB_FILE, SQLiteStore
from tests.served import poll

from .helpers import exit_code, screening

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")

PER_WRITER = 150


def test_writers_in_several_processes_all_get_their_records_stored(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / DB_FILE, timeout=2.0)
    store.migrate()
    pids = []
    for writer in range(3):
        pid = os.fork()
        if pid == 0:  # a worker: one transaction per record, as a lone caller writes
            code = 1
            try:
                for n in range(PER_WRITER):
                    store.record_screenings([screening(n, screening_id=f"w{writer}-{n}")])
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0  # no writer ran out of time
    for writer in range(3):
        for n in range(PER_WRITER):
            assert store.get_screening(f"w{writer}-{n}") is not None


def test_threads_and_forked_children_of_a_process_that_already_wrote_all_get_stored(
    tmp_path: Path,
) -> None:
    """A process writes through one connection of its own, whichever thread asks: a child
    forked after its parent wrote opens its own rather than share the parent's."""
    store = SQLiteStore(tmp_path / DB_FILE, timeout=2.0)
    store.migrate()
    store.record_screenings([screening(screening_id="parent-before")])
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            threads = [
                threading.Thread(
                    target=lambda t=t: [
                        store.record_screenings([screening(n, screening_id=f"child-{t}-{n}")])
                        for n in range(20)
                    ]
                )
                for t in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            code = 0
        finally:
            os._exit(code)
    store.record_screenings([screening(screening_id="parent-meanwhile")])
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.record_screenings([screening(screening_id="parent-after")])
    for sid in ("parent-before", "parent-meanwhile", "parent-after"):
        assert store.get_screening(sid) is not None
    assert all(
        store.get_screening(f"child-{t}-{n}") is not None for t in range(4) for n in range(20)
    )
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.record_screenings([screening(screening_id="after-close")])


def test_a_write_lock_held_elsewhere_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / DB_FILE, timeout=0.2)
    store.migrate()
    other = sqlite3.connect(tmp_path / DB_FILE, isolation_level=None)  # another program
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            store.record_screenings([screening()])
        other.execute("ROLLBACK")
        store.record_screenings([screening(2, screening_id="after")])
        assert store.get_screening("after") is not None
    finally:
        other.close()


# Set by every fork of this test process once registered (os.register_at_fork cannot be undone).
_FORK_STARTED: list[threading.Event] = [threading.Event()]


def test_a_child_forked_while_another_thread_is_writing_can_write(tmp_path: Path) -> None:
    """As a gunicorn worker forked while the master's re-screening thread writes alerts: the
    fork waits for that write to end. Forked in the middle of it, the child would go on seeing
    its parent's write lock and never store a screening ("database is locked")."""
    store = SQLiteStore(tmp_path / DB_FILE, timeout=0.5)
    store.migrate()
    writing, fork_started = threading.Event(), threading.Event()
    _FORK_STARTED[0] = fork_started
    # Registered after the store's own hook, so it runs before it: the write ends as the fork
    # starts, and the fork waits for that (a write that lasts forever would hold it up forever).
    os.register_at_fork(before=lambda: _FORK_STARTED[0].set())

    def write_until_a_fork_starts() -> None:
        with store._write() as conn:
            conn.execute(
                "INSERT INTO jobs (job_id, caller, filename, started_at) VALUES (?, ?, ?, ?)",
                ("in-the-parent", None, None, "2026-01-01T00:00:00Z"),
            )
            writing.set()
            fork_started.wait(timeout=30)

    writer = threading.Thread(target=write_until_a_fork_starts)
    writer.start()
    assert writing.wait(timeout=30)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            store.record_screenings([screening(screening_id="from-the-child")])
            code = 0
        finally:
            os._exit(code)
    writer.join()
    assert exit_code(pid) == 0
    assert store.get_screening("from-the-child") is not None
    assert store.get_job("in-the-parent") is not None


@pytest.mark.parametrize(("setting", "level"), [(None, 2), ("FULL", 2), ("NORMAL", 1)])
def test_the_durability_is_sqlites_own_synchronous_setting(
    tmp_path: Path, setting: str | None, level: int
) -> None:
    """FULL (2): SQLite syncs the write-ahead log at every commit; NORMAL (1): at checkpoints."""
    from service.settings import Settings
    from service.store import open_store

    env = {"DATA_DIR": str(tmp_path)} | ({"SQLITE_SYNCHRONOUS": setting} if setting else {})
    store = open_store(Settings.from_env(env))
    store.migrate()
    assert isinstance(store, SQLiteStore)
    store.record_screenings([screening(1, screening_id="kept")])
    with store._writer_turn() as writer:
        connections = [writer, store._connection()]
        for conn in connections:
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == level
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.get_screening("kept") is not None


def test_an_unknown_durability_is_refused_at_start() -> None:
    from service.settings import Settings

    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        Settings.from_env({"SQLITE_SYNCHRONOUS": "OFF"})


def test_the_log_is_copied_into_the_database_off_the_request_path(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / DB_FILE)
    store.migrate()
    # A writer checkpoints by itself only past 10,000 pages: a batch's commit does not.
    assert store._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000
    store.checkpoint()
    empty = (tmp_path / DB_FILE).stat().st_size
    store.record_screenings([screening(n, screening_id=f"c-{n}") for n in range(200)])
    assert (tmp_path / DB_FILE).stat().st_size == empty  # still only in the log
    # Each worker's version poller checkpoints as it polls.
    listener = store.listen_versions(lambda list_id, version: None, poll_interval=0.05)
    try:
        poll(
            lambda: True if (tmp_path / DB_FILE).stat().st_size > empty else None,
            "the poller's checkpoint",
            timeout=10,
        )
    finally:
        listener.close()
    assert store.get_screening("c-199") is not None
