"""List refresh: conditional downloads from a publisher, checked before anything is served.

The "publisher" is a local HTTP server on 127.0.0.1 serving a copy of the bundled sample, with
ETag / Last-Modified validators; no test needs the internet.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask

from service import create_app, refresh
from service.auth import KeyRing
from service.cli import main
from service.loaders.errors import ListLoadError
from service.loaders.registry import read_manifest
from service.refresh import STATE_FILE, RefreshScheduler

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "lists" / "ofac-sample"
LIST_ID = "ofac-test"
LAST_MODIFIED = "Wed, 01 Jan 2025 00:00:00 GMT"
# A ship the sample does not hold (IMO 9000003 has a valid check digit).
NEW_VESSEL = (
    b'99001,"REFRESHED TRADER","vessel","DPRK",-0- ,-0- ,"General Cargo",-0- ,-0- ,'
    b'"Panama",-0- ,"Vessel Registration Identification IMO 9000003."\r\n'
)


@dataclass
class Publisher:
    """What the local server serves, and what it was asked."""

    files: dict[str, bytes]
    requests: list[dict[str, str]] = field(default_factory=list)
    short: set[str] = field(default_factory=set)  # files sent cut short of Content-Length
    url: str = ""


def _handler(publisher: Publisher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls do_<METHOD>
            name = self.path.lstrip("/")
            publisher.requests.append({"path": name, **dict(self.headers.items())})
            body = publisher.files.get(name)
            if body is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if name in publisher.short else body)
            if name in publisher.short:
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


@pytest.fixture()
def publisher() -> Iterator[Publisher]:
    served = Publisher({p.name: p.read_bytes() for p in SAMPLE.iterdir() if p.is_file()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    served.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served
    server.shutdown()
    server.server_close()
    thread.join()


def _lists_dir(tmp_path: Path, publisher: Publisher) -> Path:
    lists = tmp_path / "lists"
    shutil.copytree(SAMPLE, lists / "ofac")
    entry = {
        "id": LIST_ID,
        "path": "ofac",
        "format": "ofac-csv",
        "urls": {name: f"{publisher.url}/{name}" for name in publisher.files},
    }
    (lists / "manifest.json").write_text(json.dumps({"lists": [entry]}), encoding="utf-8")
    return lists


@pytest.fixture()
def app(tmp_path: Path, publisher: Publisher) -> Flask:
    return create_app(lists_dir=_lists_dir(tmp_path, publisher), data_dir=tmp_path / "data")


def _refresh(app: Flask) -> dict[str, object]:
    response = app.test_client().post("/v1/lists/refresh")
    assert response.status_code == 200
    [result] = response.get_json()["results"]
    return dict(result)


def _served_version(app: Flask) -> str:
    return str(app.extensions["vessel_screen"].index.lists[0].version)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_second_refresh_sends_validators_and_changes_nothing(
    app: Flask, publisher: Publisher
) -> None:
    before = _served_version(app)
    first = _refresh(app)  # no validators yet: full download, same bytes as on disk
    assert first["status"] == "not_modified"
    publisher.requests.clear()
    second = _refresh(app)
    assert second == {"list": LIST_ID, "status": "not_modified", "version": before, "error": None}
    sdn = next(r for r in publisher.requests if r["path"] == "sdn.csv")
    assert sdn["If-None-Match"].startswith('"')
    assert sdn["If-Modified-Since"] == LAST_MODIFIED
    assert _served_version(app) == before


def test_a_new_version_is_downloaded_checked_and_served(
    app: Flask, publisher: Publisher, tmp_path: Path
) -> None:
    before = _served_version(app)
    client = app.test_client()
    assert client.post("/v1/screen", json={"imo": "9000003"}).get_json()["decision"] == "clear"
    publisher.files["sdn.csv"] = publisher.files["sdn.csv"].rstrip(b"\x1a") + NEW_VESSEL + b"\x1a"

    result = _refresh(app)

    assert result["status"] == "updated"
    assert result["version"] != before and result["version"] == _served_version(app)
    answer = client.post("/v1/screen", json={"name": "REFRESHED TRADER", "imo": "9000003"})
    assert answer.get_json()["decision"] == "match"
    versions = client.get(f"/v1/lists/{LIST_ID}/versions").get_json()["versions"]
    assert {v["version"] for v in versions if v["published"]} == {before, result["version"]}
    # The files on disk are the new version, and no staging or old folder is left behind.
    assert (tmp_path / "lists" / "ofac" / "sdn.csv").read_bytes() == publisher.files["sdn.csv"]
    assert {p.name for p in (tmp_path / "lists").iterdir()} == {
        ".refresh.lock",
        STATE_FILE,
        "manifest.json",
        "ofac",
    }


def _assert_still_serving(app: Flask, tmp_path: Path, before: str, reason: str) -> None:
    client = app.test_client()
    assert _served_version(app) == before
    assert _files(tmp_path / "lists" / "ofac") == _files(SAMPLE)
    assert client.post("/v1/screen", json={"name": "LADY R"}).get_json()["decision"] == "match"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert any(reason in r for r in ready.get_json()["reasons"])
    assert reason in client.get("/v1/lists").get_json()["lists"][0]["last_error"]
    failures = [v for v in client.get(f"/v1/lists/{LIST_ID}/versions").get_json()["versions"]]
    assert any(reason in (v["error"] or "") for v in failures)


def test_a_broken_download_is_refused_and_the_old_version_stays(
    app: Flask, publisher: Publisher, tmp_path: Path
) -> None:
    before = _served_version(app)
    publisher.files["sdn.csv"] = bytes(range(256)) * 40

    result = _refresh(app)

    assert result["status"] == "failed" and result["version"] == before
    assert "do not load" in str(result["error"])
    _assert_still_serving(app, tmp_path, before, "do not load")


def test_a_list_that_shrank_by_90_percent_is_refused(
    app: Flask, publisher: Publisher, tmp_path: Path
) -> None:
    before = _served_version(app)
    lines = publisher.files["sdn.csv"].rstrip(b"\x1a").split(b"\r\n")
    publisher.files["sdn.csv"] = b"\r\n".join([lines[0]]) + b"\r\n\x1a"

    result = _refresh(app)

    assert result["status"] == "failed"
    assert "MAX_LIST_SHRINK" in str(result["error"])
    # Refused at publication, after the swap: the old files were put back.
    _assert_still_serving(app, tmp_path, before, "MAX_LIST_SHRINK")


def test_a_download_cut_short_is_refused(app: Flask, publisher: Publisher, tmp_path: Path) -> None:
    before = _served_version(app)
    publisher.files["sdn.csv"] += NEW_VESSEL  # new bytes, so validators do not answer 304
    publisher.short.add("sdn.csv")

    result = _refresh(app)

    assert result["status"] == "failed"
    assert "cut short" in str(result["error"])
    _assert_still_serving(app, tmp_path, before, "cut short")


def test_an_http_error_is_refused(app: Flask, publisher: Publisher, tmp_path: Path) -> None:
    before = _served_version(app)
    del publisher.files["alt.csv"]

    result = _refresh(app)

    assert result["status"] == "failed"
    assert "HTTP 404" in str(result["error"])
    assert _files(tmp_path / "lists" / "ofac") == _files(SAMPLE)
    assert _served_version(app) == before


def test_an_unreachable_publisher_fails_and_the_service_still_answers(
    tmp_path: Path, publisher: Publisher
) -> None:
    lists = _lists_dir(tmp_path, publisher)
    # A port that was just closed: nothing listens there.
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead = f"http://127.0.0.1:{closed.server_address[1]}"
    closed.server_close()
    manifest = lists / "manifest.json"
    manifest.write_text(manifest.read_text().replace(publisher.url, dead), encoding="utf-8")
    app = create_app(lists_dir=lists, data_dir=tmp_path / "data")
    before = _served_version(app)

    result = _refresh(app)

    assert result["status"] == "failed"
    assert "cannot reach" in str(result["error"])
    _assert_still_serving(app, tmp_path, before, "cannot reach")


def test_a_list_without_urls_is_skipped(tmp_path: Path) -> None:
    app = create_app(lists_dir=REPO / "lists", data_dir=tmp_path / "data")
    result = _refresh(app)
    assert result["status"] == "skipped" and "urls" in str(result["error"])


def test_refresh_needs_the_admin_scope_when_keys_exist(
    tmp_path: Path, publisher: Publisher
) -> None:
    keys = tmp_path / "keys.json"
    ring = KeyRing(keys)
    _, reader = ring.create("reader", ("screen", "read"))
    _, admin = ring.create("admin", ("admin",))
    app = create_app(
        lists_dir=_lists_dir(tmp_path, publisher), data_dir=tmp_path / "data", keys_file=str(keys)
    )
    client = app.test_client()
    assert client.post("/v1/lists/refresh").status_code == 401
    forbidden = client.post("/v1/lists/refresh", headers={"Authorization": f"Bearer {reader}"})
    assert forbidden.status_code == 403
    allowed = client.post("/v1/lists/refresh", headers={"Authorization": f"Bearer {admin}"})
    assert allowed.status_code == 200
    assert allowed.get_json()["results"][0]["status"] == "not_modified"


def test_the_cli_refreshes_and_exits_1_on_a_failure(
    tmp_path: Path,
    publisher: Publisher,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lists = _lists_dir(tmp_path, publisher)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", "")
    (tmp_path / "data").mkdir()

    publisher.files["sdn.csv"] = publisher.files["sdn.csv"].rstrip(b"\x1a") + NEW_VESSEL + b"\x1a"
    assert main(["lists", "refresh", "--lists", str(lists)]) == 0
    assert f"{LIST_ID}\tupdated\tversion " in capsys.readouterr().out

    assert main(["lists", "refresh", "--lists", str(lists)]) == 0
    assert f"{LIST_ID}\tnot_modified" in capsys.readouterr().out

    publisher.files["sdn.csv"] = b"not, a, list"
    assert main(["lists", "refresh", "--lists", str(lists)]) == 1
    assert f"{LIST_ID}\tfailed\trefresh of {LIST_ID} failed" in capsys.readouterr().out


def test_the_schedule_runs_in_one_process_and_survives_errors(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = app.extensions["vessel_screen"]
    first = RefreshScheduler(state, interval=3600)
    second = RefreshScheduler(state, interval=3600)
    try:
        assert first.start() is True
        assert second.start() is False  # the lock in DATA_DIR is held: one scheduler only
    finally:
        first.stop()
        second.stop()

    def boom(serving: object) -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(refresh, "refresh_lists", boom)
    first.run_once()  # logs, never raises: the thread would otherwise die
    assert "disk on fire" in caplog.text


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ({"../sdn.csv": "https://example.org/SDN.CSV"}, "plain file name"),
        ({"sdn.csv": "ftp://example.org/SDN.CSV"}, "http"),
        ({}, "non-empty"),
    ],
)
def test_manifest_urls_are_checked(tmp_path: Path, urls: dict[str, str], message: str) -> None:
    entry = {"id": "x", "path": "x", "format": "ofac-csv", "urls": urls}
    (tmp_path / "manifest.json").write_text(json.dumps({"lists": [entry]}), encoding="utf-8")
    with pytest.raises(ListLoadError, match=message):
        read_manifest(tmp_path)


def test_official_files_straight_in_the_folder_refresh_without_a_manifest(
    tmp_path: Path, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LISTS_DIR holding OFAC's files under their own names: refreshed from the publisher's
    addresses the format knows, swapped file by file, the old files back on a refusal."""
    from dataclasses import replace as copy_with

    from service.loaders import registry

    spec = registry.FORMATS["ofac-csv"]
    assert set(spec.downloads) == {"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}
    assert all(url.startswith(registry.OFAC_EXPORTS) for url in spec.downloads.values())
    local = {name: f"{publisher.url}/{name}" for name in spec.downloads}
    monkeypatch.setitem(registry.FORMATS, "ofac-csv", copy_with(spec, downloads=local))
    lists = tmp_path / "official"
    shutil.copytree(SAMPLE, lists)
    app = create_app(lists_dir=lists, data_dir=tmp_path / "data")
    client = app.test_client()
    before = _served_version(app)

    publisher.files["sdn.csv"] = publisher.files["sdn.csv"].rstrip(b"\x1a") + NEW_VESSEL + b"\x1a"
    result = _refresh(app)
    assert result["status"] == "updated" and result["version"] != before
    answer = client.post("/v1/screen", json={"name": "REFRESHED TRADER", "imo": "9000003"})
    assert answer.get_json()["decision"] == "match"
    assert (lists / "sdn.csv").read_bytes() == publisher.files["sdn.csv"]
    assert not [p for p in lists.iterdir() if p.name.startswith(".") and p.is_dir()]

    updated = _files(lists)
    publisher.files["sdn.csv"] = bytes(range(256)) * 40
    result = _refresh(app)
    assert result["status"] == "failed" and "do not load" in str(result["error"])
    assert _files(lists) == updated  # nothing of the refused download left in the folder
