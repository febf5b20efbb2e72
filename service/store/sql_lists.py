"""List versions in both SQL backends: failed loads, published versions, their entries, and the
lists retired from service.

The served set is what the store says it is: the newest published version of every list that is
not retired. A list the operator no longer names is retired (`retire_lists`), so every worker and
every instance stops serving it, and its versions stay in the history.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from service.store.base import ListVersionRecord, dump_json
from service.store.rows import Connection, as_time

VERSION_COLUMNS = (
    "list_id, version, loaded_at, entry_count, files_sha256, title, source, format,"
    " published_at, vessel_count"
)
_SERVED = "list_id NOT IN (SELECT list_id FROM retired_lists)"


def version_from_row(row: Any) -> ListVersionRecord:
    return ListVersionRecord(
        list_id=row[0],
        version=row[1],
        loaded_at=as_time(row[2]),
        entries=int(row[3]),
        sha256=json.loads(row[4]),
        published=True,
        title=row[5],
        source=row[6],
        format=row[7],
        published_at=row[8],
        vessels=None if row[9] is None else int(row[9]),
    )


class ListVersionsSql:
    """The list-version half of `SqlStore`; the backend provides the connections."""

    placeholder = "%s"

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _time(self, moment: datetime) -> Any:
        """The stored form of a time."""
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "%s" else text.replace("%s", self.placeholder)

    def _announce(self, conn: Connection, list_id: str, version: str) -> None:
        """Tell listeners the served set changed (PostgreSQL: NOTIFY; SQLite's poll needs
        nothing)."""

    def record_load_failure(
        self,
        list_id: str,
        error: str,
        at: datetime,
        version: str | None = None,
        sha256: Mapping[str, str] | None = None,
    ) -> None:
        with self._write() as conn:
            conn.execute(
                self._sql(
                    "INSERT INTO list_load_failures (list_id, version, failed_at, error,"
                    " files_sha256) VALUES (%s, %s, %s, %s, %s)"
                ),
                (list_id, version, self._time(at), error, dump_json(dict(sha256 or {}))),
            )

    def list_versions(self, list_id: str) -> list[ListVersionRecord]:
        with self._read() as conn:
            published = conn.execute(
                self._sql(f"SELECT {VERSION_COLUMNS}, seq FROM list_versions WHERE list_id = %s"),
                (list_id,),
            ).fetchall()
            failed = conn.execute(
                self._sql(
                    "SELECT list_id, version, failed_at, error, files_sha256, id"
                    " FROM list_load_failures WHERE list_id = %s"
                ),
                (list_id,),
            ).fetchall()
        # Newest first by load time; among equal times a publication before a failure, and
        # later publications (higher seq) first.
        keyed: list[tuple[datetime, int, int, ListVersionRecord]] = [
            (as_time(row[2]), 1, int(row[10]), version_from_row(row)) for row in published
        ]
        for row in failed:
            record = ListVersionRecord(
                list_id=row[0],
                version=row[1],
                loaded_at=as_time(row[2]),
                entries=0,
                sha256=json.loads(row[4]),
                published=False,
                error=row[3],
            )
            keyed.append((record.loaded_at, 0, int(row[5]), record))
        keyed.sort(key=lambda k: k[:3], reverse=True)
        return [k[3] for k in keyed]

    def latest_version(self, list_id: str) -> ListVersionRecord | None:
        with self._read() as conn:
            row = conn.execute(
                self._sql(
                    f"SELECT {VERSION_COLUMNS} FROM list_versions WHERE list_id = %s"
                    " ORDER BY seq DESC LIMIT 1"
                ),
                (list_id,),
            ).fetchone()
        return None if row is None else version_from_row(row)

    def latest_versions(self) -> dict[str, ListVersionRecord]:
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT {VERSION_COLUMNS} FROM list_versions v WHERE seq ="
                " (SELECT MAX(seq) FROM list_versions w WHERE w.list_id = v.list_id)"
                f" AND {_SERVED} ORDER BY list_id"
            ).fetchall()
        return {row[0]: version_from_row(row) for row in rows}

    def list_version_entries(self, list_id: str, version: str) -> list[dict[str, Any]] | None:
        with self._read() as conn:
            known = conn.execute(
                self._sql("SELECT 1 FROM list_versions WHERE list_id = %s AND version = %s"),
                (list_id, version),
            ).fetchone()
            if known is None:
                return None
            rows = conn.execute(
                self._sql(
                    "SELECT entry FROM list_entries WHERE list_id = %s AND version = %s"
                    " ORDER BY position"
                ),
                (list_id, version),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def retire_lists(self, named: Collection[str], at: datetime) -> list[str]:
        """Serve exactly `named`: every other published list is retired from `at` on, and a
        named list that was retired is served again. The lists retired by this call."""
        wanted = set(named)
        with self._write() as conn:
            known = {
                r[0] for r in conn.execute("SELECT DISTINCT list_id FROM list_versions").fetchall()
            }
            retired = {r[0] for r in conn.execute("SELECT list_id FROM retired_lists").fetchall()}
            back = sorted(retired & wanted)
            newly = sorted(known - wanted - retired)
            for list_id in back:
                conn.execute(self._sql("DELETE FROM retired_lists WHERE list_id = %s"), (list_id,))
            for list_id in newly:
                conn.execute(
                    self._sql("INSERT INTO retired_lists (list_id, retired_at) VALUES (%s, %s)"),
                    (list_id, self._time(at)),
                )
            for list_id in (*back, *newly):
                self._announce(conn, list_id, "")
        return newly

    def retired_lists(self) -> dict[str, datetime]:
        """Each retired list and when it was retired."""
        with self._read() as conn:
            rows = conn.execute("SELECT list_id, retired_at FROM retired_lists").fetchall()
        return {row[0]: as_time(row[1]) for row in sorted(rows)}
