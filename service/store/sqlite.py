"""The embedded store: SQLite in one file, `<DATA_DIR>/vessel-screen.sqlite3`.

Same behaviour as PostgreSQL for one machine. The file is in WAL mode, so readers never wait for
a writer; writes take the single write lock up front (BEGIN IMMEDIATE) and wait for it at most
`timeout` seconds (the busy timeout) before failing with StoreError. `SQLITE_SYNCHRONOUS=FULL`
(the default): a screening is on disk before its answer is sent, even if the machine then loses
power.

FULL is not SQLite's own `synchronous=FULL`, which flushes the log while it still holds the
write lock, so that every other writer of the machine waits out each flush in turn. The
connection commits as `synchronous=NORMAL` (the commit is written to the write-ahead log, not
yet flushed), lets go of the lock, and only then flushes the log file (`fdatasync`) before the
write returns. A flush writes everything in the file, so writers whose flushes overlap share
the work, and the next writer's inserts run during this one's flush. Nothing returns before its
own commit is on disk: frames still in the log are flushed by this call, and frames that a
checkpoint has meanwhile moved into the database file were flushed by that checkpoint (SQLite
flushes the log before it checkpoints and the database file after, in NORMAL too).

Each thread reads through its own connection (sqlite3 connections must not be used by two
threads at once; gunicorn's gthread workers answer on several threads), a process writes
through one connection taken only under the writers' lock, and a forked child opens new ones
rather than use its parent's. A fork waits until no thread of the process is inside SQLite
(`_ForkGate`).

Several workers on one machine learn of a new list version by polling: `listen_versions` runs a
thread that asks for the newest versions every `poll_interval` seconds (default 1 s, one
indexed query), and checkpoints the write-ahead log while it is at it. SQLite has no
notifications between processes, and a second's delay before every worker serves a new list is
well inside what a list refresh needs.
"""

from __future__ import annotations

import fcntl
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
# FULL: each commit is on disk before it returns, a power cut loses nothing answered. NORMAL: a
# commit is in the write-ahead log, which survives the process (a killed worker) but not a
# crash of the machine; the log is flushed at checkpoints.
SYNCHRONOUS = ("FULL", "NORMAL")
WAL_AUTOCHECKPOINT_PAGES = 10_000


class _ForkGate:
    """Holds a fork of this process off while any of its threads is inside SQLite.

    SQLite records the locks a process's connections hold in memory shared by all of them (the
    unix VFS's record of each open file). A child forked while a thread of its parent was in a
    write transaction inherits that record of a write lock, held by a connection the child never
    uses: every write through the child's own connections is then "database is locked", for
    ever. gunicorn forks workers from a master whose re-screening thread (serving._rescreen)
    writes alerts, and a worker forked at that moment answered every screening with a 503 after
    the busy timeout. A fork waits for at most the statements or transaction in flight; threads
    that would start one meanwhile wait for the fork.
    """

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._inside = 0
        self._forks = 0
        self._depth = threading.local()

    # A class's __enter__ and __exit__ rather than @contextmanager: this is on every write's path.
    def __enter__(self) -> None:
        depth: int = getattr(self._depth, "n", 0)
        with self._lock:
            while self._forks and not depth:  # a thread already inside goes on, or none could
                self._changed.wait()
            self._inside += 1
        self._depth.n = depth + 1

    def __exit__(self, *exc: object) -> None:
        self._depth.n = max(getattr(self._depth, "n", 0) - 1, 0)
        with self._lock:
            if self._inside:  # 0 in a child forked from inside: its fresh gate counts nobody
                self._inside -= 1
            if self._forks:
                self._changed.notify_all()

    def before_fork(self) -> None:
        with self._lock:
            self._forks += 1
            mine: int = getattr(self._depth, "n", 0)  # a fork from inside must not wait on itself
            while self._inside > mine:
                self._changed.wait()

    def after_parent(self) -> None:
        with self._lock:
            self._forks -= 1
            self._changed.notify_all()

    def after_child(self) -> None:
        """The child has none of its parent's other threads: nobody is inside."""
        self._reset()


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
        # Every connection opened, with the thread that owns it, so close() can close them all.
        self._conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        # Connections inherited over a fork: kept referenced and never used or closed here.
        self._inherited: list[sqlite3.Connection] = []
        self._pid = os.getpid()
        self._closed = False
        # The writers' lock file, opened once per process (see `_writer_turn`).
        self._lock_pid = 0
        self._lock_fd = -1
        self._turn = threading.Lock()
        # The one connection this process writes with, used only while holding `_turn`.
        self._writer: sqlite3.Connection | None = None
        self._writer_pid = 0
        self._flushed_folder_pid = 0
        self._gate = _ForkGate()
        # gunicorn forks workers from a master that may be running a thread of its own (the
        # re-screening after a new list version): a lock that thread held at the fork would
        # stay held forever in the child, so the child starts with fresh ones, and the fork
        # waits for the thread to be out of SQLite (`_ForkGate`).
        me = weakref.ref(self)

        def before_fork() -> None:
            store = me()
            if store is not None:
                store._gate.before_fork()

        def after_in_parent() -> None:
            store = me()
            if store is not None:
                store._gate.after_parent()

        def after_in_child() -> None:
            store = me()
            if store is not None:
                store._lock, store._turn = threading.Lock(), threading.Lock()
                store._gate.after_child()

        os.register_at_fork(
            before=before_fork, after_in_parent=after_in_parent, after_in_child=after_in_child
        )

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @property
    def closed(self) -> bool:
        return self._closed

    # --- Connections ----------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        if self._pid != os.getpid():
            self._after_fork()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _writer_connection(self) -> sqlite3.Connection:
        """The connection every write of this process goes through, under `_turn`.

        One rather than each thread's own: a connection's page cache is only good until another
        connection writes, so with a connection per thread nearly every write began by reading
        back the pages it was about to change (under load at 16 callers, a third of
        single-screening throughput went on the audit insert)."""
        if self._closed:
            raise StoreError("the store is closed")
        if self._writer is None or self._writer_pid != os.getpid():
            if self._writer is not None:
                self._inherited.append(self._writer)  # the parent's: never used or closed here
            self._writer = self._connect(register=False)
            self._writer_pid = os.getpid()
        return self._writer

    def _after_fork(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._inherited.extend(c for _, c in self._conns)
            self._conns = []
            self._local = threading.local()
            self._pid = os.getpid()

    def _connect(self, register: bool = True) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,  # autocommit: transactions are begun explicitly
                check_same_thread=False,  # only so that close() may close it from any thread
            )
            self._wal(conn)
            # FULL's flush is done by `_flush`, after the write lock is let go.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Checkpoints (copying the log into the database file) are run by each worker's
            # version poller, off the request path (`checkpoint`); a writer runs one itself
            # only when the log passes this many pages (40 MB), SQLite's default being 1,000:
            # a batch of 1,000 answers is about 750 pages, and with the default nearly every
            # batch paid for a checkpoint (a batch's record: 21.6 -> 18.5 ms).
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            raise StoreError(f"cannot open the SQLite store {self.path}: {exc}") from exc
        if not register:
            return conn
        with self._lock:
            # Threads come and go (tests, a listener stopped): close what dead threads left.
            alive = []
            for thread, old in self._conns:
                if thread.is_alive():
                    alive.append((thread, old))
                else:
                    old.close()
            alive.append((threading.current_thread(), conn))
            self._conns = alive
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
        with self._gate:
            conn.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._gate:
            try:
                yield self._connection()
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {self.path}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer_turn():
            try:
                conn = self._writer_connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        if self.synchronous == "FULL":
            self._flush()

    def _flush(self) -> None:
        """Put every commit so far on disk: flush the write-ahead log (see the module's notes).

        The log is opened by name each time: were it deleted and made anew (SQLite does so when
        the last connection closes), a descriptor kept open would flush the old file. Its folder
        is flushed once per process too, so that the log file's own entry survives a power cut.
        """
        wal = f"{self.path}-wal"
        try:
            fd = os.open(wal, os.O_RDONLY)
        except FileNotFoundError:
            fd = os.open(self.path, os.O_RDONLY)  # no log: everything is in the database file
        except OSError as exc:
            raise StoreError(f"SQLite store {self.path}: cannot flush to disk: {exc}") from exc
        try:
            os.fdatasync(fd)
            if self._flushed_folder_pid != os.getpid():
                folder = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)
                self._flushed_folder_pid = os.getpid()
        except OSError as exc:
            raise StoreError(f"SQLite store {self.path}: cannot flush to disk: {exc}") from exc
        finally:
            os.close(fd)

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """Writers of every process on this file take turns on a lock file first.

        SQLite's own busy handler waits for its write lock by sleeping 1, 2, 5, 10 ... ms
        between tries, so two gunicorn workers writing audit records at once kept each other
        waiting milliseconds for a lock held a fraction of one. An flock on a file beside the
        database hands the turn over within about a tenth of a millisecond; SQLite's lock,
        taken next, is then free (or held by a program outside the service, which the busy
        timeout still covers).
        """
        deadline = time.monotonic() + self.timeout
        if self._lock_pid != os.getpid():
            with self._lock:
                if self._lock_pid != os.getpid():
                    # A forked child gets a descriptor of its own: an flock belongs to the open
                    # file, which parent and child would otherwise share.
                    try:
                        self.path.parent.mkdir(parents=True, exist_ok=True)
                        self._lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
                    except OSError as exc:
                        raise StoreError(
                            f"cannot open the SQLite store {self.path}: {exc}"
                        ) from exc
                    self._turn = threading.Lock()
                    self._lock_pid = os.getpid()
        # Threads of one process share the descriptor, and an flock does not keep them apart.
        if not self._turn.acquire(timeout=self.timeout):
            raise StoreError(f"SQLite store {self.path}: timed out waiting to write")
        try:
            pause = 0.00005
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"SQLite store {self.path}: timed out waiting to write"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.001)
            try:
                with self._gate:
                    yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        finally:
            self._turn.release()

    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        """A few records (a single screening, concurrent callers' group) go in as one INSERT in
        autocommit: one call into SQLite while the writers' lock is held. BEGIN, the insert and
        COMMIT as three calls would each let go of Python's GIL and wait to take it back, and
        under load another thread of the worker can keep it for milliseconds (the interpreter's
        switch interval), all that time holding up the writers of every other worker."""
        check_screenings(records)
        if not records:
            return
        if len(records) > ROWS_PER_STATEMENT:
            super().record_screenings(records)
            return
        params = screening_values(records, time_text)
        sql = insert_screenings(len(records), "?")
        with self._writer_turn():
            try:
                self._writer_connection().execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(f"SQLite store {self.path}: {exc}") from exc
        if self.synchronous == "FULL":
            self._flush()

    def _insert_rows(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # One call for a batch's thousand rows instead of a thousand.
        assert isinstance(conn, sqlite3.Connection)
        conn.executemany(sql, rows)

    def _time(self, moment: datetime) -> Any:
        return time_text(moment)

    # --- Lifecycle ------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        try:
            with self._gate:
                return migrate_sqlite(self._connection())
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
            conns, self._conns = self._conns, []
            writer, self._writer = self._writer, None
            if writer is not None and self._writer_pid == os.getpid():
                conns.append((threading.current_thread(), writer))
            if self._lock_pid == os.getpid():
                os.close(self._lock_fd)
                self._lock_pid, self._lock_fd = 0, -1
        with self._gate:
            for _, conn in conns:
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
            for row in rows:
                conn.execute(
                    f"INSERT INTO list_entries ({ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?)", row
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
