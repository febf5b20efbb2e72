"""The audit trail: every screening comes back exactly as answered, batches are all or nothing,
and a CSV job's rows are stored in bulk."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta, timezone

import psycopg
import pytest

from service.store import ScreeningRecord, Store, StoreError
from service.store.sql import ROWS_PER_STATEMENT

from .helpers import T0, Backend, later, screening


def test_a_screening_comes_back_exactly_as_it_was_answered(store: Store) -> None:
    record = screening()
    store.record_screenings([record])
    back = store.get_screening(record.screening_id)
    assert back == record
    assert back is not None
    # The answer's text itself, not an equivalent: key order, non-ASCII and escapes as sent.
    assert back.response_json == record.response_json
    assert list(back.response) == ["screening_id", "screened_at", "decision", "matches", "warnings"]
    assert back.response["matches"][0]["vessel"]["name"] == "ЛЕДИ Р \x00"
    assert back.screened_at == T0 and back.screened_at.utcoffset() is not None
    assert store.get_screening("no-such-id") is None


def test_a_batch_that_fails_part_way_stores_nothing(store: Store) -> None:
    first = screening(1)
    batch = [first, screening(2), screening(3, screening_id=first.screening_id)]
    with pytest.raises(StoreError):
        store.record_screenings(batch)
    assert all(store.get_screening(r.screening_id) is None for r in batch)


# Each way a group is written: one multi-row statement (up to 32), a row at a time in a
# transaction, and PostgreSQL's COPY (from 50).
@pytest.mark.parametrize("size", [1, 2, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT + 1, 60])
def test_a_group_holding_an_id_already_stored_stores_none_of_it(store: Store, size: int) -> None:
    kept = screening(0)
    store.record_screenings([kept])
    group = [screening(i) for i in range(1, size)]
    group.insert(size // 2, screening(size, screening_id=kept.screening_id))
    with pytest.raises(StoreError):
        store.record_screenings(group)
    assert list(store.screenings_since(T0)) == [kept]
    # The store is still usable after the refusal, for every size.
    fresh = [screening(i, screening_id=f"fresh-{i}") for i in range(size)]
    store.record_screenings(fresh)
    assert len(list(store.screenings_since(T0))) == size + 1


def test_a_large_batch_that_fails_on_its_last_row_stores_nothing(store: Store) -> None:
    # Large enough for PostgreSQL's COPY path; the duplicate comes last.
    batch = [screening(i) for i in range(200)]
    batch.append(screening(200, screening_id=batch[0].screening_id))
    with pytest.raises(StoreError):
        store.record_screenings(batch)
    assert list(store.screenings_since(T0)) == []


def test_a_csv_job_of_5000_rows_is_stored_in_batches(store: Store) -> None:
    store.start_job("job-1", "key-1", "fleet.csv", T0)
    records = [
        screening(i, at=later(i / 1000), kind="csv", job_id="job-1", row=i + 1) for i in range(5000)
    ]
    for start in range(0, len(records), 1000):
        store.record_screenings(records[start : start + 1000])
    store.finish_job("job-1", 5000, later(60))

    job = store.get_job("job-1")
    assert job is not None
    assert (job.caller, job.filename, job.rows, job.error) == ("key-1", "fleet.csv", 5000, None)
    assert (job.started_at, job.finished_at) == (T0, later(60))
    rows = store.job_screenings("job-1")
    assert [r.row for r in rows] == list(range(1, 5001))
    assert rows[0] == records[0] and rows[-1] == records[-1] and rows[2500] == records[2500]
    assert store.job_screenings("no-such-job") == []


def test_csv_rows_need_a_started_job(store: Store) -> None:
    with pytest.raises(ValueError, match="job_id and row"):
        store.record_screenings([screening(kind="csv")])
    with pytest.raises(StoreError):
        store.record_screenings([screening(kind="csv", job_id="never-started", row=1)])
    with pytest.raises(ValueError, match="unknown kind"):
        store.record_screenings([screening(kind="bulk")])


def test_a_few_rows_with_nulls_numbers_and_other_offsets_come_back_exactly(store: Store) -> None:
    # A small group takes the recording connection's path (on PostgreSQL, text parameters
    # through libpq): NULL caller, a job's row number, a time given in another offset.
    store.start_job("job-3", None, None, T0)
    eastern = timezone(timedelta(hours=-5))
    records = [
        replace(screening(1, kind="csv", job_id="job-3", row=7), caller=None),
        replace(screening(2), screened_at=T0.astimezone(eastern) + timedelta(microseconds=1)),
    ]
    store.record_screenings(records)
    for record in records:
        back = store.get_screening(record.screening_id)
        assert back == record
        assert back is not None and back.screened_at.utcoffset() == timedelta(0)


def test_jobs_record_how_they_ended(store: Store) -> None:
    store.start_job("job-2", None, None, T0)
    pending = store.get_job("job-2")
    assert pending is not None and pending.finished_at is None and pending.rows is None
    store.finish_job("job-2", 3, later(5), error="row 4: not valid CSV")
    done = store.get_job("job-2")
    assert done is not None and (done.rows, done.error) == (3, "row 4: not valid CSV")
    with pytest.raises(LookupError):
        store.finish_job("no-such-job", 1, later(6))
    with pytest.raises(StoreError):
        store.start_job("job-2", None, None, T0)  # a job id is used once
    assert store.get_job("no-such-job") is None


def test_screenings_since_pages_through_a_time_range_in_order(store: Store) -> None:
    # Several screenings share a time, so pages must break ties by id without loss or repeat.
    records = [screening(i, at=later(i // 3)) for i in range(10)]
    store.record_screenings(records)
    expected = sorted(records, key=lambda r: (r.screened_at, r.screening_id))

    assert list(store.screenings_since(T0, batch=2)) == expected
    assert list(store.screenings_since(later(1), batch=4)) == expected[3:]
    assert list(store.screenings_since(later(1), until=later(3), batch=1)) == expected[3:9]
    assert list(store.screenings_since(later(100))) == []


def test_the_query_and_list_versions_are_kept_as_json(store: Store) -> None:
    record = ScreeningRecord(
        screening_id="s-json",
        screened_at=T0,
        caller=None,
        kind="batch",
        query={"imo": "IMO 9161003", "nested": {"b": [1, 2.5, None, True]}},
        list_versions={},
        decision="clear",
        response_json=json.dumps({"decision": "clear", "matches": []}, indent=2),
    )
    store.record_screenings([record])
    assert store.get_screening("s-json") == record
    # An answer that is not JSON is refused by the database itself, on both backends.
    with pytest.raises(StoreError):
        store.record_screenings([replace(screening(), response_json="{not json")])


def _server_has_lz4(backend: Backend) -> bool:
    with backend.admin() as conn:
        if conn.info.server_version < 140000:
            return False
        try:
            conn.execute("CREATE TEMPORARY TABLE lz4_probe (t text COMPRESSION lz4)")
        except psycopg.errors.FeatureNotSupported:
            return False
    return True


def test_postgresql_compresses_a_large_answer_with_lz4_and_returns_it_exactly(
    pg_backend: Backend,
) -> None:
    store = pg_backend.open()
    store.migrate()
    # A long answer that compresses well, as one with many matches and port calls does.
    calls = [{"locode": "KPNJN", "arrived_at": f"2024-01-{d:02d}T00:00:00Z"} for d in range(1, 29)]
    answer = json.dumps({"matches": [{"port_calls": calls}] * 8})
    record = replace(screening(), response_json=answer)
    assert len(record.response_json) > 8000
    store.record_screenings([record])  # the recording connection's path (one row)
    assert store.get_screening(record.screening_id) == record
    with pg_backend.admin() as conn:
        method = conn.execute(
            "SELECT pg_column_compression(response) FROM screenings WHERE screening_id = %s",
            (record.screening_id,),
        ).fetchone()
    # On a server without lz4 (or before PostgreSQL 14) the migration keeps pglz.
    assert method == (("lz4",) if _server_has_lz4(pg_backend) else ("pglz",))
