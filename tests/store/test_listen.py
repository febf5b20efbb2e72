"""Every worker of every instance learns of a newly published version: PostgreSQL by
LISTEN/NOTIFY (surviving a dropped connection), SQLite by polling the shared file."""

from __future__ import annotations

import psycopg

from service.store import Store

from .helpers import Backend, Heard, entries, later, list_info

# SQLite polls; a short interval keeps the tests quick. PostgreSQL is told at once; its
# interval is only the safety-net look, which the retry test below relies on.
POLL = 0.05


def test_a_listener_reports_the_current_versions_then_each_new_one(backend: Backend) -> None:
    here, elsewhere = backend.open(), backend.open()  # two workers (or instances)
    here.migrate()
    here.publish_list_version(list_info("t", "v1", 1), entries("A"))
    heard = Heard()
    listener = here.listen_versions(heard, poll_interval=POLL)
    try:
        assert listener.wait_ready(10)
        assert heard.wait_for(("t", "v1"))

        elsewhere.publish_list_version(list_info("t", "v2", 2, at=later(1)), entries("A", "B"))
        assert heard.wait_for(("t", "v2"))
        elsewhere.publish_list_version(list_info("u", "w1", 1, at=later(2)), entries("C"))
        assert heard.wait_for(("u", "w1"))
        # Publishing an already stored version changes nothing and is not reported again.
        assert not elsewhere.publish_list_version(list_info("t", "v2", 2), entries("A", "B"))
        elsewhere.publish_list_version(list_info("u", "w2", 1, at=later(3)), entries("C"))
        assert heard.wait_for(("u", "w2"))
        assert heard.items == [("t", "v1"), ("t", "v2"), ("u", "w1"), ("u", "w2")]
    finally:
        listener.close()


def test_a_failing_callback_is_given_the_version_again(backend: Backend) -> None:
    store = backend.open()
    store.migrate()
    store.publish_list_version(list_info("t", "v1", 1), entries("A"))
    heard = Heard()
    calls = 0

    def flaky(list_id: str, version: str) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("index build failed")
        heard(list_id, version)

    listener = store.listen_versions(flaky, poll_interval=POLL)
    try:
        assert heard.wait_for(("t", "v1"))
        assert calls == 2
    finally:
        listener.close()


def test_publishing_notifies_on_commit_and_only_when_something_was_stored(
    pg_backend: Backend,
) -> None:
    store = pg_backend.open()
    store.migrate()
    with psycopg.connect(pg_backend.url, autocommit=True) as conn:
        conn.execute("LISTEN list_versions")
        store.publish_list_version(list_info("t", "v1", 1), entries("A"))
        store.publish_list_version(list_info("t", "v1", 1), entries("A"))  # already stored
        store.publish_list_version(list_info("t", "v2", 1), entries("B"))
        # Notifications arrive in commit order: had the repeat announced anything, it would
        # come between v1 and v2.
        payloads = [n.payload for n in conn.notifies(timeout=10, stop_after=2)]
    assert payloads == ["t:v1", "t:v2"]


def test_a_listener_reconnects_after_its_connection_is_killed(pg_backend: Backend) -> None:
    here, elsewhere = pg_backend.open(), pg_backend.open()
    here.migrate()
    heard = Heard()
    # A long safety-net interval: only the reconnect can bring v2 in within the wait below.
    listener = here.listen_versions(heard, poll_interval=3600)
    try:
        assert listener.wait_ready(10)
        with pg_backend.admin() as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND query LIKE 'LISTEN%'"
            ).fetchall()
        assert killed == [(True,)]
        elsewhere.publish_list_version(list_info("t", "v2", 1, at=later(1)), entries("B"))
        assert heard.wait_for(("t", "v2"), timeout=15)
        assert listener.connects >= 2  # type: ignore[attr-defined]
    finally:
        listener.close()


def test_closing_a_listener_stops_its_thread(backend: Backend) -> None:
    store: Store = backend.open()
    store.migrate()
    listener = store.listen_versions(Heard(), poll_interval=POLL)
    assert listener.wait_ready(10) and listener.alive
    listener.close()
    assert not listener.alive
