"""benchmarks/commit_cost.py: it records the service's own answers through the store's hot path,
measures the backend that wrote them, and leaves no database behind."""

from __future__ import annotations

import commit_cost
import psycopg
import pytest

from tests.conftest import BUNDLED_LISTS


def test_it_prints_every_variant_and_size_with_the_backends_time_and_drops_its_database(
    pg_admin_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--admin", pg_admin_url, "--lists", str(BUNDLED_LISTS), "--commits", "40"]
    assert commit_cost.main([*args, "--sizes", "1,3"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    measured = {(" ".join(row[:-5]), int(row[-5])): [float(x) for x in row[-4:]] for row in rows}
    assert set(measured) == {(v, n) for v in commit_cost.VARIANTS for n in (1, 3)}
    for backend, _per_record, client, wall in measured.values():
        # The backend did run for every commit (a wrong process would show nothing).
        assert backend > 0 and client > 0 and wall > 0
    with psycopg.connect(pg_admin_url) as admin:
        left = admin.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'vs_commit_%'")
        assert left.fetchone() == (0,)


def test_the_records_are_the_services_own_answers_each_group_with_fresh_ids() -> None:
    records = commit_cost.real_records(BUNDLED_LISTS)
    assert [r.query for r in records] == commit_cost.QUERIES
    assert all(r.response_json.startswith("{") and r.kind == "single" for r in records)
    groups = commit_cost.groups(records, 3, 4)
    ids = [r.screening_id for group in groups for r in group]
    assert [len(g) for g in groups] == [3, 3, 3, 3] and len(set(ids)) == 12
    assert not set(ids) & {r.screening_id for r in records}
    assert groups[1][0].response_json == records[3].response_json  # taken in turn
