"""An answer received is an answer kept: the real service (gunicorn, two workers) is killed
with SIGKILL while screenings are in flight, and after a restart on the same store every
screening whose answer came back is there, exactly as answered. On both stores.

SIGKILL leaves the database to its own recovery (SQLite's write-ahead log, PostgreSQL's commit);
a power cut cannot be staged here, and for it the guarantee is the database's own (FULL: SQLite
syncs the log at each commit; PostgreSQL with synchronous_commit on).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.served import gunicorn

from .helpers import Backend

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs process groups")

CALLERS = 8
# Answers to wait for before the kill; the callers go on sending meanwhile, so that the kill
# falls among requests in flight.
ANSWERS_BEFORE_KILL = 150
MAX_REQUESTS_PER_CALLER = 2_000  # a bound on each caller's loop, far above what it reaches
NAMES = ("LADY R", "NOBODY AT ALL", "MAIA-1", "SEA OF PEACE")


class Answers:
    """The answers received in full, by screening id, and a way to wait for enough of them."""

    def __init__(self) -> None:
        self.received: dict[str, Any] = {}
        self.changed = threading.Condition()

    def add(self, screening_id: str, answer: Any) -> None:
        with self.changed:
            self.received[screening_id] = answer
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.received) >= n, timeout)


def _caller(port: int, n: int, answers: Answers, stop: threading.Event) -> None:
    """Screen until told to stop or the service is gone: singles, and now and then a batch."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for i in range(MAX_REQUESTS_PER_CALLER):
            if stop.is_set():
                return
            name = NAMES[(n + i) % len(NAMES)]
            batch = i % 5 == 4
            path, body = (
                ("/v1/screen/batch", {"queries": [{"name": name}, {"name": f"{name} {i}"}]})
                if batch
                else ("/v1/screen", {"name": name, "reference": f"{n}-{i}"})
            )
            try:
                conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                return  # killed: what was not read in full was not received
            assert response.status == 200, data
            if batch:
                for item in json.loads(data)["results"]:
                    answers.add(item["screening_id"], item)
            else:
                answers.add(json.loads(data)["screening_id"], data)
    finally:
        conn.close()


def test_every_answer_received_before_a_kill_is_in_the_store(
    backend: Backend, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": backend.url}
    answers, stop = Answers(), threading.Event()
    with gunicorn(tmp_path, workers=2, **env) as server:
        callers = [
            threading.Thread(target=_caller, args=(server.port, n, answers, stop), daemon=True)
            for n in range(CALLERS)
        ]
        for thread in callers:
            thread.start()
        try:
            assert answers.wait_for(ANSWERS_BEFORE_KILL, timeout=60), "too few answers"
            # The master and its workers, at once, with no chance to finish anything.
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=30)
        finally:
            stop.set()
            for thread in callers:
                thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in callers)
    received = dict(answers.received)
    assert len(received) >= ANSWERS_BEFORE_KILL

    with gunicorn(tmp_path, workers=1, **env) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            missing, changed = [], []
            for screening_id, answer in received.items():
                conn.request("GET", f"/v1/screenings/{screening_id}")
                response = conn.getresponse()
                kept = response.read()
                if response.status == 404:
                    missing.append(screening_id)
                elif isinstance(answer, bytes) and kept != answer:
                    changed.append(screening_id)  # a single screening: byte for byte
                elif not isinstance(answer, bytes) and json.loads(kept) != answer:
                    changed.append(screening_id)  # a batch item: its own answer
        finally:
            conn.close()
    assert missing == [] and changed == [], f"{len(missing)} missing, {len(changed)} changed"
