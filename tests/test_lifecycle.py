"""Life cycle under real gunicorn: SIGTERM drains and finishes what is in flight; SIGHUP reads
the lists again, and a bad file never replaces the good one."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import signal
import socket
from pathlib import Path

import pytest

from benchmarks.harness import child_pids
from service import create_app, lifecycle
from service.settings import Settings
from tests.conftest import BUNDLED_LISTS
from tests.served import call, gunicorn, json_lines, output, poll

# A vessel of our own, in the OFAC SDN CSV layout of the bundled sample.
NEW_VESSEL = (
    b'99001,"AURORA HUPWELL","vessel","IRAN",-0- ,-0- ,"Crude Oil Tanker",-0- ,-0- ,'
    b'"Panama",-0- ,-0- \r\n'
)


def test_a_draining_service_is_not_ready_but_still_screens(tmp_path: Path) -> None:
    app = create_app(lists_dir=BUNDLED_LISTS, data_dir=tmp_path)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    app.extensions["vessel_screen"].draining = True
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert any("draining" in reason for reason in ready.get_json()["reasons"])
    assert client.post("/v1/screen", json={"name": "LADY R"}).status_code == 200


def test_drain_seconds_is_a_setting_with_a_sane_range() -> None:
    assert Settings.from_env({}).drain_seconds == 5
    assert Settings.from_env({"DRAIN_SECONDS": "0.5"}).drain_seconds == 0.5
    with pytest.raises(ValueError, match="DRAIN_SECONDS"):
        Settings.from_env({"DRAIN_SECONDS": "-1"})


def test_sigterm_drains_then_finishes_the_request_in_flight(tmp_path: Path) -> None:
    names = [f"VESSEL NUMBER {i}" for i in range(200)]
    head = ("name\n" + "".join(f"{n}\n" for n in names[:100])).encode()
    tail = "".join(f"{n}\n" for n in names[100:]).encode()
    with gunicorn(tmp_path, workers=1, DRAIN_SECONDS="5") as server:
        upload = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        upload.sendall(
            b"POST /v1/screen/csv HTTP/1.1\r\nHost: test\r\nContent-Type: text/csv\r\n"
            b"Content-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            % (len(head) + len(tail))
        )
        # gunicorn says "100 Continue" as it hands the request to the app: it is in flight.
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += upload.recv(1)
        assert interim.startswith(b"HTTP/1.1 100")
        upload.sendall(head)

        server.proc.send_signal(signal.SIGTERM)

        def draining() -> dict[str, object] | None:
            status, body = call(server.port, "GET", "/readyz")
            return json.loads(body) if status == 503 else None

        answer = poll(draining, "/readyz answering 503 after SIGTERM", timeout=10)
        assert any("draining" in reason for reason in answer["reasons"])  # type: ignore[attr-defined]
        # Still serving new requests meanwhile: only readiness says it is going.
        assert call(server.port, "POST", "/v1/screen", {"name": "LADY R"})[0] == 200

        upload.sendall(tail)
        response = http.client.HTTPResponse(upload)
        response.begin()
        body = response.read().decode()
        upload.close()
        assert response.status == 200
        assert len(body.splitlines()) == 1 + len(names)
        assert server.proc.wait(timeout=60) == 0


def test_sighup_reads_the_lists_again_and_never_serves_a_bad_file(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(BUNDLED_LISTS, lists)
    sdn = lists / "ofac-sample" / "sdn.csv"
    good = sdn.read_bytes()
    # A long drain: replaced workers must not drain at all, or this test would show it.
    with gunicorn(tmp_path, workers=2, lists_dir=lists, DRAIN_SECONDS="30") as server:

        def decision(name: str) -> str:
            status, body = call(server.port, "POST", "/v1/screen", {"name": name})
            assert status == 200
            return str(json.loads(body)["decision"])

        assert decision("AURORA HUPWELL") == "clear"

        sdn.write_bytes(b"")  # a broken download
        server.proc.send_signal(signal.SIGHUP)

        def failure_reported() -> list[str] | None:
            status, body = call(server.port, "GET", "/readyz")
            assert status == 200  # still serving the good version, and never draining
            reasons: list[str] = json.loads(body)["reasons"]
            return reasons if any("last list load failed" in r for r in reasons) else None

        poll(failure_reported, "the refused reload shown by the new workers' /readyz")
        assert decision("LADY R") == "match"

        sdn.write_bytes(good.rstrip(b"\x1a") + NEW_VESSEL + b"\x1a")
        server.proc.send_signal(signal.SIGHUP)
        poll(
            lambda: decision("AURORA HUPWELL") == "match" or None,
            "the vessel added to the list file screened after SIGHUP",
        )
        assert decision("LADY R") == "match"
        assert not [
            line
            for line in json_lines(server)
            if line["logger"] == "service.lifecycle" and "draining" in line["message"]
        ], "a worker replaced by SIGHUP drained"
        # A quick stop (SIGINT), rather than the 30 s drain of a SIGTERM.
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0


class _Built:
    def __init__(self, entries: int, limit: int) -> None:
        self.built_into_snapshot = entries
        self.settings = Settings.from_env({}, restart_after_build=limit)


def test_a_master_starts_again_once_after_building_lists_as_large_as_the_setting() -> None:
    environ: dict[str, str] = {}
    assert lifecycle.start_again(_Built(100, 100), environ)  # type: ignore[arg-type]
    assert lifecycle.STARTED_AGAIN in environ
    # The process started again builds nothing (it serves the snapshot); were it to build all
    # the same (a snapshot it cannot read), it does not start a third time.
    assert not lifecycle.start_again(_Built(100, 100), environ)  # type: ignore[arg-type]
    assert lifecycle.STARTED_AGAIN not in environ


def test_a_master_with_small_lists_or_the_setting_at_0_goes_on() -> None:
    assert not lifecycle.start_again(_Built(99, 100), {})  # type: ignore[arg-type]
    assert not lifecycle.start_again(_Built(10**6, 0), {})  # type: ignore[arg-type]


def test_restart_after_build_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="RESTART_AFTER_BUILD"):
        Settings.from_env({"RESTART_AFTER_BUILD": "-1"})


def test_after_a_cold_build_gunicorn_starts_again_from_the_snapshot_and_serves(
    tmp_path: Path,
) -> None:
    with gunicorn(tmp_path, workers=1, RESTART_AFTER_BUILD="1") as server:
        status, body = call(server.port, "POST", "/v1/screen", {"name": "LADY R"})
        assert status == 200 and json.loads(body)["decision"] == "match"
        text = output(server)
        assert text.count("starting again from their snapshot") == 1
        # The same process ran the command again (gunicorn's master keeps its pid), and forked
        # its workers only then.
        starts = re.findall(r"\[(\d+)\] \[INFO\] Starting gunicorn", text)
        assert starts == [str(server.proc.pid)] * 2
        assert child_pids(server.proc.pid)


def test_gunicorn_on_small_lists_starts_once(tmp_path: Path) -> None:
    with gunicorn(tmp_path, workers=1) as server:
        status, _ = call(server.port, "GET", "/readyz")
        assert status == 200
        assert "starting again" not in output(server)
        assert len(re.findall(r"Starting gunicorn", output(server))) == 1
