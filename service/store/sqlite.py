"""The embedded store: SQLite in one file, `<DATA_DIR>/vessel-screen.sqlite3`.

Same behaviour as PostgreSQL for one machine. The file is in WAL mode, so readers never wait for
a writer; a write takes SQLite's write lock up front (BEGIN IMMEDIATE, or the single INSERT of a
few records in autocommit) and SQLite's busy handler waits for it at most `timeout` seconds
before the write fails with StoreError.

Durability is SQLite's own `PRAGMA synchronous` (`SQLITE_SYNCHRONOUS`): with FULL (the default)
SQLite syncs the write-ahead log at every commit, so a write has returned only once it is on
disk, even if the machine then loses power; with NORMAL a commit is in the log, which outlives
the process but may be lost to a power cut or an operating system crash.

Connections belong to one process and one thread. Each thread reads through its own (sqlite3
connections must not be used by two threads at once; gunicorn's gthread workers answer on
several threads); a process writes through one connection under a plain lock, its page cache
then still good at the next write; a process forked from another (gunicorn preloads the app in
the master) opens new ones rather than use its parent's. A fork waits for the write in flight:
SQLite keeps the locks its connections hold in the process's memory, and a child forked during
a write would inherit the record of a write lock that nobody in it will ever release.

Several workers on one machine learn of a new list version by polling: `listen_versions` runs a
thread that asks for the newest versions every `poll_interval` seconds (default 1 s, one
indexed query), and checkpoints the write-ahead log while it is at it. SQLite has no
notifications between processes, and a second's delay before every worker serves a new list is
well inside what a list refresh needs.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from service.model import ListInfo
from service.portcalls.calls import PortCall
from service.store.base import (
    RetiredCallback,
    ScreeningRecord,
    StoreError,
    VersionCallback,
    VersionTracker,
    check_screenings,
    dump_json,
    time_text,
    vessel_count,
)
from service.store.migrate import migrate_sqlite
from service.store.sql import (
    ENTRY_COLUMNS,
    ROWS_PER_STATEMENT,
    Connection,
    SqlStore,
    entry_rows,
    insert_screenings,
    screening_values,
)

log = logging.getLogger("service.store.sqlite")

DB_FILE = "vessel-screen.sqlite3"
DEFAULT_POLL_INTERVAL = 1.0
# SQLite's own `PRAGMA synchronous` levels the service accepts (see the module's notes).
SYNCHRONOUS = ("FULL", "NORMAL")
# Checkpoints (copying the log into the database file) are run by each worker's version poller,
# off the request path (`checkpoint`); a writer runs one itself only when the log passes this
# many pages (40 MB). At SQLite's default of 1,000, a batch of 1,000 answers (about 750 pages)
# nearly always paid for one.
WAL_AUTOCHECKPOINT_PAGES = 10_000


class SQLiteStore(SqlStore):
    backend = "sqlite"
    placeholder = "?"

    def __init__(self, path: Path, timeout: float = 5.0, synchronous: str = "FULL") -> None:
        if synchronous not in SYNCHRONOUS:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
        self.path = path
        self.timeout = timeout
        self.synchronous = synchronous
        self._local = threading.local()
        self._lock = threading.Lock()
        # Every reading connection opened, with its thread, so close() can close them all.
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        # The one connection this process writes with, used only under `_writing`.
        self._writing = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._writing_thread = 0  # the thread holding `_writing`, 0 when none
        # Connections inherited over a fork: kept referenced, never used or closed here (closing
        # one would act on the parent's behalf).
        self._inherited: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False
        _hold_writes_over_forks(self)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @property
    def closed(self) -> bool:
        return self._closed

    # --- Connections ----------------------------------------------------------------------------

    def _mine(self) -> None:
        """Raise if closed; in a process forked since the connections were opened, set the
        parent's aside so that this process opens its own."""
        if self._closed:
            raise StoreError("the store is closed")
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._inherited.extend(c for _, c in self._conns)
            if self._writer is not None:
                self._inherited.append(self._writer)
            self._conns, self._writer = [], None
            self._local = threading.local()
            self._pid = os.getpid()

    def _connection(self) -> sqlite3.Connection:
        """This thread's reading connection."""
        self._mine()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            with self._lock:
                # Threads come and go (tests, a listener stopped): close what dead ones left.
                alive = []
                for thread, old in self._conns:
                    if thread.is_alive():
                        alive.append((thread, old))
                    else:
                        old.close()
                alive.append((threading.current_thread(), conn))
                self._conns = alive
            self._local.conn = conn
        return conn

    def _writer_connection(self) -> sqlite3.Connection:
        """The process's writing connection; the caller holds `_writing`."""
        self._mine()
        if self._writer is None:
            self._writer = self._connect()
        return self._writer

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,  # SQLite's busy timeout
                isolation_level=None,  # autocommit: transactions are begun explicitly
                check_same_thread=False,  # only so that close() may close it from any thread
            )
            self._wal(conn)
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from exc
        return conn

    def _wal(self, conn: sqlite3.Connection) -> None:
        """Switch the file to WAL. Changing the journal mode does not go through SQLite's busy
        handler, so several workers opening a new file at once can be told "locked" at once;
        they try again until the busy timeout has passed."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _release_thread_connection(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        self._local.conn = None
        with self._lock:
            self._conns = [(t, c) for t, c in self._conns if c is not conn]
        conn.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    @contextmanager
    def _writer_turn(self) -> Iterator[sqlite3.Connection]:
        """The writing connection, this thread's alone until the block ends."""
        if not self._writing.acquire(timeout=self.timeout):
            raise StoreError(f"SQLite store {self.path}: timed out waiting to write")
        self._writing_thread = threading.get_ident()
        try:
            yield self._writer_connection()
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        finally:
            self._writing_thread = 0
            self._writing.release()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer_turn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        """A few records (a single screening) go in as one INSERT in autocommit, which is its
        own transaction: one call into SQLite instead of three (BEGIN, INSERT, COMMIT), each of
        which would let go of the GIL and wait to take it back."""
        check_screenings(records)
        if not records:
            return
        if len(records) > ROWS_PER_STATEMENT:
            super().record_screenings(records)
            return
        params = screening_values(records, time_text)
        sql = insert_screenings(len(records), "?")
        with self._writer_turn() as conn:
            conn.execute(sql, params)

    def _insert_rows(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # One call for a batch's thousand rows instead of a thousand.
        assert isinstance(conn, sqlite3.Connection)
        conn.executemany(sql, rows)

    def _time(self, moment: datetime) -> Any:
        return time_text(moment)

    # --- Lifecycle ------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        with self._writer_turn() as conn:
            try:
                return migrate_sqlite(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {self.path}: migration failed: {exc}") from exc

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds into the database file, as far as readers allow,
        without waiting for writers or holding them up (a PASSIVE checkpoint)."""
        with self._read() as conn:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns = [c for _, c in self._conns]
            self._conns = []
            if self._pid != os.getpid():  # the parent's: its to close
                self._inherited.extend(conns)
                return
        with self._writing:
            if self._writer is not None:
                conns.append(self._writer)
                self._writer = None
        for conn in conns:
            conn.close()

    # --- Writes with a dialect of their own -----------------------------------------------------

    def publish_list_version(self, info: ListInfo, entries: Sequence[Mapping[str, Any]]) -> bool:
        rows = entry_rows(info, entries)
        with self._write() as conn:
            # Under BEGIN IMMEDIATE no other writer runs, so MAX(seq) + 1 is this publication's
            # place in the order, and a version stored meanwhile by another worker is seen here.
            inserted = conn.execute(
                "INSERT INTO list_versions (list_id, version, seq, title, source, format,"
                " published_at, loaded_at, entry_count, files_sha256, vessel_count)"
                " SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM list_versions"
                " WHERE 1 ON CONFLICT (list_id, version) DO NOTHING",
                (
                    info.id,
                    info.version,
                    info.title,
                    info.source,
                    info.format,
                    info.published_at,
                    time_text(info.loaded_at),
                    len(rows),
                    dump_json(dict(info.sha256)),
                    vessel_count(entries),
                ),
            ).rowcount
            if not inserted:
                return False
            # One call for every row: a version of a million entries spent seconds in the
            # Python side of a million execute() calls.
            self._insert_rows(
                conn, f"INSERT INTO list_entries ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?)", rows
            )
        return True

    def save_port_calls(self, calls: Sequence[PortCall]) -> int:
        if not calls:
            return 0
        # Writes are serialised by BEGIN IMMEDIATE, so seq grows in commit order.
        with self._write() as conn:
            return self._insert_port_calls(conn, calls)

    # --- Versions -------------------------------------------------------------------------------

    def listen_versions(
        self,
        callback: VersionCallback,
        poll_interval: float | None = None,
        on_retired: RetiredCallback | None = None,
    ) -> _PollingListener:
        listener = _PollingListener(
            self, VersionTracker(callback, on_retired), poll_interval or DEFAULT_POLL_INTERVAL
        )
        listener.start()
        return listener


def _hold_writes_over_forks(store: SQLiteStore) -> None:
    """Fork only between writes (see the module's notes), and give the child a fresh lock: one
    held by another thread at the fork would stay held for ever in the child. A thread that
    forks in the middle of its own write is not made to wait for itself."""
    me = weakref.ref(store)
    held: list[threading.Lock] = []

    def before() -> None:
        s = me()
        if s is not None and s._writing_thread != threading.get_ident():
            s._writing.acquire()
            held.append(s._writing)

    def in_parent() -> None:
        while held:
            held.pop().release()

    def in_child() -> None:
        held.clear()
        s = me()
        if s is not None:
            s._lock, s._writing, s._writing_thread = threading.Lock(), threading.Lock(), 0

    os.register_at_fork(before=before, after_in_parent=in_parent, after_in_child=in_child)


class _PollingListener:
    """Asks the store for the newest versions every `interval` seconds, on its own thread and
    connection; a failed look (store locked, file gone) is logged and retried next time."""

    def __init__(self, store: SQLiteStore, tracker: VersionTracker, interval: float) -> None:
        self.store = store
        self.tracker = tracker
        self.interval = interval
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-version-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + self.store.timeout + 1)

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self.store.closed:
                try:
                    self.tracker.offer(self.store.latest_versions())
                    self._ready.set()
                except StoreError as exc:
                    log.warning("polling for list versions failed, retrying: %s", exc)
                try:
                    self.store.checkpoint()
                except StoreError as exc:  # the next one catches up
                    log.debug("checkpoint failed: %s", exc)
                self._stop.wait(self.interval)
        finally:
            self.store._release_thread_connection()
