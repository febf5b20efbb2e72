"""Every store test runs on both backends: SQLite in a temporary folder, and the real PostgreSQL
server on 127.0.0.1:5432 in a database of its own (`vs_test_<hex>`), dropped afterwards.

Where no PostgreSQL server answers, its half of the tests is skipped on a user's machine and
FAILS in CI (`CI=true`): the production store is never silently left untested.
`VS_TEST_POSTGRES_URL` points the tests at another server (a URL to its maintenance database).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from service.store import Store

from .helpers import Backend

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url})
    b = Backend(request.param, settings)
    try:
        yield b
    finally:
        for store in b.opened:
            store.close()


@pytest.fixture()
def store(backend: Backend) -> Store:
    s = backend.open()
    s.migrate()
    return s


@pytest.fixture()
def pg_backend(pg_url: str, tmp_path: Path) -> Iterator[Backend]:
    """PostgreSQL alone, for what only it has (NOTIFY, connections to lose)."""
    settings = Settings.from_env({"DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": pg_url})
    b = Backend("postgresql", settings)
    try:
        yield b
    finally:
        for store in b.opened:
            store.close()
