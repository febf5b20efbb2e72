"""benchmarks/bench.py's arithmetic: medians skip what was not measured, verdicts say by how much,
targets apply by list, and the table has a row per list."""

from __future__ import annotations

import math
from pathlib import Path

import bench
import pytest


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
