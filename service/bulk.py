"""Bulk screening: a CSV file in, one screened row out per input row, as a stream.

`POST /v1/screen/csv` and `vessel-screen screen` both go through here, so a file gets the same
answer whichever way it is screened, and every row the answer `POST /v1/screen` gives for the
same fields: rows are screened a chunk at a time by `matcher.screen_many` (the same scoring as
`matcher.screen`) and `screening.run`; an NDJSON line carries `web.render.screening`'s answer,
a CSV line the same outcome's decision and best match.

Reading. The file is read from a seekable binary stream (an upload spooled to a temporary file,
or a file on disk), one line at a time, never whole. Its first block decides the rest before any
output: not text (NUL bytes, control characters, UTF-16) or empty, no header row or no column
that names a vessel are refused as a `CsvProblem`, which the API answers as a 4xx problem and
the command line prints. UTF-8 with or without BOM is read as such and anything else as
Windows-1252, line by line (a UTF-8 file with one stray Windows-1252 line still reads). The
delimiter (comma, semicolon or tab) is the one under which the header names the most known
columns. A row that cannot be screened is answered in its place with its error.

Screening. `screen_chunk` is the one place where rows become answers (row number, cells,
Outcome or RowError). For a large file, `screen_file` runs it in forked worker processes, a
few chunks at a time, while the serving process reads the file and writes the answer.

Writing. CSV (every cell that a spreadsheet would run as a formula escaped) or NDJSON (the full
screening answer per row), chunk by chunk as rows are screened, in input order.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
import multiprocessing
import os
import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

import orjson

from service import placement
from service.index import ScreeningIndex
from service.matcher import Query, screen_many
from service.problems import CSV_TYPE, VALIDATION_TYPE, problem_body, validation_detail
from service.screening import Context, HistoryMemo, Outcome, Request, run
from service.settings import Settings
from service.store import ScreeningRecord
from service.web import render
from service.web.schemas import MAX_STRING, NOT_BLANK

FIELDS = ("name", "imo", "mmsi", "call_sign", "flag", "reference")
IDENTITY_FIELDS = ("name", "imo", "mmsi")

# Header names as people write them, reduced by `_header_key` (lower case, non-alphanumerics
# as single underscores): "Vessel Name", "IMO No.", "Flag State", "Call-Sign", "Ref".
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "vessel",
        "vessel_name",
        "vesselname",
        "name_of_vessel",
        "ship",
        "ship_name",
        "shipname",
        "name_of_ship",
        "boat_name",
    ),
    "imo": (
        "imo",
        "imo_number",
        "imo_no",
        "imo_nr",
        "imo_num",
        "imonumber",
        "imo_ship_no",
        "imo_ship_number",
        "lr_imo",
        "lr_imo_ship_no",
        "imo_code",
    ),
    "mmsi": ("mmsi", "mmsi_number", "mmsi_no", "mmsi_nr", "mmsi_num"),
    "call_sign": (
        "call_sign",
        "callsign",
        "call_signal",
        "radio_call_sign",
        "ircs",
        "call_letters",
    ),
    "flag": (
        "flag",
        "flag_state",
        "flag_country",
        "country_of_flag",
        "flag_code",
        "flag_iso",
        "vessel_flag",
        "ship_flag",
    ),
    "reference": (
        "reference",
        "ref",
        "ref_no",
        "ref_id",
        "reference_id",
        "reference_number",
        "id",
        "your_reference",
        "your_ref",
        "client_reference",
        "client_ref",
        "customer_reference",
        "customer_ref",
        "external_id",
        "record_id",
    ),
}
_FIELD_OF = {synonym: name for name, synonyms in _SYNONYMS.items() for synonym in synonyms}

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 64 * 1024
# Uploads up to this size are spooled in memory, bigger ones to a temporary file on disk.
SPOOL_IN_MEMORY = 1 << 20
COPY_BYTES = 1 << 20
# One physical line longer than this is not a vessel row; reading stops there (see `_lines`).
MAX_LINE_BYTES = 1 << 20
# Rows screened together: big enough for the bulk matcher to pay off, small enough that the
# output keeps flowing and memory stays flat.
CHUNK_ROWS = 1000
# More control characters than this share of the first block: a binary file, not text.
MAX_CONTROL_SHARE = 0.01

CSV_PROBLEM = CSV_TYPE

# OWASP's CSV injection guidance: a cell starting with one of these is run as a formula by
# spreadsheets, so it is written with a leading apostrophe (shown as text, never evaluated).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = frozenset(FORMULA_START)

# The answer's cells after the input's: the decision and why, then the (best) match as the JSON
# answer has it: which listed ship, on which lists, which of its names matched and how, and the
# notes that explain the score; then what the query carried that could not be used.
OUTPUT_COLUMNS = (
    "decision",
    "decision_reason",
    "matches",
    "match_entity_id",
    "match_list",
    "match_lists",
    "match_name",
    "matched_name",
    "matched_name_kind",
    "match_imo",
    "match_flag",
    "match_score",
    "match_decision",
    "match_notes",
    "risk_flags",
    "warnings",
    "imo_suggestions",
    "set_aside",
    "error",
)
# Several values in one cell: notes and warnings are sentences (their commas stay theirs).
_LIST_JOIN = ";"
_TEXT_JOIN = " | "

_NOT_BLANK = re.compile(NOT_BLANK)
_LOOKS_LIKE_ID = re.compile(r"(?:imo\s*)?[0-9]{7}|[0-9]{9}", re.IGNORECASE)
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; read them as Latin-1 rather than fail."""
    assert isinstance(exc, UnicodeDecodeError)
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("vessel_screen_latin1", _latin1_for_undefined)


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = 52_428_800
    max_rows: int = 1_000_000


class CsvProblem(Exception):
    """A file that cannot be screened at all, known before any output is written.

    `status` is the HTTP status the API answers with; `detail` is the message the API and the
    command line both show; `errors` names what is wrong (`file` or `header`).
    """

    def __init__(
        self, status: int, title: str, detail: str, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors if errors is not None else {"file": [detail]}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row was not screened; the row is answered with this in its place."""

    detail: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    def problem(self) -> dict[str, Any]:
        """The error as a problem object (RFC 9457), as a batch item's error is."""
        return problem_body(422, "Invalid row", self.detail, VALIDATION_TYPE, self.errors)

    def text(self) -> str:
        """One line for the CSV `error` cell: the detail and each field's complaint."""
        parts = [self.detail]
        for name, messages in self.errors.items():
            if name not in ("_schema", "row"):
                parts.extend(f"{name}: {message}" for message in messages)
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class RowOptions:
    """The screening options a whole file is screened with (what `POST /v1/screen` takes in the
    body beside the vessel): every row gets the same lists, threshold, limit and window."""

    lists: tuple[str, ...] | None = None
    threshold: float | None = None
    limit: int | None = None
    window_days: int | None = None


_NO_OPTIONS = RowOptions()


class ScreenedRow(NamedTuple):
    """One input row and its answer: the unit a future audit record is written for."""

    row: int  # 1 is the first row after the header
    cells: list[str]
    result: Outcome | RowError


# --- Reading -------------------------------------------------------------------------------------


def too_large(limits: Limits) -> CsvProblem:
    return CsvProblem(
        413,
        "Content Too Large",
        f"The file is larger than {limits.max_bytes:,} bytes (CSV_MAX_BYTES); split it.",
    )


def too_many_rows(limits: Limits) -> CsvProblem:
    return CsvProblem(
        413,
        "Content Too Large",
        f"The file has more than {limits.max_rows:,} rows (CSV_MAX_ROWS); split it.",
    )


def spool(stream: IO[bytes], limits: Limits) -> tuple[IO[bytes], int]:
    """Copy an upload to a temporary file of our own, enforcing the size limit as it comes.

    Returns the copy, rewound, and the number of line breaks in it (an upper bound of its
    rows, so the row limit is checked before any output). Memory holds one block at a time.
    """
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    size = 0
    breaks = 0
    try:
        while block := stream.read(COPY_BYTES):
            size += len(block)
            if size > limits.max_bytes:
                raise too_large(limits)
            breaks += block.count(b"\n")
            out.write(block)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, breaks


def count_line_breaks(stream: IO[bytes]) -> int:
    """Line breaks from the stream's position to its end; the position is restored."""
    start = stream.tell()
    breaks = 0
    while block := stream.read(COPY_BYTES):
        breaks += block.count(b"\n")
    stream.seek(start)
    return breaks


@dataclass
class CsvSource:
    """An opened CSV file whose header is known good; `records()` reads its data rows."""

    stream: IO[bytes]
    header: list[str]
    columns: dict[str, int]  # field -> column number
    delimiter: str
    utf8: bool
    bom: bool
    limits: Limits
    # Line breaks in the whole file, when counted (0 when not): an upper bound of its rows.
    line_breaks: int = 0

    # The column number of each of FIELDS, -1 where the file has none.
    positions: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.positions = tuple(self.columns.get(name, -1) for name in FIELDS)

    @property
    def encoding(self) -> str:
        return ("utf-8-sig" if self.bom else "utf-8") if self.utf8 else "windows-1252"

    def records(self) -> Iterator[tuple[int, list[str] | RowError]]:
        """Every data row after the header, numbered from 1, or the error that replaced it.

        Rows whose cells are all blank are skipped (spreadsheets export them at the end). Over
        the row limit, a last error says so and reading stops: the API checks the limit before
        answering, so this only guards callers that did not.
        """
        self.stream.seek(3 if self.bom else 0)
        reader = csv.reader(_lines(self.stream, self.utf8), delimiter=self.delimiter)
        header_seen = False
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except _LineTooLong:
                yield (
                    number + 1,
                    RowError(
                        f"A line is longer than {MAX_LINE_BYTES:,} bytes; the file was read no "
                        "further.",
                        {"row": ["line too long"]},
                    ),
                )
                return
            except csv.Error as exc:
                # The reader goes on with the next line: only this row is lost.
                number += 1
                yield number, RowError(f"The row is not valid CSV: {exc}.", {"row": [str(exc)]})
                continue
            if _blank(cells):
                continue
            if not header_seen:
                header_seen = True
                continue
            number += 1
            if number > self.limits.max_rows:
                problem = too_many_rows(self.limits)
                yield (
                    number,
                    RowError(
                        problem.detail + " The rows after the limit were not screened.",
                        {"file": [problem.detail]},
                    ),
                )
                return
            yield number, cells


class _LineTooLong(Exception):
    pass


def _lines(stream: IO[bytes], utf8: bool) -> Iterator[str]:
    """The stream's lines as text, each decoded on its own: UTF-8 where the file is, else
    Windows-1252 (so a UTF-8 file with a stray Windows-1252 line loses nothing)."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) > MAX_LINE_BYTES:
            raise _LineTooLong
        yield _decode(line, utf8)


def _decode(data: bytes, utf8: bool) -> str:
    if utf8:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", errors="vessel_screen_latin1")


def _blank(cells: list[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def _header_key(cell: str) -> str:
    return _NON_ALNUM.sub("_", cell.strip().lstrip("\ufeff").lower()).strip("_")


def open_csv(stream: IO[bytes], limits: Limits, line_breaks: int | None = None) -> CsvSource:
    """Check a CSV file's encoding, delimiter and header before anything is screened.

    `stream` must be seekable (`spool` makes an upload so). `line_breaks`, when known, lets
    the row limit be checked here too (exactly, when the line count alone is not enough).
    Raises `CsvProblem` for a file that cannot be screened at all.
    """
    block = stream.read(SNIFF_BYTES)
    whole = len(block) < SNIFF_BYTES
    if not block.strip(b" \t\r\n\x1a" + codecs.BOM_UTF8):
        raise CsvProblem(422, "Empty file", "The file is empty: send a header row and rows.")
    if block.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) or block.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise CsvProblem(
            415,
            "Unsupported Media Type",
            "The file is UTF-16 or UTF-32 text; save it as CSV in UTF-8 (or Windows-1252).",
        )
    if b"\x00" in block:
        raise _binary()
    bom = block.startswith(codecs.BOM_UTF8)
    body = block[3:] if bom else block
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=whole)
        utf8 = True
    except UnicodeDecodeError:
        text, utf8 = body.decode("cp1252", errors="vessel_screen_latin1"), False
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n\x0c\x1a")
    if controls > MAX_CONTROL_SHARE * len(text):
        raise _binary()
    if not whole:
        # Only complete lines are sniffed; a file whose first block has none has no header.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut < 0:
            raise CsvProblem(
                422,
                "No header row",
                f"The first {SNIFF_BYTES // 1024} KiB hold no line break: this is not a CSV "
                "file with a header row.",
                {"header": ["no line break in the first block"]},
            )
        text = text[: cut + 1]

    if "\r" in text and "\n" not in text:
        raise CsvProblem(
            422,
            "Not CSV",
            "Lines end with a carriage return alone (classic Mac OS); save the file with CRLF "
            "or LF line ends.",
            {"file": ["CR line ends"]},
        )
    delimiter, header = _sniff(text)
    columns = _columns(header)
    source = CsvSource(stream, header, columns, delimiter, utf8, bom, limits, line_breaks or 0)
    if line_breaks is not None and line_breaks > limits.max_rows:
        # More lines than rows allowed, but quoted fields may hold line breaks: count rows.
        for number, _ in source.records():
            if number > limits.max_rows:
                raise too_many_rows(limits)
    stream.seek(0)
    return source


def _binary() -> CsvProblem:
    return CsvProblem(
        415,
        "Unsupported Media Type",
        "The file is binary, not CSV text (a spreadsheet workbook? save it as CSV).",
    )


def _sniff(text: str) -> tuple[str, list[str]]:
    """The delimiter under which the header names the most known columns, and that header.

    Ties go to the delimiter that splits the first rows into the same number of cells, then to
    the order of `DELIMITERS`: comma first.
    """
    best: tuple[tuple[int, int, int], str, list[str]] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        rows: list[list[str]] = []
        try:
            for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                if not _blank(cells):
                    rows.append(cells)
                if len(rows) >= 20:
                    break
        except csv.Error:
            continue
        if not rows:
            continue
        known = sum(1 for cell in rows[0] if _header_key(cell) in _FIELD_OF)
        widths = {len(cells) for cells in rows}
        consistent = int(len(widths) == 1 and len(rows[0]) > 1)
        score = (known, consistent, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter, rows[0])
    if best is None:
        raise CsvProblem(
            422,
            "Not CSV",
            "The file could not be read as CSV (comma, semicolon or tab separated).",
            {"file": ["not CSV"]},
        )
    return best[1], best[2]


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for number, cell in enumerate(header):
        name = _FIELD_OF.get(_header_key(cell))
        if name is None:
            continue
        if name in columns:
            first = header[columns[name]]
            raise CsvProblem(
                422,
                "Ambiguous columns",
                f"Columns {first.strip()!r} and {cell.strip()!r} both give the vessel's {name}; "
                "keep one.",
                {"header": [f"two columns give {name}"]},
            )
        columns[name] = number
    if not any(name in columns for name in IDENTITY_FIELDS):
        known = ", ".join(FIELDS)
        if any(_LOOKS_LIKE_ID.fullmatch(cell.strip()) for cell in header):
            detail = (
                "The first row looks like data, not a header: start the file with a header "
                f"row naming its columns ({known})."
            )
        else:
            detail = (
                "No column gives a vessel's name, IMO or MMSI. Recognised column names "
                f"(any case, and common synonyms such as 'vessel name' or 'IMO number'): {known}."
            )
        raise CsvProblem(422, "No usable column", detail, {"header": [detail]})
    return columns


# --- Screening -----------------------------------------------------------------------------------


def row_request(
    cells: Sequence[str], source: CsvSource, options: RowOptions | None = None
) -> Request | RowError:
    """A screening request from one row, checked as `POST /v1/screen` checks its fields.

    Every cell is a string, so only the string rules of `ScreenRequestSchema` can apply: the
    length limit, and at least one of name, imo, mmsi not blank. An empty cell is absent.
    """
    if len(cells) != len(source.header):
        return RowError(
            f"The row has {len(cells)} cells where the header has {len(source.header)}.",
            {"row": [f"{len(cells)} cells, expected {len(source.header)}"]},
        )
    # Positions in FIELDS order; a field without a column reads as an empty cell.
    name, imo, mmsi, call_sign, flag, reference = (
        cells[number] if number >= 0 else "" for number in source.positions
    )
    too_long = max(len(name), len(imo), len(mmsi), len(call_sign), len(flag), len(reference))
    search = _NOT_BLANK.search
    if too_long > MAX_STRING or not (search(name) or search(imo) or search(mmsi)):
        values = (name, imo, mmsi, call_sign, flag, reference)
        return _row_error(dict(zip(FIELDS, values, strict=True)))
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


def _row_error(values: dict[str, str]) -> RowError:
    errors: dict[str, list[str]] = {
        name: [f"Longer than maximum length {MAX_STRING}."]
        for name, value in values.items()
        if len(value) > MAX_STRING
    }
    if not any(_NOT_BLANK.search(values[name]) for name in IDENTITY_FIELDS):
        errors["_schema"] = ["At least one of name, imo, mmsi is required."]
    return RowError(validation_detail(errors), errors)


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


def screen_requests(requests: Sequence[Request], ctx: Context) -> list[Outcome]:
    """Screen many requests as `screening.run` screens one, with the matcher's bulk path."""
    results = screen_many([r.query for r in requests], ctx.index, ctx.policy)
    memo: HistoryMemo = {}
    return [
        run(request, ctx, result=result, memo=memo)
        for request, result in zip(requests, results, strict=True)
    ]


# Told each chunk's row count and its rows by decision (see `screen_file`).
Progress = Callable[[int, dict[str, int]], None]
# What a chunk process sends back: the answer's bytes, the audit records, the rows by decision.
_Answered = tuple[bytes, list["ScreeningRecord"], dict[str, int]]


@dataclass(frozen=True, slots=True)
class Output:
    """How screened rows are written: CSV or JSON lines, a line per row or per match."""

    ndjson: bool = False
    all_matches: bool = False

    @property
    def media_type(self) -> str:
        return "application/x-ndjson" if self.ndjson else "text/csv; charset=utf-8"


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
                    query=dict(zip(_unique(source.header), screened.cells, strict=False)),
                    list_versions={i.id: i.version for i in outcome.screening.lists},
                    decision=outcome.decision,
                    response_json=orjson.dumps(answer_json(outcome, index)).decode(),
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


# --- Writing -------------------------------------------------------------------------------------


def escape_formula(value: str) -> str:
    """The cell as a spreadsheet shows it as text: formula starters get a leading apostrophe."""
    return "'" + value if value[:1] in _FORMULA_START else value


def output_header(header: Sequence[str], all_matches: bool = False) -> list[str]:
    """`row`, the input columns as given, then the answer's columns.

    An input column named like an answer column is prefixed `input_`, so no name is repeated.
    """
    ours = _our_columns(all_matches)
    taken = {"row", *ours}
    inputs = [f"input_{name}" if name.strip().lower() in taken else name for name in header]
    return ["row", *inputs, *ours]


def _our_columns(all_matches: bool) -> list[str]:
    columns = list(OUTPUT_COLUMNS)
    if all_matches:
        columns.insert(columns.index("matches") + 1, "match_rank")
    return columns


def header_bytes(source: CsvSource, output: Output) -> bytes:
    """What the answer starts with: the CSV header line (NDJSON has none)."""
    if output.ndjson:
        return b""
    cells = [escape_formula(cell) for cell in output_header(source.header, output.all_matches)]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def format_rows(
    source: CsvSource, rows: Iterable[ScreenedRow], index: ScreeningIndex, output: Output
) -> bytes:
    """Screened rows as lines of the answer (UTF-8)."""
    if output.ndjson:
        return _ndjson_lines(source, rows, index, output.all_matches)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    width = len(source.header)
    for screened in rows:
        cells = [escape_formula(cell) for cell in (screened.cells + [""] * width)[:width]]
        for line in _flat_rows(screened, output.all_matches):
            writer.writerow([str(screened.row), *cells, *line])
    return buffer.getvalue().encode("utf-8")


def _flat_rows(screened: ScreenedRow, all_matches: bool) -> list[list[str]]:
    """The answer's cells of one input row: one line, or one per match with `all_matches`.

    The values are those `render.screening` puts in the JSON answer, read straight from the
    outcome: a CSV row needs the top match only, not the whole rendered answer.
    """
    result = screened.result
    width = len(OUTPUT_COLUMNS) + (1 if all_matches else 0)
    if isinstance(result, RowError):
        return [[*[""] * (width - 1), escape_formula(result.text())]]
    matches = result.screening.matches
    head = [result.decision, escape_formula(result.decision_reason or ""), str(len(matches))]
    tail = [
        escape_formula(_TEXT_JOIN.join(result.warnings)),
        escape_formula(_LIST_JOIN.join(v.imo or "" for v in result.suggestions)),
        escape_formula(_TEXT_JOIN.join(a.reason for a in result.screening.set_aside)),
        "",
    ]
    if not matches:
        return [[*head, *[""] * (width - len(head) - len(tail)), *tail]]
    lines: list[list[str]] = []
    listings = result.listings or tuple((m,) for m in matches)
    for rank, (match, history, group) in enumerate(
        zip(matches, result.histories, listings, strict=True), 1
    ):
        vessel = match.vessel
        lines.append(
            [
                *head,
                *([str(rank)] if all_matches else []),
                escape_formula(match.entity_id),
                escape_formula(match.list_id),
                escape_formula(_LIST_JOIN.join(dict.fromkeys(x.list_id for x in group))),
                escape_formula(vessel.name),
                escape_formula(match.matched_name),
                match.explanation.matched_name_kind or "",
                escape_formula(vessel.imo or ""),
                escape_formula(_LIST_JOIN.join(vessel.flags)),
                str(match.score),
                match.decision,
                escape_formula(_TEXT_JOIN.join(match.explanation.notes)),
                _LIST_JOIN.join(history.flag_codes),
                *tail,
            ]
        )
        if not all_matches:
            break
    return lines


def _ndjson_lines(
    source: CsvSource, rows: Iterable[ScreenedRow], index: ScreeningIndex, all_matches: bool
) -> bytes:
    """Each row as a JSON line: its row number, its input cells by column name, and the whole
    screening answer (as `POST /v1/screen` gives it) or its error. With `all_matches`, a line
    per match (`match_rank`, `match`) instead of the answer."""
    names = _unique(source.header)
    width = len(names)
    lines: list[bytes] = []
    for screened in rows:
        cells = (screened.cells + [""] * width)[:width]
        item: dict[str, Any] = {"row": screened.row, "input": dict(zip(names, cells, strict=True))}
        result = screened.result
        if isinstance(result, RowError):
            lines.append(orjson.dumps(item | {"error": result.problem()}))
            continue
        answer = answer_json(result, index)
        if not all_matches:
            lines.append(orjson.dumps(item | {"result": answer}))
            continue
        matches = answer.pop("matches")
        item |= {
            "screening_id": answer["screening_id"],
            "decision": answer["decision"],
            "decision_reason": answer["decision_reason"],
            "matches": len(matches),
            "warnings": answer["warnings"],
            "imo_suggestions": answer["imo_suggestions"],
            "set_aside": answer["set_aside"],
        }
        for rank, match in enumerate(matches or [None], 1):
            extra = {"match_rank": rank if match else None, "match": match}
            lines.append(orjson.dumps(item | extra))
    return b"".join(line + b"\n" for line in lines)


def answer_json(outcome: Outcome, index: ScreeningIndex) -> dict[str, Any]:
    """One answer as `POST /v1/screen` gives it, ready for orjson.

    `render.screening` already shapes the answer as `ScreenResponseSchema` dumps it, and
    orjson writes its UUIDs and datetimes as the schema does, so the bytes are the same
    (tests/test_bulk.py proves it) for a fraction of the cost of a marshmallow dump, which
    would otherwise be most of the time of a batch of a thousand.
    """
    return render.screening(outcome, index)


def _unique(names: Sequence[str]) -> list[str]:
    """Column names as JSON keys: a repeated name gets `_2`, `_3` ..."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out
