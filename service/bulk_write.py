"""Writing the answer for a screened CSV file: CSV or NDJSON, chunk by chunk, in input order.

CSV: `row`, the input's cells, then the answer's columns (`OUTPUT_COLUMNS`): the decision and
its best match, or a line per match with `all_matches`; every cell a spreadsheet would run as a
formula is escaped. NDJSON: a JSON line per row with its input cells and the whole screening
answer as `POST /v1/screen` gives it, rendered by the caller's `Output.render` (the web layer's
`render.screening`); this module never shapes that answer itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from service.bulk_columns import unique_names
from service.bulk_read import CsvSource, RowError
from service.index import ScreeningIndex
from service.screening import Outcome

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


class ScreenedRow(NamedTuple):
    """One input row and its answer: the unit a future audit record is written for."""

    row: int  # 1 is the first row after the header
    cells: list[str]
    result: Outcome | RowError


# One outcome as `POST /v1/screen` answers it, ready for orjson: the web layer's
# `render.screening`, which shapes the answer as `ScreenResponseSchema` dumps it (orjson writes
# its UUIDs and datetimes as the schema does, so the bytes are the same, tests/test_bulk.py
# proves it, for a fraction of the cost of a marshmallow dump).
Render = Callable[[Outcome, ScreeningIndex], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Output:
    """How screened rows are written: CSV or JSON lines, a line per row or per match.

    An NDJSON line carries the whole answer, so NDJSON needs `render` (see `Render`).
    """

    ndjson: bool = False
    all_matches: bool = False
    render: Render | None = None

    def __post_init__(self) -> None:
        if self.ndjson and self.render is None:
            raise ValueError("NDJSON output needs `render`, the answer of each row")

    @property
    def media_type(self) -> str:
        return "application/x-ndjson" if self.ndjson else "text/csv; charset=utf-8"


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
        return _ndjson_lines(source, rows, index, output)
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
    source: CsvSource, rows: Iterable[ScreenedRow], index: ScreeningIndex, output: Output
) -> bytes:
    """Each row as a JSON line: its row number, its input cells by column name, and the whole
    screening answer (as `POST /v1/screen` gives it) or its error. With `all_matches`, a line
    per match (`match_rank`, `match`) instead of the answer."""
    render = output.render
    assert render is not None  # Output checks it for NDJSON
    all_matches = output.all_matches
    names = unique_names(source.header)
    width = len(names)
    lines: list[bytes] = []
    for screened in rows:
        cells = (screened.cells + [""] * width)[:width]
        item: dict[str, Any] = {"row": screened.row, "input": dict(zip(names, cells, strict=True))}
        result = screened.result
        if isinstance(result, RowError):
            lines.append(orjson.dumps(item | {"error": result.problem()}))
            continue
        answer = render(result, index)
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
