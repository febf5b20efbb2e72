"""List versions: published whole and once, listed newest first with the loads that failed, and
their entries given back in the loader's order."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from service.loaders.registry import load_lists
from service.store import Store, StoreError

from .helpers import Backend, entries, later, list_info

BUNDLED_LISTS = Path(__file__).resolve().parents[2] / "lists"


def test_a_version_is_published_once(store: Store) -> None:
    first = entries("LADY R", "MAIA-1")
    assert store.publish_list_version(list_info("t", "v1", 2), first) is True
    # Published again (another worker, a reload of the same files): nothing new is stored.
    again = entries("SOMETHING ELSE", "ENTIRELY")
    assert store.publish_list_version(list_info("t", "v1", 2, at=later(9)), again) is False
    assert store.list_version_entries("t", "v1") == first
    [only] = store.list_versions("t")
    assert (only.version, only.loaded_at, only.entries, only.published) == ("v1", later(0), 2, True)


def test_versions_come_newest_first_and_the_latest_is_the_last_published(store: Store) -> None:
    store.publish_list_version(list_info("t", "v1", 1, at=later(0)), entries("A"))
    store.publish_list_version(list_info("t", "v2", 2, at=later(10)), entries("A", "B"))
    store.publish_list_version(list_info("u", "2026-01-14", 1, at=later(5)), entries("C"))

    assert [v.version for v in store.list_versions("t")] == ["v2", "v1"]
    latest = store.latest_version("t")
    assert latest is not None and latest.version == "v2"
    assert latest.to_list_info() == list_info("t", "v2", 2, at=later(10))
    assert latest.to_list_info().sha256 == {"list.csv": "ab" * 32}
    assert {k: v.version for k, v in store.latest_versions().items()} == {
        "t": "v2",
        "u": "2026-01-14",
    }
    assert store.latest_version("nothing") is None
    assert store.list_versions("nothing") == []
    assert store.list_version_entries("t", "v9") is None


def test_a_failed_load_is_recorded_and_the_published_version_stays_latest(store: Store) -> None:
    store.publish_list_version(list_info("t", "v1", 1, at=later(0)), entries("A"))
    store.record_load_failure(
        "t", "sdn.csv line 7: 3 fields, expected 12", later(30), sha256={"sdn.csv": "cd" * 32}
    )
    store.record_load_failure("t", "alt.csv: missing", later(20), version="v2")

    history = store.list_versions("t")
    assert [(v.version, v.published, v.error) for v in history] == [
        (None, False, "sdn.csv line 7: 3 fields, expected 12"),
        ("v2", False, "alt.csv: missing"),
        ("v1", True, None),
    ]
    assert history[0].loaded_at == later(30) and history[0].sha256 == {"sdn.csv": "cd" * 32}
    latest = store.latest_version("t")
    assert latest is not None and latest.version == "v1"
    with pytest.raises(ValueError):
        history[0].to_list_info()


@pytest.mark.parametrize(
    ("info_entries", "rows", "message"),
    [
        (3, entries("A", "B"), "says 3 entries, has 2"),
        (2, [{"entity_id": "t:1"}, {"entity_id": "t:1"}], "entity ids repeat"),
        (1, [{"name": "no id"}], "needs an entity_id"),
        (1, [{"entity_id": "t:1", "name": "A\x00"}], "NUL"),
    ],
)
def test_a_version_that_does_not_validate_is_not_stored(
    store: Store, info_entries: int, rows: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.publish_list_version(list_info("t", "v1", info_entries), rows)
    assert store.list_versions("t") == []
    assert store.list_version_entries("t", "v1") is None


def test_a_list_id_with_a_colon_is_refused(store: Store) -> None:
    # The announcement is "<list_id>:<version>"; the id must leave no doubt where it ends.
    with pytest.raises(ValueError, match="':'"):
        store.publish_list_version(list_info("a:b", "v1", 1), entries("A"))


def test_two_workers_publishing_the_same_version_store_it_once(backend: Backend) -> None:
    stores = [backend.open() for _ in range(4)]
    stores[0].migrate()
    start = threading.Barrier(len(stores))
    results: list[bool] = []
    errors: list[BaseException] = []
    rows = entries(*(f"SHIP {i}" for i in range(500)))

    def publish(s: Store) -> None:
        try:
            start.wait(timeout=10)
            results.append(s.publish_list_version(list_info("t", "v1", len(rows)), rows))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert stores[1].list_version_entries("t", "v1") == rows
    assert len(stores[1].list_versions("t")) == 1


def test_the_bundled_lists_come_back_whole_and_in_order(store: Store) -> None:
    # Real entries: non-ASCII names, nested source records, None and numbers.
    for loaded in load_lists(BUNDLED_LISTS):
        rows = [json.loads(json.dumps(dataclasses.asdict(v))) for v in loaded.vessels]
        assert store.publish_list_version(loaded.info, rows) is True
        assert store.list_version_entries(loaded.info.id, loaded.info.version) == rows
        latest = store.latest_version(loaded.info.id)
        assert latest is not None and latest.to_list_info() == loaded.info


def test_a_closed_store_refuses_to_publish(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.publish_list_version(list_info("t", "v1", 1), entries("A"))
