"""Reading a CSV file to be screened: limits, spooling, encoding, delimiter, header, rows.

The file is read from a seekable binary stream (an upload spooled to a temporary file, or a file
on disk), one line at a time, never whole. Its first block decides the rest before any output:
not text (NUL bytes, control characters, UTF-16) or empty, no header row or no column that names
a vessel are refused as a `CsvProblem`, which the API answers as a 4xx problem and the command
line prints. UTF-8 with or without BOM is read as such and anything else as Windows-1252, line
by line (a UTF-8 file with one stray Windows-1252 line still reads). The delimiter (comma,
semicolon or tab) is the one under which the header names the most known columns
(`bulk_columns`). `CsvSource.records` gives the data rows, a row that cannot be read replaced by
its `RowError`.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from service.bulk_columns import FIELD_OF, FIELDS, IDENTITY_FIELDS, header_key
from service.problems import CSV_TYPE, VALIDATION_TYPE, problem_body

DELIMITERS = (",", ";", "\t")
SNIFF_BYTES = 64 * 1024
# Uploads up to this size are spooled in memory, bigger ones to a temporary file on disk.
SPOOL_IN_MEMORY = 1 << 20
COPY_BYTES = 1 << 20
# One physical line longer than this is not a vessel row; reading stops there (see `_lines`).
MAX_LINE_BYTES = 1 << 20
# More control characters than this share of the first block: a binary file, not text.
MAX_CONTROL_SHARE = 0.01

CSV_PROBLEM = CSV_TYPE

_LOOKS_LIKE_ID = re.compile(r"(?:imo\s*)?[0-9]{7}|[0-9]{9}", re.IGNORECASE)


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
        known = sum(1 for cell in rows[0] if header_key(cell) in FIELD_OF)
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
        name = FIELD_OF.get(header_key(cell))
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
