"""The production store: PostgreSQL through psycopg 3 and a psycopg_pool connection pool.

- Pool: `DB_POOL_MIN`..`DB_POOL_MAX` connections per process. A request waits at most
  `DB_TIMEOUT_SECONDS` for a connection and each statement runs at most as long
  (`statement_timeout`); past either it fails with StoreError (the web layer answers 503).
  Every connection is checked when it is taken from the pool, so one whose backend was killed
  (a server restart, a failover, `pg_terminate_backend`) is discarded and replaced before it is
  used: the next call succeeds once the server answers again. psycopg_pool backs off between
  failed checks (about 1 s, then 2 s, ...), so that call may take a few seconds, and fails with
  StoreError if that exceeds the timeout; a later call then finds fresh connections. A
  connection that breaks mid-call fails that call with StoreError and is discarded.
- JSON: `query` and `response` are `json` columns (kept as sent), the rest `jsonb`. Every JSON
  column is read back as text, so the shared row decoders (sql.py) see what SQLite gives them.
- Batches of screenings (CSV rows) go in with COPY; publishing a list version copies its entries
  the same way and announces it with NOTIFY in the same transaction, so a worker is told only
  of versions that were committed whole.
- Listening: a thread per listener with its own connection doing LISTEN, reconnecting with
  back-off when the connection drops (see `pg_listen.NotifyListener`).
- Fork: the pool is opened on first use. A process forked after that (gunicorn preloads the app
  and forks workers) opens its own pool on its first call; the inherited one is kept referenced
  and never touched, so the child does not close connections its parent still uses. Closing the
  store in the master before forking is cleaner still.
"""

from __future__ import annotations

import logging
import math
import os
import select
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import pq
from psycopg.errors import error_from_result  # the class psycopg's cursors raise for a result
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool

from service.model import ListInfo
from service.portcalls.calls import PortCall
from service.settings import mask_password
from service.store.ais_sql import CHUNK_COLUMNS
from service.store.base import (
    VERSIONS_CHANNEL,
    RetiredCallback,
    ScreeningRecord,
    StoreError,
    VersionCallback,
    VersionTracker,
    check_screenings,
    dump_json,
    time_text,
    utc,
    vessel_count,
)
from service.store.migrate import migrate_postgres
from service.store.pg_listen import DEFAULT_RECONCILE_INTERVAL, NotifyListener
from service.store.sql import (
    CALL_COLUMNS,
    ENTRY_COLUMNS,
    ROWS_PER_STATEMENT,
    SCREENING_COLUMNS,
    Connection,
    SqlStore,
    entry_rows,
    insert_screenings,
    screening_params,
    screening_values,
)

log = logging.getLogger("service.store.postgres")

# libpq counts connect_timeout in whole seconds, at least 2.
PING_TIMEOUT = 2
# From this many screenings in one call, COPY beats a pipelined INSERT per row.
COPY_MIN_ROWS = 50
# Port-call writers take this advisory lock so that seq values are handed out in commit order
# (see port_calls_since): without it a reader could pass over a call committed late with a
# lower seq than one it had already seen.
PORT_CALLS_LOCK = 0x7673_7063_616C  # "vspcal"
# How long the pool keeps trying to re-open a connection it lost before reporting it failed.
RECONNECT_TIMEOUT = 300.0


def numbered(statement: str) -> str:
    """`statement` with psycopg's `%s` placeholders as libpq's `$1`, `$2`, ..."""
    parts = statement.split("%s")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


def idle_connection_alive(conn: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it is about to hand out, without a round trip.

    An idle pooled connection has nothing to read, unless the server has said goodbye (a
    terminated backend sends its error and closes the socket): then it is refused, and the pool
    gives a fresh one. psycopg_pool's own check sends a query each time, which on the hot path
    doubled the round trips of recording a screening.
    """
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable:
        conn.close()  # closed, so that the pool throws it away instead of taking it back
        raise psycopg.OperationalError("the server closed the connection or sent unasked data")


class PostgresStore(SqlStore):
    backend = "postgresql"

    def __init__(
        self, url: str, min_size: int = 1, max_size: int = 4, timeout: float = 5.0
    ) -> None:
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self._pool: ConnectionPool | None = None
        self._inherited: list[ConnectionPool] = []
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._closed = False
        # The connection that records screenings (see `_recording_connection`), its process,
        # and the ones inherited over a fork (kept referenced, never used or closed here).
        self._own: psycopg.Connection[Any] | None = None
        self._own_pid = os.getpid()
        self._inherited_own: list[psycopg.Connection[Any]] = []
        self._own_statements: set[int] = set()  # row counts prepared on `_own`
        self._recorder = threading.Lock()
        # A thread of the master (the re-screening) holding a lock at a fork would leave it held
        # for ever in the child: the child starts with fresh ones.
        me = weakref.ref(self)

        def fresh_lock() -> None:
            store = me()
            if store is not None:
                store._lock, store._recorder = threading.Lock(), threading.Lock()

        os.register_at_fork(after_in_child=fresh_lock)

    def __repr__(self) -> str:
        return f"PostgresStore({mask_password(self.url)!r})"

    @property
    def closed(self) -> bool:
        return self._closed

    # --- Connections ----------------------------------------------------------------------------

    @property
    def _connect_kwargs(self) -> dict[str, Any]:
        return {
            # libpq's connect_timeout is whole seconds, at least 2.
            "connect_timeout": max(2, math.ceil(self.timeout)),
            "application_name": "vessel-screen",
        }

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        for json_type in ("json", "jsonb"):
            conn.adapters.register_loader(json_type, TextLoader)
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"SET statement_timeout = {int(self.timeout * 1000)}")
        conn.commit()

    def _get_pool(self) -> ConnectionPool:
        if self._closed:
            raise StoreError("the store is closed")
        with self._lock:
            if self._pid != os.getpid():
                if self._pool is not None:
                    self._inherited.append(self._pool)
                self._pool, self._pid = None, os.getpid()
            if self._pool is None:
                pool: ConnectionPool = ConnectionPool(
                    self.url,
                    min_size=self.min_size,
                    max_size=self.max_size,
                    kwargs=self._connect_kwargs,
                    configure=self._configure,
                    check=idle_connection_alive,
                    timeout=self.timeout,
                    reconnect_timeout=RECONNECT_TIMEOUT,
                    name="vessel-screen",
                    open=False,
                )
                # Not waiting: a server that is down at start makes calls fail (503), not the
                # process; the pool keeps trying in the background.
                pool.open(wait=False)
                self._pool = pool
            return self._pool

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        # The pool's connection context commits on success and rolls back on error: one
        # transaction per call, for reads and writes alike.
        try:
            with self._get_pool().connection() as conn:
                yield conn
        except psycopg.Error as exc:  # PoolTimeout and PoolClosed are psycopg.Errors too
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from exc

    def _read(self) -> AbstractContextManager[Connection]:
        return self._connection()

    _write = _read

    def _time(self, moment: datetime) -> Any:
        return utc(moment)

    # --- Lifecycle ------------------------------------------------------------------------------

    def migrate(self) -> list[int]:
        with self._connection() as conn:
            return migrate_postgres(conn)

    def ping(self) -> None:
        # A readiness probe on a connection of its own: it must answer quickly when the
        # database is down, and must not wait behind busy requests for a pooled connection
        # (under load that would call a healthy instance not ready).
        if self._closed:
            raise StoreError("PostgreSQL store: closed")
        try:
            with psycopg.connect(self.url, connect_timeout=PING_TIMEOUT) as conn:
                conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from exc

    def close(self) -> None:
        with self._recorder:
            own, self._own = self._own, None
            if own is not None and self._own_pid == os.getpid():
                own.close()
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
            if pool is not None and self._pid != os.getpid():
                # The parent's pool: its connections are the parent's to close.
                self._inherited.append(pool)
                pool = None
        if pool is not None:
            pool.close(timeout=self.timeout)

    # --- Writes with a dialect of their own -----------------------------------------------------

    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        check_screenings(records)
        if not records:
            return
        if len(records) <= ROWS_PER_STATEMENT and self._recorder.acquire(blocking=False):
            try:
                self._record_on_own_connection(records)
            finally:
                self._recorder.release()
            return
        with self._connection() as conn, conn.cursor() as cur:
            if len(records) >= COPY_MIN_ROWS:
                with cur.copy(f"COPY screenings ({SCREENING_COLUMNS}) FROM STDIN") as copy:
                    for r in records:
                        copy.write_row(screening_params(r, utc(r.screened_at)))
            elif len(records) <= ROWS_PER_STATEMENT:
                cur.execute(insert_screenings(len(records)), screening_values(records, utc))
            else:
                cur.executemany(
                    insert_screenings(1), [screening_params(r, utc(r.screened_at)) for r in records]
                )

    def _record_on_own_connection(self, records: Sequence[ScreeningRecord]) -> None:
        """A few records as one prepared INSERT in autocommit on the recording connection: one
        round trip, its own transaction, which the server commits before it answers.

        This is the hot path of every answer, so it calls libpq through psycopg's own `pq`
        layer: one call that sends the parameters as text and waits for the reply with the GIL
        let go, instead of psycopg's cursor machinery (adapting each value, a wait loop in
        Python). That halves the client's CPU for a commit (about 60 us to 30) and, as the
        thread takes its worker's GIL back once instead of at each step, shortens its wait
        behind the worker's screening threads."""
        try:
            conn = self._recording_connection()
            name = self._screenings_statement(conn.pgconn, len(records))
            values = [
                None if v is None else str(v).encode()
                for r in records
                for v in screening_params(r, time_text(r.screened_at))
            ]
            # None is SQL NULL: libpq and both pq implementations take it; the stub omits it.
            result = conn.pgconn.exec_prepared(name, values)  # type: ignore[arg-type]
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise error_from_result(result)
        except psycopg.Error as exc:
            own = self._own
            if own is not None and (own.closed or own.pgconn.status != pq.ConnStatus.OK):
                self._own = None
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from exc

    def _screenings_statement(self, pgconn: pq.abc.PGconn, rows: int) -> bytes:
        """The name of the INSERT of `rows` screenings, prepared on the recording connection
        the first time it is used there."""
        name = f"vs_insert_screenings_{rows}".encode()
        if rows not in self._own_statements:
            result = pgconn.prepare(name, numbered(insert_screenings(rows)).encode())
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise error_from_result(result)
            self._own_statements.add(rows)
        return name

    def _recording_connection(self) -> psycopg.Connection[Any]:
        """This process's connection for recording screenings, (re)opened when missing or dead.

        Callers hold `_recorder`; a caller that finds it taken records through the pool
        instead. Taking a connection from the pool and giving it back costs about a quarter of
        a lone record's time in the worker, which one connection held open saves. It is checked
        as the pool checks its own (unread bytes on an idle connection are the server's
        goodbye) and replaced at once when dead.
        """
        if self._closed:
            raise StoreError("the store is closed")
        if self._own_pid != os.getpid():  # forked: the parent's connection is the parent's
            if self._own is not None:
                self._inherited_own.append(self._own)
            self._own, self._own_pid = None, os.getpid()
        conn = self._own
        if conn is not None:
            try:
                idle_connection_alive(conn)
                return conn
            except psycopg.OperationalError:
                self._own = None
        conn = psycopg.connect(self.url, autocommit=True, **self._connect_kwargs)
        try:
            self._configure(conn)
        except psycopg.Error:
            conn.close()
            raise
        self._own = conn
        self._own_statements = set()
        return conn

    def publish_list_version(self, info: ListInfo, entries: Sequence[Mapping[str, Any]]) -> bool:
        rows = entry_rows(info, entries)
        with self._connection() as conn:
            # A concurrent publisher of the same version waits here for the first one's commit,
            # then does nothing: one copy of each version, whoever loaded it.
            stored = conn.execute(
                "INSERT INTO list_versions (list_id, version, title, source, format,"
                " published_at, loaded_at, entry_count, files_sha256, vessel_count)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (list_id, version) DO NOTHING RETURNING seq",
                (
                    info.id,
                    info.version,
                    info.title,
                    info.source,
                    info.format,
                    info.published_at,
                    utc(info.loaded_at),
                    len(rows),
                    dump_json(dict(info.sha256)),
                    vessel_count(entries),
                ),
            ).fetchone()
            if stored is None:
                return False
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY list_entries ({ENTRY_COLUMNS}) FROM STDIN") as cp,
            ):
                for row in rows:
                    cp.write_row(row)
            self._announce(conn, info.id, info.version)
        return True

    def _copy_chunks(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        # COPY: the chunks stream to the server in one command.
        assert isinstance(conn, psycopg.Connection)
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY ais_chunks ({CHUNK_COLUMNS}) FROM STDIN") as cp,
        ):
            for row in rows:
                cp.write_row(row)

    def _announce(self, conn: Connection, list_id: str, version: str) -> None:
        # Delivered to listeners only when the transaction commits; an empty version says the
        # list was retired or served again.
        conn.execute("SELECT pg_notify(%s, %s)", (VERSIONS_CHANNEL, f"{list_id}:{version}"))

    def save_port_calls(self, calls: Sequence[PortCall]) -> int:
        if not calls:
            return 0
        rows = [
            (
                c.imo,
                c.mmsi,
                c.locode,
                c.port_name,
                c.country,
                utc(c.arrived_at),
                None if c.departed_at is None else utc(c.departed_at),
                c.source,
                c.note,
                c.confidence,
            )
            for c in calls
        ]
        with self._connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (PORT_CALLS_LOCK,))
            # executemany pipelines the statements; rowcount sums the rows actually inserted.
            cur.executemany(
                f"INSERT INTO port_calls ({CALL_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )
            return cur.rowcount

    # --- Versions -------------------------------------------------------------------------------

    def listen_versions(
        self,
        callback: VersionCallback,
        poll_interval: float | None = None,
        on_retired: RetiredCallback | None = None,
    ) -> NotifyListener:
        listener = NotifyListener(
            self, VersionTracker(callback, on_retired), poll_interval or DEFAULT_RECONCILE_INTERVAL
        )
        listener.start()
        return listener
