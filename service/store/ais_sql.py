"""Raw AIS in both SQL backends: each ingested file or batch once (by the sha256 of its bytes),
its positions in columns, its static reports, and a generation number that grows with every
ingest, so each worker knows when to derive events again.

Positions are stored as they are used, in columns: a chunk of up to `CHUNK_ROWS` reports a row,
each column the reader's numpy array as bytes (see migration 0004). Writing and reading them
back costs no Python object per report, which a row per report would (a day of a busy coast is
millions). PostgreSQL takes the chunks by COPY.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        positions: Positions,
        statics: Sequence[StaticReport],
        rejected: int,
        at: datetime,
    ) -> AisIngest:
        """Store one ingest whole (one transaction) or, when these bytes were stored before,
        nothing."""
        with self._write() as conn:
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
                    " rejected) VALUES (%s, %s, %s, %s, %s, %s)"
                ),
                (source, sha256, self._time(at), len(positions), len(statics), rejected),
            )
            row = conn.execute(
                self._sql("SELECT id FROM ais_ingests WHERE sha256 = %s"), (sha256,)
            ).fetchone()
            ingest_id = int(row[0])
            if len(positions):
                self._copy_chunks(conn, chunk_rows(ingest_id, positions))
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
        return AisIngest(ingest_id, source, len(positions), len(statics), True)

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
            row = conn.execute("SELECT COALESCE(MAX(id), 0) FROM ais_ingests").fetchone()
        return int(row[0])

    def ais_sources(self) -> list[str]:
        """The names of the stored ingests, oldest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT source FROM ais_ingests ORDER BY id").fetchall()
        return [str(r[0]) for r in rows]

    def ais_positions(self) -> Positions:
        """Every stored position, ingest by ingest."""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(CHUNK_DTYPES)} FROM ais_chunks ORDER BY ingest_id, seq"
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
                " ORDER BY at, mmsi"
            ).fetchall()
        return [StaticReport(r[0], as_time(r[1]), r[2], r[3], r[4], r[5], r[6]) for r in rows]


def chunk_rows(ingest_id: int, p: Positions) -> list[tuple[Any, ...]]:
    """The positions as chunk rows: (ingest, seq, count, each column's bytes)."""
    out = []
    for seq, start in enumerate(range(0, len(p), CHUNK_ROWS)):
        part = p.take(slice(start, start + CHUNK_ROWS))
        columns = [
            np.ascontiguousarray(getattr(part, name), dtype).tobytes()
            for name, dtype in CHUNK_DTYPES.items()
        ]
        out.append((ingest_id, seq, len(part), *columns))
    return out
