"""The benchmark's generated data is what the service reads, and bench.py's arithmetic holds.

benchmarks/generate.py writes lists in OFAC's layout; if they stopped loading, or loaded as fewer
vessels, every figure of `make bench` would be about something else. These tests load a small
generated list with the service's own loader and port-call reader.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import bench
import generate
import harness
import pytest

from service.identifiers import is_valid_imo, mid_country, parse_imo
from service.loaders.registry import load_lists
from service.names import normalize_name
from service.portcalls.call_files import load_port_calls_dir
from service.portcalls.ports import load_bundled_ports
from service.portcalls.risk import load_risk_policy

VESSELS = 200


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> generate.GeneratedList:
    return generate.write_list(tmp_path_factory.mktemp("generated"), VESSELS, seed=3)


def test_list_loads_as_exactly_n_vessels_with_valid_identifiers(
    made: generate.GeneratedList,
) -> None:
    (loaded,) = load_lists(made.lists_dir)
    assert loaded.info.id == f"generated-{VESSELS}"
    assert "GENERATED" in loaded.info.title  # never mistaken for a sanctions list
    vessels = loaded.vessels
    assert len(vessels) == VESSELS == loaded.info.entries
    assert len({v.entity_id for v in vessels}) == VESSELS
    imos = [v.imo for v in vessels if v.imo]
    assert len(imos) >= 0.9 * VESSELS
    assert len(set(imos)) == len(imos)
    assert all(is_valid_imo(imo) for imo in imos)
    # The MMSI's MID is one allocated to the ship's flag, and OFAC's flag names are understood.
    with_mmsi = [v for v in vessels if v.mmsi]
    assert with_mmsi
    assert all(mid_country(v.mmsi) == v.flags[0] for v in with_mmsi)
    assert all(not v.source_record["unrecognized_flags"] for v in vessels)
    assert all(v.flags for v in vessels)
    # Owners are entity rows of their own, linked from the vessels.
    assert loaded.entities
    assert any(v.owner for v in vessels)


def test_aliases_former_names_and_long_remarks_are_read(made: generate.GeneratedList) -> None:
    (loaded,) = load_lists(made.lists_dir)
    kinds = Counter(n.kind for v in loaded.vessels for n in v.names)
    assert kinds["primary"] == VESSELS
    assert kinds["aka"] >= 5
    assert kinds["fka"] >= 20
    # Remarks over OFAC's 1,000-character cell go on in sdn_comments.csv; the loader joins them,
    # so the last former name of such a ship is whole.
    long = [v for v in loaded.vessels if v.source_record["remarks_extended"]]
    assert long
    for vessel in long:
        assert len(vessel.remarks or "") > generate.REMARKS_CELL
        assert vessel.remarks.endswith(".") if vessel.remarks else False
        assert vessel.names[-1].kind in ("fka", "aka")
        assert "'" not in vessel.names[-1].name
    assert any(v.source_record["other_remarks"] for v in loaded.vessels)
    raw = (made.lists_dir / generate.LIST_FOLDER / "sdn.csv").read_bytes()
    assert raw.endswith(b"\r\n\x1a")
    assert b"-0- " in raw


def test_same_seed_same_bytes(made: generate.GeneratedList, tmp_path: Path) -> None:
    again = generate.write_list(tmp_path, VESSELS, seed=3)
    for name in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"):
        first = (made.lists_dir / generate.LIST_FOLDER / name).read_bytes()
        assert (again.lists_dir / generate.LIST_FOLDER / name).read_bytes() == first
    calls = made.port_calls_dir / generate.CALLS_FILE
    assert (again.port_calls_dir / generate.CALLS_FILE).read_bytes() == calls.read_bytes()


def test_port_calls_load_with_the_service_reader(made: generate.GeneratedList) -> None:
    ports = load_bundled_ports()
    index, files = load_port_calls_dir(made.port_calls_dir, ports)
    (summary,) = files
    assert summary.rejected == ()
    assert summary.accepted == made.calls == len(index)
    (loaded,) = load_lists(made.lists_dir)
    identified = [v for v in loaded.vessels if v.imo or v.mmsi]
    assert all(index.for_vessel(v.imo, v.mmsi) for v in identified)
    policy = load_risk_policy(ports=ports)
    risky = [
        call
        for v in identified
        for call in index.for_vessel(v.imo, v.mmsi)
        if policy.rules_for(call)
    ]
    assert 0 < len(risky) < len(index) / 3


def test_query_mix(made: generate.GeneratedList) -> None:
    listed = generate.listed_vessels(made.lists_dir)
    assert len(listed) == VESSELS
    queries = generate.make_queries(listed, 1000, seed=5)
    assert queries == generate.make_queries(listed, 1000, seed=5)
    kinds = Counter(kind for kind, _ in queries)
    total = sum(w for _, w in generate.QUERY_KINDS)
    for kind, weight in generate.QUERY_KINDS:
        assert kinds[kind] == pytest.approx(1000 * weight / total, abs=2), kind
    listed_keys = {normalize_name(n).key for v in listed for n in v.names}
    listed_imos = {v.imo for v in listed}
    for kind, body in queries:
        if kind == "exact":
            assert normalize_name(body["name"]).key in listed_keys
        elif kind == "unlisted":
            assert normalize_name(body["name"]).key not in listed_keys
        elif kind == "imo":
            assert set(body) == {"imo"}
            imo = parse_imo(body["imo"])
            assert imo is not None and imo.valid
        elif kind == "mmsi":
            assert set(body) == {"mmsi"}
        elif kind == "name+imo+flag":
            assert {"name", "flag"} <= set(body)
            assert body.get("imo") in listed_imos or "mmsi" in body
    assert any(any(ord(c) > 0x400 for c in b["name"]) for k, b in queries if k == "script")


def test_query_files(made: generate.GeneratedList, tmp_path: Path) -> None:
    listed = generate.listed_vessels(made.lists_dir)
    files = generate.write_queries(tmp_path, listed, seed=1, screens=50, csv_rows=120, batches=2)
    lines = files.screen_jsonl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 50
    script = files.screen_lua.read_text(encoding="utf-8")
    assert script.count('"/v1/screen"') == 0  # paths are Lua long strings, not quoted
    assert script.count("[[/v1/screen]]") == 50
    assert files.batch_lua.read_text(encoding="utf-8").count("[[/v1/screen/batch]]") == 2
    rows = files.rows_csv.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 121
    assert rows[0].split(",")[0] == "Vessel Name"


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


def test_median_skips_what_was_not_measured() -> None:
    assert bench.median([3.0, None, 1.0, math.nan, 2.0]) == 2.0
    assert bench.median([1.0, 4.0]) == 2.5
    assert math.isnan(bench.median([None, math.nan]))
    runs = [{"c1_p50_ms": 1.0}, {"c1_p50_ms": 3.0}, {"c1_p50_ms": 2.0}]
    assert bench.medians(runs)["c1_p50_ms"] == 2.0


def test_verdicts_say_by_how_much() -> None:
    p50 = bench.Target("c1_p50_ms", 1.0, True, "real", "c1 p50", "ms")
    rate = bench.Target("c16_rps", 3000, False, "real", "c16 screens/s", "/s")
    assert bench.verdict(1.0, p50) == "met"
    assert bench.verdict(1.5, p50) == "MISSED by 0.500 ms (50%)"
    assert bench.verdict(3000, rate) == "met"
    assert bench.verdict(2400, rate) == "MISSED by 600/s (20%)"
    assert bench.verdict(math.nan, rate) == "not measured"
    (line,) = [t["line"] for t in bench.evaluate("real", {"c1_p50_ms": 1.25}) if "p50" in t["line"]]
    assert line == "c1 p50 1.25 ms (target ≤ 1.00 ms): MISSED by 0.250 ms (25%)"


def test_targets_apply_by_list() -> None:
    figures = {t.figure: t.limit for t in bench.TARGETS}
    real = {t["figure"] for t in bench.evaluate("real", figures)}
    large = {t["figure"] for t in bench.evaluate("100000", figures)}
    small = {t["figure"] for t in bench.evaluate("10000", figures)}
    assert small == {"csv_rows_per_s", "batch_c1_qps"}
    assert {"c1_p99_ms", "c16_rps", "screen_vs_healthz", "ready_s", "ready_warm_s"} <= real
    assert {"c1_p50_ms", "pss_mb", "rss_mb", "ready_s"} <= large
    assert "c16_rps" not in large
    # A figure at its limit meets it.
    assert all(bench.verdict(t.limit, t) == "met" for t in bench.TARGETS)


def test_sizes_and_table() -> None:
    assert bench.parse_sizes("real, 10k,50000") == ["real", "10000", "50000"]
    with pytest.raises(ValueError):
        bench.parse_sizes("0")
    with pytest.raises(ValueError):
        bench.parse_sizes(",")
    figures = dict.fromkeys(bench.NUMERIC, 2.0) | {"c16_rps": 3456.7, "rss_mb": math.nan}
    rows = bench.table(
        [
            {"label": "real", "vessels": 1601, "median": figures, "error_count": 0},
            {"label": "100000", "vessels": 100000, "failed": "run 1: not ready"},
        ],
        workers=2,
    ).splitlines()
    assert len(rows) == 4
    assert rows[0].count("|") == rows[1].count("|") == rows[2].count("|") == rows[3].count("|")
    assert "| real | 1,601 | 2 | 2.00 / 2.00 |" in rows[2]
    assert "3,457" in rows[2] and "n/a / 2" in rows[2]
    assert rows[3].startswith("| 100000 | 100,000 | 2 | - |")
    assert bench._plain({"x": [math.nan, 1.0], "p": Path("/a")}) == {"x": [None, 1.0], "p": "/a"}
