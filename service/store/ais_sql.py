"""Raw AIS in both SQL backends: each ingested file or batch once (by the sha256 of its bytes),
its positions in columns, its static reports, and a generation number that grows with every
ingest, so each worker knows when to derive events again.

Positions are stored as they are used, in columns: a chunk of up to `CHUNK_ROWS` reports a row,
each column the reader's numpy array as bytes (see migration 0004). Writing and reading them
back costs no Python object per report, which a row per report would (a day of a busy coast is
millions). PostgreSQL takes the chunks by COPY.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from service.ais.model import Positions, StaticReport
from service.store.rows import Connection, as_time

CHUNK_ROWS = 100_000
# Stored column -> its dtype, little-endian whatever the machine.
CHUNK_DTYPES: dict[str, str] = {
    "mmsi": "<i8",
    "t": "<i8",
    "lat": "<f8",
    "lon": "<f8",
    "sog": "<f4",
    "cog": "<f4",
    "heading": "<f4",
    "status": "<i1",
}
CHUNK_COLUMNS = "ingest_id, seq, row_count, " + ", ".join(CHUNK_DTYPES)
STATIC_COLUMNS = "ingest_id, mmsi, at, imo, name, call_sign, ship_type, source"


@dataclass(frozen=True, slots=True)
class AisIngest:
    """One stored ingest; `new` False when the same bytes were stored before (nothing added)."""

    ingest_id: int
    source: str
    positions: int
    statics: int
    new: bool


class AisSql:
    """The AIS half of `SqlStore`; the backend provides the connections."""

    placeholder = "%s"

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _time(self, moment: datetime) -> Any:
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        raise NotImplementedError

    def _copy_chunks(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert position chunks (PostgreSQL copies them)."""
        marks = ", ".join(["%s"] * (3 + len(CHUNK_DTYPES)))
        for row in rows:
            conn.execute(
                self._sql(f"INSERT INTO ais_chunks ({CHUNK_COLUMNS}) VALUES ({marks})"), row
            )

    def save_ais(
        self,
        source: str,
        sha256: str,
        chunks: Iterable[tuple[Positions, Sequence[StaticReport]]],
        at: datetime,
        rejected: Callable[[], int] = lambda: 0,
    ) -> AisIngest:
        """Store one ingest, a chunk at a time as `chunks` yields them (memory stays flat), each
        in a short transaction; it counts only once the last is in. Nothing is stored when
        these bytes were stored before; on any failure what was written of it is removed.
        `rejected` is asked at the end for the count of lines the reader refused."""
        with self._write() as conn:
            # An ingest left incomplete (its process died) is removed before it is tried again.
            self._forget(conn, "sha256 = %s AND NOT complete", (sha256,))
            known = conn.execute(
                self._sql(
                    "SELECT id, source, positions, statics FROM ais_ingests WHERE sha256 = %s"
                ),
                (sha256,),
            ).fetchone()
            if known is not None:
                return AisIngest(int(known[0]), known[1], int(known[2]), int(known[3]), False)
            conn.execute(
                self._sql(
                    "INSERT INTO ais_ingests (source, sha256, ingested_at, positions, statics,"
                    " rejected, complete) VALUES (%s, %s, %s, 0, 0, 0, %s)"
                ),
                (source, sha256, self._time(at), False),
            )
            row = conn.execute(
                self._sql("SELECT id FROM ais_ingests WHERE sha256 = %s"), (sha256,)
            ).fetchone()
        ingest_id = int(row[0])
        positions = statics = seq = 0
        try:
            for batch, found in chunks:
                rows = chunk_rows(ingest_id, batch, seq)
                with self._write() as conn:
                    if rows:
                        self._copy_chunks(conn, rows)
                    self._insert_statics(conn, ingest_id, found)
                seq += len(rows)
                positions += len(batch)
                statics += len(found)
            with self._write() as conn:
                conn.execute(
                    self._sql(
                        "UPDATE ais_ingests SET positions = %s, statics = %s, rejected = %s,"
                        " complete = %s WHERE id = %s"
                    ),
                    (positions, statics, rejected(), True, ingest_id),
                )
        except BaseException:
            with contextlib.suppress(Exception), self._write() as conn:
                self._forget(conn, "id = %s", (ingest_id,))
            raise
        return AisIngest(ingest_id, source, positions, statics, True)

    def _insert_statics(
        self, conn: Connection, ingest_id: int, statics: Sequence[StaticReport]
    ) -> None:
        for s in statics:
            conn.execute(
                self._sql(
                    f"INSERT INTO ais_statics ({STATIC_COLUMNS})"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                ),
                (
                    ingest_id,
                    s.mmsi,
                    self._time(s.at),
                    s.imo,
                    s.name,
                    s.call_sign,
                    s.ship_type,
                    s.source,
                ),
            )

    def _forget(self, conn: Connection, where: str, params: tuple[Any, ...]) -> None:
        """Remove the ingests `where` selects, with their chunks and static reports."""
        ids = [r[0] for r in conn.execute(
            self._sql(f"SELECT id FROM ais_ingests WHERE {where}"), params
        ).fetchall()]  # fmt: skip
        for ingest_id in ids:
            for table in ("ais_chunks", "ais_statics"):
                conn.execute(self._sql(f"DELETE FROM {table} WHERE ingest_id = %s"), (ingest_id,))
            conn.execute(self._sql("DELETE FROM ais_ingests WHERE id = %s"), (ingest_id,))

    def ais_known(self, sha256: str) -> AisIngest | None:
        """The stored ingest of these bytes, if any."""
        with self._read() as conn:
            row = conn.execute(
                self._sql(
                    "SELECT id, source, positions, statics FROM ais_ingests WHERE sha256 = %s"
                ),
                (sha256,),
            ).fetchone()
        return (
            None if row is None else AisIngest(int(row[0]), row[1], int(row[2]), int(row[3]), False)
        )

    def ais_generation(self) -> int:
        """Grows with every stored ingest (0 before the first)."""
        with self._read() as conn:
            # Counts complete ingests: it grows when one completes, whatever its id.
            row = conn.execute("SELECT COUNT(*) FROM ais_ingests WHERE complete").fetchone()
        return int(row[0])

    def ais_sources(self) -> list[str]:
        """The names of the stored ingests, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT source FROM ais_ingests WHERE complete ORDER BY id"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def ais_positions(self) -> Positions:
        """Every stored position, ingest by ingest."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(CHUNK_DTYPES)} FROM ais_chunks WHERE ingest_id IN"
                " (SELECT id FROM ais_ingests WHERE complete) ORDER BY ingest_id, seq"
            ).fetchall()
        return Positions.concat(
            Positions(
                **{
                    name: np.frombuffer(bytes(blob), CHUNK_DTYPES[name]).astype(
                        CHUNK_DTYPES[name][1:]
                    )
                    for name, blob in zip(CHUNK_DTYPES, row, strict=True)
                }
            )
            for row in rows
        )

    def ais_statics(self) -> list[StaticReport]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT mmsi, at, imo, name, call_sign, ship_type, source FROM ais_statics"
                " WHERE ingest_id IN (SELECT id FROM ais_ingests WHERE complete)"
                " ORDER BY at, mmsi"
            ).fetchall()
        return [StaticReport(r[0], as_time(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]


def chunk_rows(ingest_id: int, p: Positions, first_seq: int = 0) -> list[tuple[Any, ...]]:
    """The positions as chunk rows: (ingest, seq, count, each column's bytes)."""
    out = []
    for seq, start in enumerate(range(0, len(p), CHUNK_ROWS), first_seq):
        part = p.take(slice(start, start + CHUNK_ROWS))
        columns = [
            np.ascontiguousarray(getattr(part, name), dtype).tobytes()
            for name, dtype in CHUNK_DTYPES.items()
        ]
        out.append((ingest_id, seq, len(part), *columns))
    return out
