"""The gunicorn worker keeps a busy keep-alive connection on its thread, and never lets that
keep other callers waiting: here with a single thread a worker, where any wait would show."""

from __future__ import annotations

import http.client
import json
import socket
from pathlib import Path

from tests.served import call, gunicorn, output

LADY_R = json.dumps({"name": "LADY R"}).encode()
JSON = {"Content-Type": "application/json"}


def _screen(conn: http.client.HTTPConnection) -> dict[str, object]:
    conn.request("POST", "/v1/screen", body=LADY_R, headers=JSON)
    response = conn.getresponse()
    assert response.status == 200
    answer: dict[str, object] = json.loads(response.read())
    return answer


def test_screenings_one_after_another_on_one_connection_while_others_are_served(
    tmp_path: Path,
) -> None:
    with gunicorn(tmp_path, THREADS="1") as server:
        assert "Using worker: service.worker.KeepAliveThreadWorker" in output(server)
        kept = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            answers = [_screen(kept) for _ in range(20)]
            assert {a["decision"] for a in answers} == {"match"}
            assert len({a["screening_id"] for a in answers}) == 20
            # `kept` stays open and idle: the worker's only thread must not be waiting on it.
            for _ in range(3):
                status, body = call(server.port, "POST", "/v1/screen", {"imo": "9161003"})
                assert status == 200 and json.loads(body)["decision"] == "match"
            # And the idle connection, back with the poller, is answered again when it asks.
            assert _screen(kept)["decision"] == "match"
        finally:
            kept.close()


def test_requests_sent_together_are_answered_in_order(tmp_path: Path) -> None:
    with (
        gunicorn(tmp_path, THREADS="1") as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        paths = ["/healthz", "/v1/lists", "/healthz", "/no-such-path"]
        sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: test\r\n\r\n".encode() for p in paths))
        reader = sock.makefile("rb")
        statuses = []
        for _ in paths:
            status_line = reader.readline().split()
            headers = {}
            while (line := reader.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            reader.read(int(headers["content-length"]))
            statuses.append(int(status_line[1]))
        assert statuses == [200, 200, 200, 404]


def test_a_caller_that_hangs_up_after_its_answer_frees_the_thread(tmp_path: Path) -> None:
    with gunicorn(tmp_path, THREADS="1") as server:
        for _ in range(5):
            gone = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            _screen(gone)
            gone.close()
        status, _ = call(server.port, "GET", "/healthz")
        assert status == 200
        assert "Traceback" not in output(server)
