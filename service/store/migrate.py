"""Schema migrations: versioned SQL files in `migrations/<dialect>/NNNN_name.sql`, applied at start.

Each backend applies the files it has not applied yet, in version order, in ONE transaction that
first takes a lock every other starting worker also takes (PostgreSQL: a transaction-scoped
advisory lock; SQLite: BEGIN IMMEDIATE, the database's single write lock). So when several
workers start at once, one applies the migrations and the others wait, then find nothing left
to do; a migration that fails rolls back whole. `schema_migrations` records each applied
version with the sha256 of its file: a file edited after it was applied stops the start, since
the database no longer matches what the repository says it is.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from service.store.base import StoreError, time_text

if TYPE_CHECKING:
    import psycopg

Dialect = Literal["postgresql", "sqlite"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# Any fixed 64-bit number; every worker of every instance locks the same one.
PG_MIGRATION_LOCK = 0x7673_6D69_6772  # "vsmigr"
# How long a starting worker waits for another one's migration (overrides statement_timeout).
PG_MIGRATION_WAIT = "10min"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str
    sha256: str


@cache
def migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The dialect's migration files in version order; versions must run 1, 2, 3 ..."""
    folder = MIGRATIONS_DIR / dialect
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise RuntimeError(f"{path}: migration files are named NNNN_name.sql")
        sql = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(sql.encode()).hexdigest()
        found.append(Migration(int(match[1]), match[2], sql, digest))
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise RuntimeError(f"{folder}: migration versions must be {expected}")
    return tuple(found)


def _pending(dialect: Dialect, applied: dict[int, str], describe: str) -> list[Migration]:
    for m in migrations(dialect):
        if m.version in applied and applied[m.version] != m.sha256:
            raise StoreError(
                f"{describe}: migration {m.version:04d}_{m.name} was changed after it was "
                "applied; add a new migration instead of editing an applied one"
            )
    return [m for m in migrations(dialect) if m.version not in applied]


_CREATE_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text    NOT NULL,
    sha256      text    NOT NULL,
    applied_at  {time}  NOT NULL
)"""


def migrate_postgres(conn: psycopg.Connection[Any]) -> list[int]:
    """Apply pending migrations on `conn` (not in a transaction); versions applied."""
    with conn.transaction():
        conn.execute(f"SET LOCAL statement_timeout = '{PG_MIGRATION_WAIT}'")
        # Taken before even looking at schema_migrations, so that two workers never both
        # decide a migration is pending; released when the transaction ends.
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_MIGRATION_LOCK,))
        conn.execute(_CREATE_TABLE.format(time="timestamptz"))
        rows = conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall()
        applied = {int(v): str(s) for v, s in rows}
        pending = _pending("postgresql", applied, "PostgreSQL")
        for m in pending:
            # Without parameters psycopg sends the file as one query of several statements
            # (bytes: the text is a file's, not a literal, and holds no placeholders).
            conn.execute(m.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name, sha256, applied_at)"
                " VALUES (%s, %s, %s, now())",
                (m.version, m.name, m.sha256),
            )
    return [m.version for m in pending]


def migrate_sqlite(conn: sqlite3.Connection) -> list[int]:
    """Apply pending migrations on `conn` (autocommit mode); versions applied."""
    # BEGIN IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a
    # second worker reads schema_migrations only after the first has committed.
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(_CREATE_TABLE.format(time="text"))
        rows = conn.execute("SELECT version, sha256 FROM schema_migrations").fetchall()
        pending = _pending("sqlite", {int(v): str(s) for v, s in rows}, "SQLite")
        for m in pending:
            # executescript() would COMMIT first; run the statements one by one instead.
            for statement in sqlite_statements(m.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, sha256, applied_at)"
                " VALUES (?, ?, ?, ?)",
                (m.version, m.name, m.sha256, time_text(datetime.now(UTC))),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return [m.version for m in pending]


def sqlite_statements(sql: str) -> list[str]:
    """Split a script into statements the way the sqlite3 shell does: a statement ends at the
    line where `sqlite3.complete_statement` says it is complete (so `;` inside strings,
    comments and trigger bodies does not split it)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if _has_code(statement):
                statements.append(statement)
            buffer = ""
    if _has_code(buffer):
        raise RuntimeError(f"unterminated SQL statement: {buffer.strip()[:80]!r}")
    return statements


def _has_code(sql: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())
