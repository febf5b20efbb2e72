"""The served lists are exactly those the operator names: a list no longer named is retired in
every worker and instance, kept in the store's history, and shown as retired."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

from flask import Flask

from service import create_app
from service.serving import Serving
from tests.conftest import BUNDLED_LISTS, REPO_ROOT

from .helpers import Backend

OFFICIAL_XML = REPO_ROOT / "tests" / "fixtures" / "ofac-xml"
SAMPLE_ID = "us-ofac-sdn-sample"


def _app(backend: Backend, lists_dir: Path) -> Flask:
    return create_app(replace(backend.settings, lists_dir=lists_dir))


def _state(app: Flask) -> Serving:
    state = app.extensions["vessel_screen"]
    assert isinstance(state, Serving)
    return state


def _served_entities(app: Flask) -> set[str]:
    index = _state(app).index
    assert index is not None
    return {v.entity_id for v in index.vessels}


def test_a_restart_on_another_folder_serves_nothing_of_the_first(
    backend: Backend, tmp_path: Path
) -> None:
    sample = tmp_path / "sample"
    shutil.copytree(BUNDLED_LISTS, sample)
    first = _app(backend, sample)
    assert _state(first).index is not None
    assert _state(first).index.list_ids == (SAMPLE_ID,)  # type: ignore[union-attr]

    second = _app(backend, OFFICIAL_XML)  # the restart, on the official file
    state = _state(second)
    assert state.index is not None and state.index.list_ids == ("us-ofac-sdn",)
    assert not any(e.startswith(SAMPLE_ID) for e in _served_entities(second))
    # A worker forked from it follows the store: it must not pick the sample back up.
    state.start_listening(poll_interval=0.05)
    assert state.listener is not None and state.listener.wait_ready(10)
    assert state.index is not None and state.index.list_ids == ("us-ofac-sdn",)

    client = second.test_client()
    for body in ({"name": "LADY R"}, {"imo": "9161003"}, {"mmsi": "273445480"}):
        answer = client.post("/v1/screen", json=body).get_json()
        assert [lst["id"] for lst in answer["lists"]] == ["us-ofac-sdn"]
        assert not any(m["list"] == SAMPLE_ID for m in answer["matches"]), body
    listed = client.get("/v1/lists").get_json()["lists"]
    by_id = {lst["id"]: lst for lst in listed}
    assert by_id["us-ofac-sdn"]["status"] == "served"
    assert by_id[SAMPLE_ID]["status"] == "retired" and by_id[SAMPLE_ID]["retired_at"]
    # Retired is not deleted: its history is still in the store.
    versions = client.get(f"/v1/lists/{SAMPLE_ID}/versions").get_json()["versions"]
    assert versions and versions[0]["published"]
    ready = client.get("/readyz").get_json()
    assert SAMPLE_ID not in str(ready)
    if state.listener is not None:
        state.listener.close()


def test_a_running_worker_stops_serving_a_list_another_instance_retired(
    backend: Backend, tmp_path: Path
) -> None:
    both = tmp_path / "both"
    shutil.copytree(BUNDLED_LISTS / "ofac-sample", both / "ofac-sample")
    shutil.copytree(OFFICIAL_XML, both / "official")
    (both / "manifest.json").write_text(
        '{"lists": [{"id": "us-ofac-sdn-sample", "path": "ofac-sample", "format": "ofac-csv"},'
        ' {"id": "us-ofac-sdn", "path": "official", "format": "ofac-xml"}]}'
    )
    worker_app = _app(backend, both)
    worker = _state(worker_app)
    assert worker.index is not None and set(worker.index.list_ids) == {SAMPLE_ID, "us-ofac-sdn"}
    worker.start_listening(poll_interval=0.05)
    assert worker.listener is not None and worker.listener.wait_ready(10)

    only_official = tmp_path / "official-only"
    shutil.copytree(both, only_official)
    (only_official / "manifest.json").write_text(
        '{"lists": [{"id": "us-ofac-sdn", "path": "official", "format": "ofac-xml"}]}'
    )
    _app(backend, only_official)  # another instance, started with the sample dropped

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        index = worker.index
        if index is not None and index.list_ids == ("us-ofac-sdn",):
            break
        time.sleep(0.02)
    assert worker.index is not None and worker.index.list_ids == ("us-ofac-sdn",)
    worker.listener.close()

    # Named again, it is served again, by the instance that names it.
    back = _app(backend, both)
    assert set(_state(back).index.list_ids) == {SAMPLE_ID, "us-ofac-sdn"}  # type: ignore[union-attr]
    assert backend.open().retired_lists() == {}
