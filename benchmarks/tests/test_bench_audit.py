"""benchmarks/audit_overhead.py: its control answers and counts screenings but records none;
with --database-core the local PostgreSQL server is found, moved to a core of its own for the
run, and every process of it is put back afterwards; core time is read from /proc and split per
screening."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import audit_overhead
import harness
import psycopg
import pytest
from harness import launch, stop_server

from tests.conftest import BUNDLED_LISTS
from tests.served import call, isolated_env


def _local(url: str) -> None:
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        pytest.skip("the PostgreSQL server is not on this machine")


def _backend(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_the_control_answers_and_counts_its_screenings_but_records_none(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "data") | {"DRAIN_SECONDS": "0"}
    server = launch(BUNDLED_LISTS, 1, env, config=audit_overhead.CONTROL)
    try:
        status, body = call(server.port, "POST", "/v1/screen", {"name": "LADY R"})
        assert status == 200
        screening_id = json.loads(body)["screening_id"]
        status, _ = call(server.port, "GET", f"/v1/screenings/{screening_id}")
        assert status == 404
        status, text = call(server.port, "GET", "/metrics")
        assert status == 200
        counted = [
            line
            for line in text.decode().splitlines()
            if line.startswith("vessel_screen_screenings_total{") and 'kind="single"' in line
        ]
        assert sum(float(line.rsplit(" ", 1)[1]) for line in counted) == 1
    finally:
        stop_server(server)


def test_the_server_is_its_postmaster_and_every_process_it_forked(pg_admin_url: str) -> None:
    _local(pg_admin_url)
    with psycopg.connect(pg_admin_url) as held:
        pids = audit_overhead.database_server_pids(pg_admin_url)
        assert Path(f"/proc/{pids[0]}/comm").read_text().strip() in ("postgres", "postmaster")
        assert _backend(held) in pids[1:]
    assert os.getpid() not in pids


def test_the_server_gets_the_last_core_and_every_process_is_put_back(pg_admin_url: str) -> None:
    _local(pg_admin_url)
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        pytest.skip("needs 2 cores")
    before = {
        pid: os.sched_getaffinity(pid) for pid in audit_overhead.database_server_pids(pg_admin_url)
    }
    postmaster = next(iter(before))
    with psycopg.connect(pg_admin_url) as held:
        try:
            moved = audit_overhead.move_database_server(pg_admin_url)
        except PermissionError:
            pytest.skip("this user may not move the server's processes")
        try:
            assert os.sched_getaffinity(postmaster) == {max(cores)}
            assert os.sched_getaffinity(_backend(held)) == {max(cores)}
            assert os.sched_getaffinity(0) == cores - {max(cores)}
            with psycopg.connect(pg_admin_url) as during:  # forked while moved
                born_during = _backend(during)
                assert os.sched_getaffinity(born_during) == {max(cores)}
                audit_overhead.put_back(moved)
                moved = {}
                assert os.sched_getaffinity(born_during) == before[postmaster]
        finally:
            audit_overhead.put_back(moved)
        assert os.sched_getaffinity(_backend(held)) == before[postmaster]
    assert os.sched_getaffinity(0) == cores
    assert os.sched_getaffinity(postmaster) == before[postmaster]


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


def test_core_time_is_split_per_screening_and_the_rest_is_what_nobody_named() -> None:
    before = {
        "service": 10.0,
        "service system": 3.0,
        "database": 2.0,
        "idle": 100.0,
        "machine": 500.0,
        "switches": 40_000.0,
    }
    after = {
        "service": 10.6,
        "service system": 3.15,
        "database": 2.1,
        "idle": 100.2,
        "machine": 501.0,
        "switches": 45_000.0,
    }
    split = audit_overhead.per_screening(before, after, 1000)
    assert split == pytest.approx(
        {
            "service": 600.0,
            "service system": 150.0,  # part of the service's 600, not added to the rest
            "database": 100.0,
            "idle": 200.0,
            "rest": 100.0,
            "busy": 800.0,
            "switches": 5.0,
        }
    )


def test_a_modes_throughput_is_its_best_concurrency_of_each_round_and_pairs_with_that_round() -> (
    None
):
    # Round by round: the control peaks at c16, the recorded mode at c64 in the first round
    # and at c32 in the second; each is compared at its own best, never at a level it lost at.
    control = audit_overhead.peak_rates(
        {16: [4700.0, 4000.0], 32: [4600.0, 4100.0], 64: [4400.0, 3900.0]}
    )
    recorded = audit_overhead.peak_rates(
        {16: [3000.0, 2500.0], 32: [3300.0, 3200.0], 64: [3500.0, 3100.0]}
    )
    assert control == [4700.0, 4100.0]
    assert recorded == [3500.0, 3200.0]
    assert audit_overhead.paired_ratios(recorded, control) == pytest.approx(
        [3500 / 4700, 3200 / 4100]
    )


def test_rounds_missing_at_one_concurrency_are_refused_rather_than_paired_wrongly() -> None:
    with pytest.raises(ValueError):
        audit_overhead.peak_rates({16: [4700.0, 4000.0], 64: [4400.0]})
    with pytest.raises(ValueError):
        audit_overhead.paired_ratios([1.0, 2.0], [1.0])
