"""The matcher's quality on the labelled development set stays at its targets (issue 2)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import REPO_ROOT, SHARED, shared_path


def test_quality_targets_on_the_development_set() -> None:
    queries = SHARED / "eval" / "dev-queries.jsonl"
    if not queries.exists():
        shared_path("..", "eval", "dev-queries.jsonl")  # skips, or fails in CI
    spec = importlib.util.spec_from_file_location(
        "eval_quality", REPO_ROOT / "benchmarks" / "eval_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.evaluate(queries, shared_path("ofac"))
    assert figures["recall"] >= 0.99
    assert figures["strict"] == 1.0
    assert figures["false_match"] <= 0.005
    assert figures["review_load"] <= 0.03


def test_the_measuring_script_is_the_one_make_eval_runs() -> None:
    assert "eval_quality.py" in (Path(REPO_ROOT) / "Makefile").read_text()
