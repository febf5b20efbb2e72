"""The embedded store with several gunicorn workers writing at once: they take turns on a lock
file, so none waits out SQLite's sleeping busy handler, and a turn that never comes is a
StoreError after the timeout, not a hang."""

from __future__ import annotations

import fcntl
import os
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


def test_a_turn_held_elsewhere_fails_after_the_timeout(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / DB_FILE, timeout=0.2)
    store.migrate()
    holder = os.open(tmp_path / f"{DB_FILE}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="timed out waiting to write"):
            store.record_screenings([screening()])
        fcntl.flock(holder, fcntl.LOCK_UN)
        store.record_screenings([screening(2, screening_id="after")])
        assert store.get_screening("after") is not None
    finally:
        os.close(holder)


# Set by every fork of this test process from now on (os.register_at_fork cannot be undone);
# registered after the store's hooks, so it runs before them.
_FORK_STARTED: list[threading.Event] = [threading.Event()]
os.register_at_fork(before=lambda: _FORK_STARTED[0].set())


def test_a_child_forked_while_another_thread_is_writing_can_write(tmp_path: Path) -> None:
    """As a gunicorn worker forked while the master's re-screening thread writes alerts: the
    fork waits for that write to end. Forked in the middle of it, the child would go on seeing
    its parent's write lock and never store a screening ("database is locked")."""
    store = SQLiteStore(tmp_path / DB_FILE, timeout=0.5)
    store.migrate()
    writing, fork_started = threading.Event(), threading.Event()
    _FORK_STARTED[0] = fork_started

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


@pytest.mark.parametrize(("setting", "flushed"), [(None, True), ("FULL", True), ("NORMAL", False)])
def test_records_are_flushed_to_disk_after_the_write_lock_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str | None, flushed: bool
) -> None:
    from service.settings import Settings
    from service.store import open_store

    env = {"DATA_DIR": str(tmp_path)} | ({"SQLITE_SYNCHRONOUS": setting} if setting else {})
    store = open_store(Settings.from_env(env))
    store.migrate()
    assert isinstance(store, SQLiteStore)
    # What each flush flushed, and whether another writer could have had its turn meanwhile.
    flushes: list[tuple[str, bool]] = []
    real_fdatasync = os.fdatasync

    def spy(fd: int) -> None:
        probe = os.open(f"{store.path}.lock", os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
            lock_free = True
        except BlockingIOError:
            lock_free = False
        finally:
            os.close(probe)
        flushes.append((os.readlink(f"/proc/self/fd/{fd}"), lock_free))
        real_fdatasync(fd)

    monkeypatch.setattr(os, "fdatasync", spy)
    store.record_screenings([screening(1, screening_id="flushed")])
    expected = [(f"{store.path}-wal", True)] if flushed else []
    assert flushes == expected
    assert store.get_screening("flushed") is not None


def test_a_record_that_cannot_be_flushed_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / DB_FILE)
    store.migrate()

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing)
    with pytest.raises(StoreError, match="cannot flush to disk"):
        store.record_screenings([screening(1, screening_id="not-on-disk")])


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
