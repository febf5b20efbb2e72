"""Builders shared by the store tests, and the backend handle the fixtures give them."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from service.model import ListInfo
from service.settings import Settings
from service.store import ScreeningRecord, Store, open_store

T0 = datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=UTC)


@dataclass
class Backend:
    """One backend under test, and a way to open more stores on the same data (another worker,
    another instance, the same process after a restart)."""

    name: str
    settings: Settings
    opened: list[Store] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.settings.database_url

    def open(self, **overrides: Any) -> Store:
        settings = Settings.from_env(
            {
                "DATA_DIR": str(self.settings.data_dir),
                "DATABASE_URL": self.settings.database_url,
                "DB_TIMEOUT_SECONDS": str(self.settings.db_timeout_seconds),
            },
            **overrides,
        )
        store = open_store(settings)
        self.opened.append(store)
        return store

    def admin(self) -> psycopg.Connection[Any]:
        """PostgreSQL: a connection of the test's own, outside the store's pool."""
        assert self.name == "postgresql"
        return psycopg.connect(self.url, autocommit=True)


def list_info(list_id: str, version: str, entries: int, at: datetime = T0) -> ListInfo:
    return ListInfo(
        id=list_id,
        title=f"{list_id} title",
        version=version,
        loaded_at=at,
        entries=entries,
        source="https://example.org/list",
        format="test",
        sha256={"list.csv": "ab" * 32},
        published_at="2026-01-14",
    )


def entries(*names: str, list_id: str = "t") -> list[dict[str, Any]]:
    return [
        {"entity_id": f"{list_id}:{i}", "name": name, "flags": ["RU"], "imo": None}
        for i, name in enumerate(names, start=1)
    ]


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def screening(
    n: int = 1,
    *,
    at: datetime = T0,
    kind: str = "single",
    job_id: str | None = None,
    row: int | None = None,
    screening_id: str | None = None,
) -> ScreeningRecord:
    """A screening as the web layer would record it: the request, and the answer's exact text
    (key order as rendered, not sorted; non-ASCII kept; an escaped NUL, which JSON allows)."""
    sid = screening_id or uuid.uuid4().hex
    response_json = (
        f'{{"screening_id":"{sid}","screened_at":"{at.isoformat()}","decision":"match",'
        f'"matches":[{{"entity_id":"t:{n}","score":0.97,"vessel":{{"name":"ЛЕДИ Р \\u0000"}}}}],'
        '"warnings":[]}'
    )
    return ScreeningRecord(
        screening_id=sid,
        screened_at=at,
        caller="key-1",
        kind=kind,  # type: ignore[arg-type]
        query={"name": f"LADY R {n}", "flag": "Россия", "limit": 10, "lists": None},
        list_versions={"t": "v1", "u": "2026-01-14"},
        decision="match",
        response_json=response_json,
        job_id=job_id,
        row=row,
    )


class Heard:
    """What a listener reported, with a way to wait (bounded) until something was."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._cond = threading.Condition()

    def __call__(self, list_id: str, version: str) -> None:
        with self._cond:
            self.items.append((list_id, version))
            self._cond.notify_all()

    def wait_for(self, item: tuple[str, str], timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: item in self.items, timeout)


def exit_code(pid: int, within: float = 10) -> int | None:
    """A forked child's exit code; None (and the child killed) if it has not exited `within` s:
    a child stuck on a lock never exits."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None
