"""benchmarks/harness.py: the wrk scripts it writes run in wrk and report what happened, its
/proc readers count what a process spent, and it names the commit measured."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import harness
import pytest


@pytest.mark.parametrize("text", ["plain", "a]]b", "a]]b]=]c", "\nleading newline", "ЛЕДИ Р"])
def test_lua_long_string_never_closes_early(text: str) -> None:
    quoted = harness.lua_string(text)
    level = quoted.index("[", 1) - 1
    close = "]" + "=" * level + "]"
    body = quoted[level + 2 : -len(close)]
    assert body.removeprefix("\n") == text
    assert close not in body


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies: ClassVar[list[bytes]] = []  # what the server received, in order

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        status = 200 if self.path == "/v1/screen" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tiny_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_generated_wrk_script_runs_and_reports(tiny_server: int, tmp_path: Path) -> None:
    """The Lua template is only ever parsed by wrk: run it once against a stub server."""
    if shutil.which(harness.WRK) is None:  # `make test` installs it where it can
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("wrk is not installed, and CI=true needs this test to run", pytrace=False)
        pytest.skip("wrk is not installed")
    cycle = [b'{"name": "x]]"}', b"{}", b'{"imo": 1}']
    good = harness.write_wrk_script(
        [("POST", "/v1/screen", body) for body in cycle], tmp_path / "good.lua"
    )
    for start in (0, 1):
        _Ok.bodies.clear()
        result = harness.run_wrk(tiny_server, good, threads=1, conns=1, seconds=1, start=start)
        assert result.requests > 0
        assert result.errors == 0
        assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
        # wrk calls request() once on its first thread to check the script before it sends,
        # so that thread's first body is the one after `start`; then the cycle, in turn.
        first = (start + 1) % len(cycle)
        assert _Ok.bodies[:4] == [cycle[(first + i) % len(cycle)] for i in range(4)]
    bad = harness.write_wrk_script([("POST", "/nowhere", b"{}")], tmp_path / "bad.lua")
    result = harness.run_wrk(tiny_server, bad, threads=1, conns=1, seconds=1)
    assert result.non2xx == result.requests > 0


def test_parse_wrk_reads_the_done_line() -> None:
    line = harness._WRK_JSON + json.dumps(
        {
            "requests": 3000, "duration_us": 2_000_000, "bytes": 1, "connect": 0, "read": 2,
            "write": 0, "status": 5, "timeout": 1, "p50_us": 850.0, "p90_us": 1200.0,
            "p99_us": 4100.0, "p999_us": 9000.0, "max_us": 12000.0, "mean_us": 900.0,
        }
    )  # fmt: skip
    result = harness.parse_wrk(f"Running 2s test\n{line}\n")
    assert result.rate == 1500
    assert (result.p50_ms, result.p99_ms) == (0.85, 4.1)
    assert result.non2xx == 5
    assert result.socket_errors == {"read": 2, "timeout": 1}
    assert result.errors == 8
    with pytest.raises(RuntimeError):
        harness.parse_wrk("wrk: unable to connect")


def test_a_process_that_spins_shows_its_cpu_time_and_the_machine_counts_it_busy() -> None:
    spin = (
        "import sys, time\n"
        "while time.process_time() < 0.3: pass\n"
        "sys.stdout.write('spun\\n'); sys.stdout.flush(); sys.stdin.read()\n"
    )
    idle_before, all_before = harness.machine_seconds()
    with subprocess.Popen(
        [sys.executable, "-c", spin], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == "spun\n"
        spent = harness.cpu_seconds([child.pid])
        idle_after, all_after = harness.machine_seconds()
        child.stdin.close()
    assert 0.28 <= spent < 5  # clock ticks are 10 ms; the interpreter's start adds a little
    assert (all_after - all_before) - (idle_after - idle_before) >= 0.28
    assert harness.cpu_seconds([child.pid]) == 0.0  # ended: counts nothing


def test_a_process_in_the_kernel_shows_system_time_and_one_that_sleeps_its_switches() -> None:
    # Reading /dev/zero is the kernel's work (copying zeroes), sleeping a voluntary switch.
    busy_kernel = (
        "import os, sys, time\n"
        "zero = os.open('/dev/zero', os.O_RDONLY)\n"
        "while time.process_time() < 0.3: os.read(zero, 1 << 20)\n"
        "for _ in range(50): time.sleep(0.001)\n"
        "sys.stdout.write('done\\n'); sys.stdout.flush(); sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", busy_kernel],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline() == "done\n"
        user, system = harness.cpu_split([child.pid])
        switches = harness.voluntary_switches([child.pid])
        child.stdin.close()
    assert system >= 0.15 and system > user
    assert switches >= 50
    assert harness.voluntary_switches([child.pid]) == 0  # ended: counts nothing


def test_the_commit_measured_is_named_as_git_describe_names_it() -> None:
    commit = harness.git_commit()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=harness.ROOT
    ).stdout.strip()
    # `git describe --always`: the abbreviated hash, after a tag's name and distance if any.
    short = re.fullmatch(r"(?:.+-\d+-g)?([0-9a-f]{7,40})(-dirty)?", commit)
    assert short and head.startswith(short[1])
