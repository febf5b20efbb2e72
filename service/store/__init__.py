"""The service's store: audit trail, list versions, alerts and port calls.

`open_store(settings)` gives PostgreSQL when `DATABASE_URL` is set, else the embedded SQLite file
in `DATA_DIR`; both implement `Store` (base.py) with the same behaviour. Opening connects
nothing: the first call does, so a process may open the store before gunicorn forks.

Wiring, in short: `migrate()` once at start (safe in every worker at once); publish each list
that loaded whole with `publish_list_version` (entries from `service.versions.to_record`) and
record failed loads with `record_load_failure`; start `listen_versions` in each worker after the
fork (threads do not survive it) and swap the index in its callback; record every screening with
`record_screenings` before sending the answer and answer 503 on `StoreError`.
"""

from __future__ import annotations

from service.settings import Settings
from service.store.base import (
    AlertRecord,
    JobRecord,
    Listener,
    ListVersionRecord,
    ScreeningKind,
    ScreeningRecord,
    Store,
    StoreError,
    VersionCallback,
)

__all__ = [
    "AlertRecord",
    "JobRecord",
    "ListVersionRecord",
    "Listener",
    "ScreeningKind",
    "ScreeningRecord",
    "Store",
    "StoreError",
    "VersionCallback",
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """The store the settings name (nothing is connected yet)."""
    if settings.database_url:
        from service.store.postgres import PostgresStore

        return PostgresStore(
            settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            timeout=settings.db_timeout_seconds,
        )
    from service.store.sqlite import DB_FILE, SQLiteStore

    return SQLiteStore(
        settings.data_dir / DB_FILE,
        timeout=settings.db_timeout_seconds,
        synchronous=settings.sqlite_synchronous,
    )
