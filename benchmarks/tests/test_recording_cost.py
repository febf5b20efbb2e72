"""benchmarks/recording_cost.py: its control answers and counts screenings but records none,
its stand-in store records nothing and waits as long as told; with --database-core the local
PostgreSQL server is found, moved to a core of its own for the run, and every process of it is
put back afterwards; core time is split per screening; --commit-cost records the service's own
answers through the store's hot path, measures the backend that wrote them, and leaves no
database behind. The /proc readers it uses are tested in test_harness.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import recording_cost
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
    control = recording_cost.served_config(tmp_path, "none")
    server = launch(BUNDLED_LISTS, 1, env, config=str(control))
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


def test_the_stand_in_store_answers_and_records_nothing(tmp_path: Path) -> None:
    env = isolated_env(tmp_path / "data") | {"DRAIN_SECONDS": "0", "STAND_IN_COMMIT_MS": "0"}
    stand_in = recording_cost.served_config(tmp_path, "stand-in")
    server = launch(BUNDLED_LISTS, 1, env, config=str(stand_in))
    try:
        status, body = call(server.port, "POST", "/v1/screen", {"name": "LADY R"})
        assert status == 200
        status, _ = call(server.port, "GET", f"/v1/screenings/{json.loads(body)['screening_id']}")
        assert status == 404
    finally:
        stop_server(server)


def test_each_worker_gets_the_change_its_mode_names_after_the_services_own_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[Any] = []

    def worker() -> Any:
        recorder = SimpleNamespace(record=None, store=None)
        state = SimpleNamespace(recorder=recorder)
        return SimpleNamespace(wsgi=SimpleNamespace(extensions={"vessel_screen": state}))

    control = worker()
    recording_cost.after_worker_init(started.append, "none")(control)
    assert started == [control]
    assert control.wsgi.extensions["vessel_screen"].recorder.record is (
        recording_cost.metrics.count_screenings
    )
    monkeypatch.setenv("STAND_IN_COMMIT_MS", "1.5")
    stand_in = worker()
    recording_cost.after_worker_init(started.append, "stand-in")(stand_in)
    store = stand_in.wsgi.extensions["vessel_screen"].recorder.store
    assert isinstance(store, recording_cost.StandInStore) and store.commit_seconds == 0.0015
    with pytest.raises(ValueError):
        recording_cost.after_worker_init(started.append, "sqlite")


def test_the_server_is_its_postmaster_and_every_process_it_forked(pg_admin_url: str) -> None:
    _local(pg_admin_url)
    with psycopg.connect(pg_admin_url) as held:
        pids = recording_cost.database_server_pids(pg_admin_url)
        assert Path(f"/proc/{pids[0]}/comm").read_text().strip() in ("postgres", "postmaster")
        assert _backend(held) in pids[1:]
    assert os.getpid() not in pids


def test_the_server_gets_the_last_core_and_every_process_is_put_back(pg_admin_url: str) -> None:
    _local(pg_admin_url)
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        pytest.skip("needs 2 cores")
    before = {
        pid: os.sched_getaffinity(pid) for pid in recording_cost.database_server_pids(pg_admin_url)
    }
    postmaster = next(iter(before))
    with psycopg.connect(pg_admin_url) as held:
        try:
            moved = recording_cost.move_database_server(pg_admin_url)
        except PermissionError:
            pytest.skip("this user may not move the server's processes")
        try:
            assert os.sched_getaffinity(postmaster) == {max(cores)}
            assert os.sched_getaffinity(_backend(held)) == {max(cores)}
            assert os.sched_getaffinity(0) == cores - {max(cores)}
            with psycopg.connect(pg_admin_url) as during:  # forked while moved
                born_during = _backend(during)
                assert os.sched_getaffinity(born_during) == {max(cores)}
                recording_cost.put_back(moved)
                moved = {}
                assert os.sched_getaffinity(born_during) == before[postmaster]
        finally:
            recording_cost.put_back(moved)
        assert os.sched_getaffinity(_backend(held)) == before[postmaster]
    assert os.sched_getaffinity(0) == cores
    assert os.sched_getaffinity(postmaster) == before[postmaster]


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
    split = recording_cost.per_screening(before, after, 1000)
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
    control = recording_cost.peak_rates(
        {16: [4700.0, 4000.0], 32: [4600.0, 4100.0], 64: [4400.0, 3900.0]}
    )
    recorded = recording_cost.peak_rates(
        {16: [3000.0, 2500.0], 32: [3300.0, 3200.0], 64: [3500.0, 3100.0]}
    )
    assert control == [4700.0, 4100.0]
    assert recorded == [3500.0, 3200.0]
    assert recording_cost.paired_ratios(recorded, control) == pytest.approx(
        [3500 / 4700, 3200 / 4100]
    )


def test_rounds_missing_at_one_concurrency_are_refused_rather_than_paired_wrongly() -> None:
    with pytest.raises(ValueError):
        recording_cost.peak_rates({16: [4700.0, 4000.0], 64: [4400.0]})
    with pytest.raises(ValueError):
        recording_cost.paired_ratios([1.0, 2.0], [1.0])


def test_it_prints_every_variant_and_size_with_the_backends_time_and_drops_its_database(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--admin", pg_admin_url, "--lists", str(BUNDLED_LISTS), "--commits", "40"]
    assert recording_cost.main([*args, "--commit-cost", "--sizes", "1,3"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    measured = {(" ".join(row[:-5]), int(row[-5])): [float(x) for x in row[-4:]] for row in rows}
    assert set(measured) == {(v, n) for v in recording_cost.VARIANTS for n in (1, 3)}
    for backend, _per_record, client, wall in measured.values():
        # The backend did run for every commit (a wrong process would show nothing).
        assert backend > 0 and client > 0 and wall > 0
    with psycopg.connect(pg_admin_url) as admin:
        left = admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'vs_commit_%'")
        assert left.fetchone() == (0,)


def test_the_records_are_the_services_own_answers_each_group_with_fresh_ids() -> None:
    records = recording_cost.real_records(BUNDLED_LISTS)
    assert [r.query for r in records] == recording_cost.QUERIES
    assert all(r.response_json.startswith("{") and r.kind == "single" for r in records)
    groups = recording_cost.groups(records, 3, 4)
    ids = [r.screening_id for group in groups for r in group]
    assert [len(g) for g in groups] == [3, 3, 3, 3] and len(set(ids)) == 12
    assert not set(ids) & {r.screening_id for r in records}
    assert groups[1][0].response_json == records[3].response_json  # taken in turn
