"""Every answered screening is recorded; versions are kept; alerts follow new versions.

Each test runs on both stores: the embedded SQLite and the real PostgreSQL server.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import create_app
from service.store import StoreError

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "lists" / "ofac-sample"


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    lists = tmp_path / "lists"
    shutil.copytree(SAMPLE, lists / "ofac")
    application = create_app(lists_dir=lists, data_dir=tmp_path / "data", database_url=url)
    yield application
    application.extensions["vessel_screen"].store.close()


def test_a_screening_is_returned_exactly_as_answered(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/v1/screen", json={"name": "LADY R", "reference": "r-1"})
    assert answer.status_code == 200
    sid = answer.get_json()["screening_id"]
    again = client.get(f"/v1/screenings/{sid}")
    assert again.status_code == 200
    assert again.get_data() == answer.get_data()
    assert client.get("/v1/screenings/not-a-screening").status_code == 404


def test_nothing_is_answered_without_its_record(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.extensions["vessel_screen"].store

    def refuse(records: object) -> None:
        raise StoreError("the database went away")

    monkeypatch.setattr(store, "record_screenings", refuse)
    answer = app.test_client().post("/v1/screen", json={"name": "LADY R"})
    assert answer.status_code == 503
    body = answer.get_json()
    assert "screening_id" not in body and "matches" not in body
    assert answer.headers["Retry-After"]


def test_versions_diff_and_an_alert_after_a_new_version(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    state = app.extensions["vessel_screen"]
    # A ship nobody has listed yet is screened and cleared.
    first = client.post("/v1/screen", json={"name": "NORDIC SPIRIT", "imo": "9161015"})
    assert first.get_json()["decision"] == "clear"
    # The publisher lists it: a new version of the sample with one more vessel.
    sdn = tmp_path / "lists" / "ofac" / "sdn.csv"
    raw = sdn.read_bytes().rstrip(b"\x1a")
    row = (
        b'99999,"NORDIC SPIRIT","vessel","RUSSIA-EO14024",-0- ,-0- ,"Crude Oil Tanker",-0- ,'
        b'"60000","Russia",-0- ,"Vessel Registration Identification IMO 9161015."\r\n'
    )
    sdn.write_bytes(raw + row + b"\x1a")
    old_version = state.index.lists[0].version
    assert state.reload()
    new_version = state.index.lists[0].version
    assert new_version != old_version

    versions = client.get("/v1/lists/us-ofac-sdn/versions").get_json()["versions"]
    assert [v["version"] for v in versions if v["published"]][:2] == [new_version, old_version]
    d = client.get(f"/v1/lists/us-ofac-sdn/diff?from={old_version}&to={new_version}").get_json()
    assert [v["name"] for v in d["added"]] == ["NORDIC SPIRIT"]
    assert d["removed"] == [] and d["changed"] == []
    assert client.get("/v1/lists/us-ofac-sdn/diff?from=nope&to=x").status_code == 422
    assert client.get("/v1/lists/nope/versions").status_code == 404

    # Re-screening runs in the background; wait for its thread, not for a time.
    for thread in __import__("threading").enumerate():
        if thread.name.startswith("rescreen-"):
            thread.join(timeout=30)
    alerts = client.get("/v1/alerts").get_json()["alerts"]
    assert [(a["screening_id"], a["decision"]) for a in alerts] == [
        (first.get_json()["screening_id"], "match")
    ]
    assert client.get(alerts[0]["screening"]).status_code == 200


def test_a_broken_list_file_leaves_the_version_serving(app: Flask, tmp_path: Path) -> None:
    state = app.extensions["vessel_screen"]
    served = state.index
    (tmp_path / "lists" / "ofac" / "sdn.csv").write_bytes(b'1,"BROKEN\r\n\x1a')
    assert not state.reload()
    assert state.index is served
    client = app.test_client()
    assert client.post("/v1/screen", json={"name": "LADY R"}).get_json()["decision"] == "match"
    ready = client.get("/readyz").get_json()
    assert any("failed" in r for r in ready["reasons"])
    versions = state.store.list_versions("*")
    assert versions and versions[0].error


def test_pushed_port_calls_are_kept_in_the_store(app: Flask) -> None:
    client = app.test_client()
    calls = [{"imo": "9179842", "port": "Rason", "arrived_at": "2026-11-01", "source": "AIS"}]
    assert client.post("/v1/port-calls", json=calls).status_code == 200
    stored = app.extensions["vessel_screen"].store.port_calls_since(0)[0]
    assert [(c.imo, c.locode) for c in stored] == [("9179842", "KPRJN")]


def test_readyz_says_when_the_store_is_gone(app: Flask) -> None:
    app.extensions["vessel_screen"].store.close()
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert any("store" in r for r in ready.get_json()["reasons"])


def test_every_batch_item_is_recorded_as_answered(app: Flask) -> None:
    client = app.test_client()
    # One answer holds Cyrillic: the body is joined as UTF-8 whatever each answer's characters.
    queries = [
        {"name": "LADY R"},
        {"limit": 0},
        {"imo": "9179842", "reference": "x"},
        {"name": "ЛЕДИ Р", "reference": "кириллица"},
    ]
    results = client.post("/v1/screen/batch", json={"queries": queries}).get_json()["results"]
    assert "error" in results[1]
    assert results[3]["reference"] == "кириллица"
    store = app.extensions["vessel_screen"].store
    for result in (results[0], results[2], results[3]):
        record = store.get_screening(result["screening_id"])
        assert record is not None and record.kind == "batch"
        assert record.response == result


def test_the_record_keeps_the_decision_the_caller_was_told(app: Flask) -> None:
    # An unlisted ship whose owner is listed is not clear: the record says what the answer said.
    client = app.test_client()
    body = client.post(
        "/v1/screen", json={"name": "NEW BUILD 1", "owner": "Transmorflot LLC"}
    ).get_json()
    assert body["matches"] == [] and body["decision"] != "clear"
    record = app.extensions["vessel_screen"].store.get_screening(body["screening_id"])
    assert record is not None and record.decision == body["decision"]


def test_a_batch_that_cannot_be_recorded_gets_no_result(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = app.extensions["vessel_screen"].store

    def refuse(records: object) -> None:
        raise StoreError("gone")

    monkeypatch.setattr(store, "record_screenings", refuse)
    answer = app.test_client().post("/v1/screen/batch", json={"queries": [{"name": "LADY R"}]})
    assert answer.status_code == 503
    assert "results" not in answer.get_json()


def test_a_csv_upload_is_one_job_with_every_row_recorded(app: Flask) -> None:
    csv = "vessel name,imo,ref\nLADY R,,a\nNOBODY AT ALL,,b\n,,c\nMAIA-1,9358010,d\n"
    answer = app.test_client().post("/v1/screen/csv", data=csv, content_type="text/csv")
    assert answer.status_code == 200
    lines = answer.get_data(as_text=True).splitlines()
    assert len(lines) == 5  # header and four rows, the blank-identity row answered with its error
    job_id = answer.headers["X-Job-Id"]
    store = app.extensions["vessel_screen"].store
    job = store.get_job(job_id)
    assert job is not None and job.finished_at is not None and job.error is None
    rows = store.job_screenings(job_id)
    assert [r.row for r in rows] == [1, 2, 4]  # row 3 had nothing to screen
    assert [r.query["vessel name"] for r in rows] == ["LADY R", "NOBODY AT ALL", "MAIA-1"]
    assert rows[0].response["matches"][0]["vessel"]["imo"] == "9161003"
    assert job.rows == 3


def test_answers_during_version_swaps_each_come_from_one_whole_version(
    app: Flask, tmp_path: Path
) -> None:
    state = app.extensions["vessel_screen"]
    sdn = tmp_path / "lists" / "ofac" / "sdn.csv"
    with_angara = sdn.read_bytes()
    lines = with_angara.rstrip(b"\x1a").split(b"\r\n")
    without_angara = b"\r\n".join(line for line in lines if b'"ANGARA"' not in line) + b"\x1a"
    version_with = state.index.lists[0].version
    sdn.write_bytes(without_angara)
    assert state.reload()
    version_without = state.index.lists[0].version

    stop = threading.Event()

    def swap() -> None:
        files = [with_angara, without_angara]
        i = 0
        while not stop.is_set():
            sdn.write_bytes(files[i % 2])
            state.reload()
            i += 1

    swapper = threading.Thread(target=swap)
    swapper.start()
    client = app.test_client()
    seen = set()
    try:
        for _ in range(3000):  # until the swaps have been seen from both sides
            if len(seen) == 2 and _ > 100:
                break
            body = client.post("/v1/screen", json={"imo": "9179842"}).get_json()
            version = body["lists"][0]["version"]
            seen.add(version)
            found = [m["vessel"]["imo"] for m in body["matches"]]
            # ANGARA (IMO 9179842) is in one version only: every answer agrees with its own.
            assert found == (["9179842"] if version == version_with else [])
            assert version in (version_with, version_without)
    finally:
        stop.set()
        swapper.join(timeout=60)
    assert seen == {version_with, version_without}
