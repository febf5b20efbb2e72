"""Bulk screening: a CSV file in, one screened row out per input row, as a stream.

`POST /v1/screen/csv` and `vessel-screen screen` both go through here, so a file gets the same
answer whichever way it is screened, and every row the answer `POST /v1/screen` gives for the
same fields: rows are screened a chunk at a time by `matcher.screen_many` (the same scoring as
`matcher.screen`) and `screening.run`.

`bulk_read` opens the file and gives its rows; `screen_chunk` here is the one place where rows
become answers (row number, cells, Outcome or RowError); `bulk_write` turns those into the
answer's lines. For a large file, `screen_file` runs `screen_chunk` in forked worker processes,
a few chunks at a time, while the serving process reads the file and writes the answer.
`CsvAudit` records each chunk's rows before their lines are sent.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import orjson

from service import placement
from service.bulk_columns import FIELDS, unique_names
from service.bulk_read import CsvSource, RowError
from service.bulk_write import Output, Render, ScreenedRow, format_rows, header_bytes
from service.index import ScreeningIndex
from service.matcher import Query, screen_many
from service.problems import validation_detail
from service.request_rules import string_errors
from service.screening import Context, HistoryMemo, Outcome, Request, run
from service.settings import Settings
from service.store import ScreeningRecord

# Rows screened together: big enough for the bulk matcher to pay off, small enough that the
# output keeps flowing and memory stays flat.
CHUNK_ROWS = 1000


@dataclass(frozen=True, slots=True)
class RowOptions:
    """The screening options a whole file is screened with (what `POST /v1/screen` takes in the
    body beside the vessel): every row gets the same lists, threshold, limit and window."""

    lists: tuple[str, ...] | None = None
    threshold: float | None = None
    limit: int | None = None
    window_days: int | None = None


_NO_OPTIONS = RowOptions()


# --- Screening -----------------------------------------------------------------------------------


def row_request(
    cells: Sequence[str], source: CsvSource, options: RowOptions | None = None
) -> Request | RowError:
    """A screening request from one row, checked as `POST /v1/screen` checks its fields.

    Every cell is a string, so only the string rules of `ScreenRequestSchema` can apply, and the
    row is checked by the same `request_rules`: the length limit, and at least one of name, imo,
    mmsi not blank. An empty cell is absent.
    """
    if len(cells) != len(source.header):
        return RowError(
            f"The row has {len(cells)} cells where the header has {len(source.header)}.",
            {"row": [f"{len(cells)} cells, expected {len(source.header)}"]},
        )
    # Positions in FIELDS order; a field without a column reads as an empty cell.
    values = dict(zip(FIELDS, [cells[n] if n >= 0 else "" for n in source.positions], strict=True))
    errors = string_errors(values)
    if errors:
        return RowError(validation_detail(errors), errors)
    name, imo, mmsi, call_sign, flag, reference = values.values()
    options = options or _NO_OPTIONS
    query = Query(
        name=name or None,
        imo=imo or None,
        mmsi=mmsi or None,
        call_sign=call_sign or None,
        flag=flag or None,
        lists=options.lists,
        threshold=options.threshold,
        limit=options.limit,
    )
    return Request(query, reference or None, options.window_days)


Pending = list[tuple[int, list[str] | RowError]]


def record_chunks(source: CsvSource, chunk_rows: int = CHUNK_ROWS) -> Iterator[Pending]:
    """The file's data rows (or the errors that replaced them), `chunk_rows` at a time."""
    chunk: Pending = []
    for item in source.records():
        chunk.append(item)
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def screen_chunk(
    chunk: Pending,
    source: CsvSource,
    ctx: Context,
    options: RowOptions | None = None,
) -> list[ScreenedRow]:
    """Screen one chunk of rows: the one place where a row becomes its answer.

    Each row comes out as (row number, cells, Outcome or RowError), in input order. With
    `processes` > 1 this runs in a worker process (see `screen_file`).
    """
    items: list[tuple[int, list[str], Request | RowError]] = [
        (number, [], cells)
        if isinstance(cells, RowError)
        else (number, cells, row_request(cells, source, options))
        for number, cells in chunk
    ]
    requests = [item for _, _, item in items if isinstance(item, Request)]
    outcomes = iter(screen_requests(requests, ctx))
    return [
        ScreenedRow(number, cells, next(outcomes) if isinstance(item, Request) else item)
        for number, cells, item in items
    ]


def screen_requests(requests: Sequence[Request], ctx: Context) -> Iterator[Outcome]:
    """Screen many requests as `screening.run` screens one, with the matcher's bulk path. The
    outcomes come one at a time and each match list is let go once its outcome is made, so a
    caller that keeps only what it needs of each holds one outcome, not a batch of them."""
    results = deque(screen_many([r.query for r in requests], ctx.index, ctx.policy))
    memo: HistoryMemo = {}
    for request in requests:
        yield run(request, ctx, result=results.popleft(), memo=memo)


# Told each chunk's row count and its rows by decision (see `screen_file`).
Progress = Callable[[int, dict[str, int]], None]
# What a chunk process sends back: the answer's bytes, the audit records, the rows by decision.
_Answered = tuple[bytes, list["ScreeningRecord"], dict[str, int]]


# --- Screening a file ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    source: CsvSource
    ctx: Context
    output: Output
    audit: CsvAudit | None = None
    options: RowOptions | None = None


# The files being screened with worker processes, by job number. A worker is forked from the
# process that put its job here, so it finds its job (and the index, shared copy-on-write)
# without anything being pickled but the rows and the bytes that come back.
_JOBS: dict[int, _Job] = {}
_job_numbers = itertools.count(1)


def bulk_processes(settings: Settings) -> int:
    """Worker processes for a large file: BULK_PROCESSES, or one per core when it is 0."""
    return settings.bulk_processes or os.cpu_count() or 1


@dataclass
class CsvAudit:
    """Recording a CSV upload as one job: each chunk's rows are stored before their lines are
    sent (`record` raises StoreError when they cannot be, and the answer stops there)."""

    job_id: str
    caller: str | None
    record: Callable[[list[ScreeningRecord]], None]
    # The answer `POST /v1/screen` would give for a row (see `bulk_write.Render`).
    render: Render
    rows: int = 0

    def records(
        self, source: CsvSource, rows: Iterable[ScreenedRow], index: ScreeningIndex
    ) -> list[ScreeningRecord]:
        """The audit records of screened rows: the row's cells by column, and the exact answer
        `POST /v1/screen` would give for it."""
        out = []
        for screened in rows:
            outcome = screened.result
            if isinstance(outcome, RowError):
                continue
            out.append(
                ScreeningRecord(
                    screening_id=str(outcome.screening_id),
                    screened_at=outcome.screened_at,
                    caller=self.caller,
                    kind="csv",
                    query=dict(zip(unique_names(source.header), screened.cells, strict=False)),
                    list_versions={i.id: i.version for i in outcome.screening.lists},
                    decision=outcome.decision,
                    response_json=orjson.dumps(self.render(outcome, index)).decode(),
                    job_id=self.job_id,
                    row=screened.row,
                )
            )
        return out

    def keep(self, records: list[ScreeningRecord]) -> None:
        if records:
            self.record(records)
            self.rows += len(records)


def screen_file(
    source: CsvSource,
    ctx: Context,
    output: Output,
    processes: int = 1,
    progress: Progress | None = None,
    audit: CsvAudit | None = None,
    options: RowOptions | None = None,
) -> Iterator[bytes]:
    """The whole answer for a file: the header, then each chunk's lines once it is screened.

    With `processes` > 1 and more than two chunks of rows, chunks are screened by that many
    worker processes (forked, so they share the loaded index) while this one reads the file
    and writes the answer; a few chunks at most are in flight, so memory stays flat. Rows come
    out in input order either way, with the same bytes. `progress` is told each chunk's size and
    how many of its rows were answered with each decision (`error` for a row not screened).
    """
    yield header_bytes(source, output)
    chunks = record_chunks(source)
    if processes > 1 and source.line_breaks > 2 * CHUNK_ROWS:
        job = _Job(source, ctx, output, audit, options)
        yield from _in_processes(job, chunks, processes, progress)
        return
    for chunk in chunks:
        rows = screen_chunk(chunk, source, ctx, options)
        if audit is not None:
            audit.keep(audit.records(source, rows, ctx.index))
        yield format_rows(source, rows, ctx.index, output)
        if progress is not None:
            progress(len(chunk), tally(rows))


def tally(rows: Iterable[ScreenedRow]) -> dict[str, int]:
    """Rows by decision; `error` counts rows answered with their error instead."""
    counts: dict[str, int] = {}
    for row in rows:
        key = "error" if isinstance(row.result, RowError) else row.result.decision
        counts[key] = counts.get(key, 0) + 1
    return counts


def _start_process() -> None:
    """A chunk process, forked from a gunicorn worker that may keep to one core
    (PIN_WORKERS), gets every core back: the processes are there to use them all. gc.freeze:
    the collector then never walks (nor, by touching, copies) the inherited index, only what
    the process allocates itself."""
    placement.unpin()
    gc.freeze()


def _in_processes(
    job: _Job, chunks: Iterator[Pending], processes: int, progress: Progress | None
) -> Iterator[bytes]:
    number = next(_job_numbers)
    _JOBS[number] = job
    pool = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("fork"), initializer=_start_process
    )
    try:
        in_flight: deque[tuple[int, Future[_Answered]]] = deque()
        for chunk in chunks:
            in_flight.append((len(chunk), pool.submit(_screen_in_worker, number, chunk)))
            if len(in_flight) >= 2 * processes:
                yield _done(in_flight.popleft(), progress, job.audit)
        while in_flight:
            yield _done(in_flight.popleft(), progress, job.audit)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        del _JOBS[number]


def _done(
    item: tuple[int, Future[_Answered]],
    progress: Progress | None,
    audit: CsvAudit | None,
) -> bytes:
    rows, future = item
    data, records, counts = future.result()
    if audit is not None:
        audit.keep(records)  # stored here, in the serving process, before the lines go out
    if progress is not None:
        progress(rows, counts)
    return data


def _screen_in_worker(number: int, chunk: Pending) -> _Answered:
    job = _JOBS[number]
    rows = screen_chunk(chunk, job.source, job.ctx, job.options)
    records = [] if job.audit is None else job.audit.records(job.source, rows, job.ctx.index)
    return format_rows(job.source, rows, job.ctx.index, job.output), records, tally(rows)
