"""The service under real gunicorn, for tests of what only real workers and signals show.

Started, polled on /readyz and stopped by the benchmarks' harness (benchmarks/harness.py), as
`make run` starts it, here with a throw-away DATA_DIR and no drain on the final stop.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from benchmarks.harness import Server, isolated_env, launch, log_tail, stop_server
from tests.conftest import BUNDLED_LISTS

T = TypeVar("T")


@contextmanager
def gunicorn(
    tmp_path: Path, workers: int = 1, lists_dir: Path = BUNDLED_LISTS, **env: str
) -> Iterator[Server]:
    """gunicorn serving `lists_dir`; `env` adds or overrides settings (DRAIN_SECONDS=0 unless
    given, so that stopping it takes no longer than it must)."""
    settings = isolated_env(tmp_path / "data") | {"DRAIN_SECONDS": "0", "LOG_LEVEL": "INFO"}
    server = launch(lists_dir, workers, settings | env)
    try:
        yield server
    except BaseException:
        print(log_tail(server, 60))
        raise
    finally:
        stop_server(server)


def call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request on a connection of its own (so any worker may take it): status and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def output(server: Server) -> str:
    """gunicorn's stdout and stderr so far. Read with pread: the file's offset is shared with
    gunicorn, which writes at it."""
    fd = server.log.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


def json_lines(server: Server) -> list[dict[str, Any]]:
    """The service's JSON log lines so far (gunicorn's own log is text, in the same file)."""
    return [json.loads(line) for line in output(server).splitlines() if line.startswith("{")]


def poll(attempt: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Call `attempt` until it returns something other than None; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = attempt()
        if result is not None:
            return result
        time.sleep(0.05)  # polling interval only: the deadline decides, never this
    raise AssertionError(f"{what}: not within {timeout:.0f} s")
