"""What both SQL backends do the same way: the queries that read back what was stored, and the
writes that need nothing dialect-specific.

The SQL is written once with `%s` placeholders (psycopg's); SQLite's `?` is substituted. The two
schemas have the same tables and columns; PostgreSQL hands JSON columns back as text (see
postgres.py), like SQLite, so one set of row decoders serves both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from service.model import ListInfo
from service.portcalls.calls import PortCall
from service.store.ais_sql import AisSql
from service.store.base import (
    AlertRecord,
    JobRecord,
    ScreeningRecord,
    check_publication,
    check_screenings,
    dump_json,
)
from service.store.rows import Connection, as_time
from service.store.sql_lists import ListVersionsSql

SCREENING_COLUMNS = (
    "screening_id, screened_at, caller, kind, job_id, job_row, query, list_versions, decision,"
    " response"
)
JOB_COLUMNS = "job_id, caller, filename, started_at, finished_at, row_count, error"
ALERT_COLUMNS = (
    "alert_id, created_at, screening_id, list_id, version, entity_id, score, decision,"
    " previous_decision, reason"
)
CALL_COLUMNS = (
    "imo, mmsi, locode, port_name, country, arrived_at, departed_at, source, note, confidence"
)

# PostgreSQL jsonb cannot hold U+0000 (json and SQLite can): refuse it in list entries on both
# backends, so that a list version that one backend stores the other stores too.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


# Groups up to this size (a single screening, concurrent callers' records written together) go in
# as one multi-row INSERT: one statement, in autocommit its own transaction, so one call into the
# database. A larger one (a batch, a CSV chunk) is inserted a prepared row at a time or copied,
# quicker than compiling a statement of thousands of parameters each time.
ROWS_PER_STATEMENT = 32


def insert_screenings(rows: int, placeholder: str = "%s") -> str:
    """INSERT of `rows` screenings in one statement, with `rows` x 10 parameters in the order
    `screening_values` gives them."""
    row = "(" + ", ".join([placeholder] * SCREENING_COLUMNS.count(",")) + f", {placeholder})"
    return f"INSERT INTO screenings ({SCREENING_COLUMNS}) VALUES " + ", ".join([row] * rows)


def screening_values(records: Sequence[ScreeningRecord], time: Any) -> list[Any]:
    """The parameters of `insert_screenings(len(records))`; `time` turns `screened_at` into its
    stored form."""
    return [v for r in records for v in screening_params(r, time(r.screened_at))]


def screening_params(r: ScreeningRecord, time: Any) -> tuple[Any, ...]:
    """The row of one record, in SCREENING_COLUMNS order; `time` is the stored form of
    `screened_at`."""
    return (
        r.screening_id,
        time,
        r.caller,
        r.kind,
        r.job_id,
        r.row,
        # The query came from a JSON body or a CSV row and holds no NaN, so orjson's quicker
        # encoding (same compact text) needs no guard; 6% of a batch's time with json.dumps.
        orjson.dumps(r.query).decode(),
        orjson.dumps(r.list_versions).decode(),
        r.decision,
        r.response_json,
    )


def screening_from_row(row: Sequence[Any]) -> ScreeningRecord:
    return ScreeningRecord(
        screening_id=row[0],
        screened_at=as_time(row[1]),
        caller=row[2],
        kind=row[3],
        job_id=row[4],
        row=row[5],
        query=json.loads(row[6]),
        list_versions=json.loads(row[7]),
        decision=row[8],
        response_json=row[9],
    )


def job_from_row(row: Sequence[Any]) -> JobRecord:
    return JobRecord(
        job_id=row[0],
        caller=row[1],
        filename=row[2],
        started_at=as_time(row[3]),
        finished_at=None if row[4] is None else as_time(row[4]),
        rows=row[5],
        error=row[6],
    )


def alert_from_row(row: Sequence[Any]) -> AlertRecord:
    return AlertRecord(
        alert_id=row[0],
        created_at=as_time(row[1]),
        screening_id=row[2],
        list_id=row[3],
        version=row[4],
        entity_id=row[5],
        score=float(row[6]),
        decision=row[7],
        previous_decision=row[8],
        reason=row[9],
    )


def call_from_row(row: Sequence[Any]) -> PortCall:
    return PortCall(
        imo=row[0],
        mmsi=row[1],
        locode=row[2],
        port_name=row[3],
        country=row[4],
        arrived_at=as_time(row[5]),
        departed_at=None if row[6] is None else as_time(row[6]),
        source=row[7],
        note=row[8],
        confidence=row[9],
    )


ENTRY_COLUMNS = "list_id, version, entity_id, position, entry"


def entry_rows(
    info: ListInfo, entries: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str, str, int, str]]:
    """One row (ENTRY_COLUMNS) for each entry, in the loader's order, after checking them."""
    ids = check_publication(info, entries)
    rows = []
    for position, (entity_id, entry) in enumerate(zip(ids, entries, strict=True)):
        text = _entry_json(entry)
        # The plain substring test first: the regex alone took 3 s over 100,000 entries.
        if "\\u0000" in text and _NUL_ESCAPE.search(text):
            raise ValueError(f"{info.id}@{info.version}: entry {entity_id} holds a NUL character")
        rows.append((info.id, info.version, entity_id, position, text))
    return rows


def _entry_json(entry: Mapping[str, Any]) -> str:
    """An entry as compact JSON: orjson, five times quicker over a list of 100,000 vessels,
    where it can (a loader's entry is strings, numbers, lists and string-keyed dicts); the
    standard encoder otherwise, which also refuses NaN."""
    try:
        return orjson.dumps(entry, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return dump_json(dict(entry))


class SqlStore(ListVersionsSql, AisSql):
    """The shared half of a backend. A subclass provides `_read()` (a connection, errors mapped
    to StoreError) and `_write()` (the same inside one transaction, committed on success) and
    says how it stores times (`_time`); list versions are `ListVersionsSql`'s."""

    # --- Audit ----------------------------------------------------------------------------------

    def record_screenings(self, records: Sequence[ScreeningRecord]) -> None:
        check_screenings(records)
        if not records:
            return
        sql = self._sql(
            f"INSERT INTO screenings ({SCREENING_COLUMNS})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        )
        with self._write() as conn:
            self._insert_rows(
                conn, sql, [screening_params(r, self._time(r.screened_at)) for r in records]
            )

    def _insert_rows(self, conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            conn.execute(sql, row)

    def get_screening(self, screening_id: str) -> ScreeningRecord | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql(f"SELECT {SCREENING_COLUMNS} FROM screenings WHERE screening_id = %s"),
                (screening_id,),
            ).fetchone()
        return None if row is None else screening_from_row(row)

    def screenings_since(
        self, since: datetime, until: datetime | None = None, batch: int = 1000
    ) -> Iterator[ScreeningRecord]:
        # Keyset pagination on (screened_at, screening_id): each page is one short query on the
        # index, and no connection or transaction stays open while the caller works.
        after: tuple[Any, str] | None = None
        bound = "" if until is None else " AND screened_at < %s"
        tail = [] if until is None else [self._time(until)]
        while True:
            if after is None:
                where, params = "screened_at >= %s", [self._time(since)]
            else:
                where = "(screened_at > %s OR (screened_at = %s AND screening_id > %s))"
                params = [after[0], after[0], after[1]]
            with self._read() as conn:
                rows = conn.execute(
                    self._sql(
                        f"SELECT {SCREENING_COLUMNS} FROM screenings WHERE {where}{bound}"
                        " ORDER BY screened_at, screening_id LIMIT %s"
                    ),
                    (*params, *tail, batch),
                ).fetchall()
            for row in rows:
                yield screening_from_row(row)
            if len(rows) < batch:
                return
            after = (rows[-1][1], rows[-1][0])

    # --- Jobs -----------------------------------------------------------------------------------

    def start_job(
        self, job_id: str, caller: str | None, filename: str | None, started_at: datetime
    ) -> None:
        with self._write() as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO jobs (job_id, caller, filename, started_at)"
                    " VALUES (%s, %s, %s, %s)"
                ),
                (job_id, caller, filename, self._time(started_at)),
            )

    def finish_job(
        self, job_id: str, rows: int, finished_at: datetime, error: str | None = None
    ) -> None:
        with self._write() as conn:
            updated = conn.execute(
                self._sql(
                    "UPDATE jobs SET finished_at = %s, row_count = %s, error = %s WHERE job_id = %s"
                ),
                (self._time(finished_at), rows, error, job_id),
            ).rowcount
        if updated == 0:
            raise LookupError(f"no job {job_id!r} was started")

    def get_job(self, job_id: str) -> JobRecord | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql(f"SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = %s"), (job_id,)
            ).fetchone()
        return None if row is None else job_from_row(row)

    def job_screenings(self, job_id: str) -> list[ScreeningRecord]:
        with self._read() as conn:
            rows = conn.execute(
                self._sql(
                    f"SELECT {SCREENING_COLUMNS} FROM screenings WHERE job_id = %s ORDER BY job_row"
                ),
                (job_id,),
            ).fetchall()
        return [screening_from_row(r) for r in rows]

    # --- Alerts ---------------------------------------------------------------------------------

    def save_alerts(self, alerts: Sequence[AlertRecord]) -> int:
        if not alerts:
            return 0
        sql = self._sql(
            f"INSERT INTO alerts ({ALERT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING"
        )
        added = 0
        with self._write() as conn:
            for a in alerts:
                added += conn.execute(
                    sql,
                    (
                        a.alert_id,
                        self._time(a.created_at),
                        a.screening_id,
                        a.list_id,
                        a.version,
                        a.entity_id,
                        a.score,
                        a.decision,
                        a.previous_decision,
                        a.reason,
                    ),
                ).rowcount
        return added

    def list_alerts(self, since: datetime | None = None, limit: int = 100) -> list[AlertRecord]:
        where, params = "", []
        if since is not None:
            where, params = " WHERE created_at >= %s", [self._time(since)]
        with self._read() as conn:
            rows = conn.execute(
                self._sql(
                    f"SELECT {ALERT_COLUMNS} FROM alerts{where}"
                    " ORDER BY created_at DESC, alert_id DESC LIMIT %s"
                ),
                (*params, limit),
            ).fetchall()
        return [alert_from_row(r) for r in rows]

    # --- Port calls -----------------------------------------------------------------------------

    def _insert_port_calls(self, conn: Connection, calls: Sequence[PortCall]) -> int:
        sql = self._sql(
            f"INSERT INTO port_calls ({CALL_COLUMNS})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        )
        added = 0
        for c in calls:
            added += conn.execute(
                sql,
                (
                    c.imo,
                    c.mmsi,
                    c.locode,
                    c.port_name,
                    c.country,
                    self._time(c.arrived_at),
                    None if c.departed_at is None else self._time(c.departed_at),
                    c.source,
                    c.note,
                    c.confidence,
                ),
            ).rowcount
        return added

    def port_calls_since(self, seq: int = 0) -> tuple[list[PortCall], int]:
        with self._read() as conn:
            rows = conn.execute(
                self._sql(
                    f"SELECT {CALL_COLUMNS}, seq FROM port_calls WHERE seq > %s ORDER BY seq"
                ),
                (seq,),
            ).fetchall()
        if not rows:
            return [], seq
        return [call_from_row(r) for r in rows], int(rows[-1][10])
