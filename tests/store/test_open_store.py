"""The settings choose the backend, and the printed configuration never shows a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import Settings, mask_password
from service.store import open_store
from service.store.postgres import PostgresStore
from service.store.sqlite import SQLiteStore


def test_no_database_url_means_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    store = open_store(Settings.from_env({"DATA_DIR": str(tmp_path)}))
    assert isinstance(store, SQLiteStore) and store.backend == "sqlite"
    assert store.path == tmp_path / "vessel-screen.sqlite3"
    assert not store.path.exists()  # opening connects nothing


def test_a_database_url_means_postgresql_with_the_pool_settings() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://vs:s3cret@db.internal:5432/vs",
            "DB_POOL_MIN": "2",
            "DB_POOL_MAX": "8",
            "DB_TIMEOUT_SECONDS": "2.5",
        }
    )
    store = open_store(settings)
    assert isinstance(store, PostgresStore) and store.backend == "postgresql"
    assert (store.min_size, store.max_size, store.timeout) == (2, 8, 2.5)
    assert "s3cret" not in repr(store)
    store.close()


def test_the_printed_configuration_masks_the_password() -> None:
    url = "postgresql://vs:s3cret@db.internal:5432/vs?sslmode=require"
    shown = Settings.from_env({"DATABASE_URL": url}).public()
    assert shown["DATABASE_URL"] == "postgresql://vs:***@db.internal:5432/vs?sslmode=require"
    assert "s3cret" not in str(shown)
    assert mask_password("postgresql://h/db?password=s3cret&x=1") == (
        "postgresql://h/db?password=***&x=1"
    )
    assert mask_password("postgresql://vs@h/db") == "postgresql://vs@h/db"
    assert Settings.from_env({}).public()["DATABASE_URL"] == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DB_POOL_MIN": "5", "DB_POOL_MAX": "4"}, "DB_POOL_MIN"),
        ({"DB_POOL_MAX": "0", "DB_POOL_MIN": "0"}, "DB_POOL_MAX"),
        ({"DB_TIMEOUT_SECONDS": "0"}, "DB_TIMEOUT_SECONDS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ],
)
def test_store_settings_that_cannot_work_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)
