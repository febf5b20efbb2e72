"""When the database fails, the store says so with StoreError (the service answers 503 and sends
no unrecorded result), and it recovers by itself when the database is back."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from service.settings import Settings
from service.store import StoreError, open_store

from .helpers import Backend, exit_code, screening

_OTHERS = (
    "SELECT pid FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_KILL_OTHERS = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def test_a_store_whose_connections_were_killed_recovers_on_the_next_call(
    pg_backend: Backend,
) -> None:
    store = pg_backend.open()
    store.migrate()
    store.ping()
    store.record_screenings([screening(0)])  # opens the connection that records screenings
    with pg_backend.admin() as admin:
        pids = [pid for (pid,) in admin.execute(_OTHERS).fetchall()]
        assert len(pids) >= 2
        killed = admin.execute(_KILL_OTHERS).fetchall()
        assert killed and all(ok for (ok,) in killed)
        # pg_terminate_backend only signals; once the backends are gone they have said goodbye
        # on their sockets, which is what the pool's check looks for.
        deadline = time.monotonic() + 10
        while admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
        ).fetchone() != (0,):
            assert time.monotonic() < deadline, "the killed backends did not exit"
    # Documented: each connection is checked as it leaves the pool (unread bytes on an idle
    # connection: the server's goodbye), so a killed one is replaced before use and the next
    # call succeeds (after the pool's back-off, within the timeout); nothing recorded is lost.
    # (The readiness ping waits only a second, so it may say "not ready" during that back-off;
    # it answers again once the pool has its connections back.) A connection killed during a
    # call fails that call: see the next test.
    record = screening()
    store.record_screenings([record])
    assert store.get_screening(record.screening_id) == record
    store.ping()


def test_a_call_whose_connection_dies_under_it_fails_then_the_next_succeeds(
    pg_backend: Backend,
) -> None:
    store = pg_backend.open(db_timeout_seconds=30.0)  # only the kill may end the wait
    store.migrate()
    failure: list[BaseException] = []
    done = threading.Event()

    def record() -> None:
        try:
            store.record_screenings([screening()])
        except BaseException as exc:
            failure.append(exc)
        finally:
            done.set()

    with pg_backend.admin() as admin, admin.transaction():
        admin.execute("LOCK TABLE screenings IN ACCESS EXCLUSIVE MODE")
        writer = threading.Thread(target=record)
        writer.start()
        # Wait (bounded) until the store's insert is blocked on the lock, then kill it there.
        deadline = time.monotonic() + 15
        blocked: list[tuple[int]] = []
        while not blocked and time.monotonic() < deadline:
            # Activity is read once a transaction unless the snapshot is cleared.
            admin.execute("SELECT pg_stat_clear_snapshot()")
            blocked = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchall()
        assert blocked, "the store's insert never waited on the lock"
        admin.execute("SELECT pg_terminate_backend(%s)", (blocked[0][0],))
        assert done.wait(15)
    writer.join(5)
    assert len(failure) == 1 and isinstance(failure[0], StoreError)
    assert list(store.screenings_since(screening().screened_at)) == []
    store.record_screenings([screening()])


def test_a_statement_that_outlasts_the_timeout_fails(pg_backend: Backend) -> None:
    store = pg_backend.open(db_timeout_seconds=0.5)
    store.migrate()
    with pg_backend.admin() as admin, admin.transaction():
        admin.execute("LOCK TABLE screenings IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="QueryCanceled"):
            store.record_screenings([screening()])
    store.record_screenings([screening()])


def test_an_unreachable_server_fails_within_the_timeout(tmp_path: Path) -> None:
    # A port nothing listens on: bind one, then free it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
            "DB_TIMEOUT_SECONDS": "1",
        }
    )
    store = open_store(settings)  # opening connects nothing, so a process can still start
    try:
        started = time.monotonic()
        with pytest.raises(StoreError):
            store.ping()
        assert time.monotonic() - started < 5
        with pytest.raises(StoreError):
            store.record_screenings([screening()])
    finally:
        store.close()


def test_sqlite_fails_when_its_folder_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where DATA_DIR should be")
    store = open_store(Settings.from_env({"DATA_DIR": str(blocker / "data")}))
    with pytest.raises(StoreError, match="cannot open"):
        store.ping()
    with pytest.raises(StoreError):
        store.record_screenings([screening()])


def test_sqlite_fails_when_another_writer_holds_the_file_too_long(tmp_path: Path) -> None:
    store = open_store(Settings.from_env({"DATA_DIR": str(tmp_path), "DB_TIMEOUT_SECONDS": "0.2"}))
    store.migrate()
    other = sqlite3.connect(tmp_path / "vessel-screen.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            store.record_screenings([screening()])
        store.ping()  # readers are not blocked by a writer (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.record_screenings([screening()])
    store.close()


def test_a_closed_store_refuses_every_call(backend: Backend) -> None:
    store = backend.open()
    store.migrate()
    store.close()
    for call in (
        store.ping,
        lambda: store.record_screenings([screening()]),
        lambda: store.get_screening("x"),
        lambda: store.port_calls_since(0),
    ):
        with pytest.raises(StoreError, match="closed"):
            call()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_uses_connections_of_its_own(backend: Backend) -> None:
    # gunicorn loads the app in the master and forks the workers: the store may have been
    # used before the fork, and both sides must keep working on connections of their own.
    store = backend.open(db_pool_min=1, db_pool_max=1)
    store.migrate()
    store.ping()
    parent_record = screening()
    pid = os.fork()
    if pid == 0:  # the child: report by exit status only, never return into pytest
        code = 1
        try:
            store.record_screenings([screening(2, screening_id="from-the-child")])
            code = 0 if backend.name == "sqlite" or _store_connections(backend) >= 2 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    # 2 would mean the child used the parent's one connection instead of opening its own.
    assert os.waitstatus_to_exitcode(status) == 0
    store.record_screenings([parent_record])
    assert store.get_screening("from-the-child") is not None
    assert store.get_screening(parent_record.screening_id) == parent_record


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_while_another_thread_holds_the_store_lock_still_works(
    backend: Backend,
) -> None:
    # As the master's re-screening thread might at the moment gunicorn forks a worker: a lock
    # it held then would stay held for ever in the child, which starts with fresh ones.
    store = backend.open(db_timeout_seconds=1.0)
    store.migrate()
    store.ping()
    with store._lock:  # type: ignore[attr-defined]
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                store.record_screenings([screening(screening_id="from-the-child")])
                code = 0 if store.get_screening("from-the-child") is not None else 2
            finally:
                os._exit(code)
    assert exit_code(pid) == 0
    assert store.get_screening("from-the-child") is not None


def _store_connections(backend: Backend) -> int:
    with backend.admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'vessel-screen'"
        ).fetchone()
    return int(row[0]) if row else 0
