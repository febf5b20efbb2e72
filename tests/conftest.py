"""Shared test fixtures.

Tests that read the real published files in ../shared/data skip where that folder is absent (a
user's machine) and fail in CI (`CI=true`), where it must be present.
"""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
BUNDLED_LISTS = REPO_ROOT / "lists"


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the test when it is absent, fails when CI=true."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"{path} is not here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}, and CI=true needs the shared data", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def ofac_dir() -> Path:
    return shared_path("ofac")


@pytest.fixture(scope="session")
def sample_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The service on the bundled sample lists and port calls, without AIS: the port-call
    tests here count the dated sample calls alone (the AIS sample's own calls, rendered at
    load time, are tested in tests/store/test_ais_service.py and tests/ais/)."""
    from service import create_app

    return create_app(
        lists_dir=BUNDLED_LISTS, data_dir=tmp_path_factory.mktemp("data"), ais_dir=""
    )


@pytest.fixture(scope="session")
def ofac_app(ofac_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The service serving the real OFAC SDN files."""
    from service import create_app

    return create_app(lists_dir=ofac_dir, data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture()
def client(sample_app):  # type: ignore[no-untyped-def]
    return sample_app.test_client()


# PostgreSQL: the real server on 127.0.0.1:5432, a database of its own per test, dropped after.
# Where no server answers, PostgreSQL tests skip on a user's machine and FAIL in CI.
# `VS_TEST_POSTGRES_URL` points the tests at another server (a URL to its maintenance database).


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def admin_candidates() -> list[str]:
    override = os.environ.get("VS_TEST_POSTGRES_URL")
    if override:
        return [override]
    users = dict.fromkeys(("postgres", getpass.getuser()))
    return [f"postgresql://{user}@127.0.0.1:5432/postgres" for user in users]


def database_url(admin_url: str, dbname: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{dbname}"))


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """A URL the tests may create databases with; skip (fail in CI) when there is none."""
    problems = []
    for url in admin_candidates():
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return url
        except psycopg.Error as exc:
            problems.append(f"{url}: {str(exc).strip()}")
    message = "no PostgreSQL server to test the store against: " + "; ".join(problems)
    if in_ci():
        pytest.fail(f"{message} (CI=true needs one)", pytrace=False)
    pytest.skip(message)


@pytest.fixture()
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    name = f"vs_test_{uuid.uuid4().hex}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield database_url(pg_admin_url, name)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
