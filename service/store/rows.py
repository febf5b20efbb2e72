"""The connection shape both SQL backends share (sqlite3's and psycopg's), and how a stored time
reads back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from service.store.base import text_time, utc


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...


def as_time(value: Any) -> datetime:
    """A stored time (PostgreSQL: datetime, SQLite: text) as an aware UTC datetime."""
    return utc(value) if isinstance(value, datetime) else text_time(str(value))
