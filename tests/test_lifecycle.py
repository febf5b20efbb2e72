"""Life cycle under real gunicorn: SIGTERM drains and finishes what is in flight; SIGHUP reads
the lists again, and a bad file never replaces the good one."""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
from pathlib import Path

import pytest

from service import create_app
from service.settings import Settings
from tests.conftest import BUNDLED_LISTS
from tests.served import call, gunicorn, json_lines, poll

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
