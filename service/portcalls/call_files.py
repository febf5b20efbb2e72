"""Port-call files: the documented CSV / JSON-lines formats and their parser.

File formats (ports/README.md has the full description): one call per row or line with
`imo, mmsi, port, arrived_at, departed_at, source, note, confidence` and an optional `country`
hint for port names shared by several countries. A bad row is rejected with its line number and
every reason it fails; the good rows of the same file are kept. `load_port_calls_dir` puts a
folder's files into one `PortCallIndex`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from service.identifiers import normalize_flag, normalize_mmsi, parse_imo
from service.portcalls.calls import CallFileSummary, CallFormat, PortCall, PortCallIndex, Rejected
from service.portcalls.ports import Port, PortTable

__all__ = [
    "CALL_FIELDS",
    "ParseResult",
    "call_file_paths",
    "load_port_calls_dir",
    "parse_port_calls",
    "parse_time",
    "read_call_files",
    "read_port_calls",
]

CALL_FIELDS = ("imo", "mmsi", "port", "arrived_at", "departed_at", "source", "note", "confidence")
OPTIONAL_FIELDS = ("country",)
_REQUIRED_COLUMNS = ("port", "arrived_at", "source")
_TIME_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class ParseResult:
    calls: list[PortCall]
    rejected: list[Rejected]
    name: str = ""

    @property
    def accepted_count(self) -> int:
        return len(self.calls)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)

    def summary(self, format: CallFormat) -> CallFileSummary:
        return CallFileSummary(self.name, format, len(self.calls), tuple(self.rejected))


def parse_time(value: str) -> datetime | None:
    """RFC 3339 / ISO 8601 to an aware UTC datetime; None when it is not one.

    No offset means UTC; a date alone means 00:00Z that day. Offsets are converted to UTC.
    """
    text = value.strip()
    if len(text) < 8 or not text[:4].isdigit():
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        # RFC 3339 allows a lower-case "t" and "z"; fromisoformat only takes upper case.
        moment = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Parser:
    """Turns one row's fields into a PortCall or the reasons it cannot be one. Times, sources
    and ports repeat across rows, so each distinct value is parsed and stored once."""

    def __init__(self, ports: PortTable) -> None:
        self.ports = ports
        self._times: dict[str, datetime | None] = {}
        self._strings: dict[str, str] = {}
        self._ports: dict[tuple[str, str | None], Port | str] = {}
        self._imos: dict[str, tuple[str | None, str | None]] = {}
        self._mmsis: dict[str, tuple[str | None, str | None]] = {}

    def time(self, text: str) -> datetime | None:
        try:
            return self._times[text]
        except KeyError:
            pass
        # Feeds with second-precision times repeat few of them: bound the cache, don't grow it.
        if len(self._times) >= _TIME_CACHE_SIZE:
            self._times.clear()
        parsed = self._times[text] = parse_time(text)
        return parsed

    def intern(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def row(self, fields: Mapping[str, object]) -> PortCall | list[str]:
        problems: list[str] = []
        imo = self._imo(fields.get("imo"), problems)
        mmsi = self._mmsi(fields.get("mmsi"), problems)
        if imo is None and mmsi is None and not problems:
            problems.append("no imo and no mmsi: a call must name its vessel by at least one")

        port_text = _text(fields.get("port"))
        country = _text(fields.get("country")) or None
        if country is not None and normalize_flag(country).code is None:
            problems.append(f"country {country!r} is not a known country")
            country = None
        port = None
        if not port_text:
            problems.append("port is empty")
        else:
            port = self._port(port_text, country, problems)

        arrived = self._when(fields.get("arrived_at"), "arrived_at", problems, required=True)
        departed = self._when(fields.get("departed_at"), "departed_at", problems, required=False)
        if arrived is not None and departed is not None and departed < arrived:
            problems.append(
                f"departed_at {departed.isoformat()} is before arrived_at {arrived.isoformat()}"
            )

        source = _text(fields.get("source"))
        if not source:
            problems.append("source is empty: say who reported the call")
        note = _text(fields.get("note")) or None
        confidence = self._confidence(fields.get("confidence"), problems)

        if problems or port is None or arrived is None:
            return problems
        return PortCall(
            imo=imo,
            mmsi=mmsi,
            locode=port.locode,
            port_name=port.name,
            country=port.country,
            arrived_at=arrived,
            departed_at=departed,
            source=self.intern(source),
            note=note,
            confidence=confidence,
        )

    def _imo(self, value: object, problems: list[str]) -> str | None:
        if value is None or value == "":
            return None
        # A file names the same ships over and over: check each distinct IMO once.
        key = value if isinstance(value, str) else repr(value)
        cached = self._imos.get(key)
        if cached is None:
            cached = self._imos[key] = _check_imo(value)
        digits, problem = cached
        if problem is not None:
            problems.append(problem)
        return digits

    def _mmsi(self, value: object, problems: list[str]) -> str | None:
        if value is None or value == "":
            return None
        key = value if isinstance(value, str) else repr(value)
        cached = self._mmsis.get(key)
        if cached is None:
            cached = self._mmsis[key] = _check_mmsi(value)
        digits, problem = cached
        if problem is not None:
            problems.append(problem)
        return digits

    def _port(self, text: str, country: str | None, problems: list[str]) -> Port | None:
        key = (text, country)
        found: Port | str | None = self._ports.get(key)
        if found is None:
            port = self.ports.resolve(text, country)
            if port is not None:
                found = port
            else:
                candidates = self.ports.candidates(text, country)
                if len({p.country for p in candidates}) > 1:
                    listed = ", ".join(f"{p.locode} {p.name}" for p in candidates[:5])
                    found = (
                        f"port {text!r} is ambiguous ({listed}); "
                        "write its UN/LOCODE or add a country"
                    )
                else:
                    found = f"unknown port {text!r}"
            self._ports[key] = found
        if isinstance(found, str):
            problems.append(found)
            return None
        return found

    def _when(
        self, value: object, name: str, problems: list[str], *, required: bool
    ) -> datetime | None:
        text = _text(value)
        if not text:
            if required:
                problems.append(f"{name} is empty")
            return None
        moment = self.time(text)
        if moment is None:
            problems.append(f"{name} {text!r} is not an RFC 3339 / ISO 8601 time or date")
        return moment

    @staticmethod
    def _confidence(value: object, problems: list[str]) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number: float | None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        else:
            number = None
        if number is None or not math.isfinite(number) or not 0.0 <= number <= 1.0:
            problems.append(f"confidence {value!r} is not a number from 0 to 1")
            return None
        return number


def _check_imo(value: object) -> tuple[str | None, str | None]:
    """(digits, None) for a valid IMO, (None, None) for a blank, (None, problem) otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None, f"imo {value!r} is not an IMO number"
    parsed = parse_imo(value)
    if parsed is None:
        return None, None
    if parsed.digits is None:
        return None, f"imo {parsed.raw!r} is not an IMO number (seven digits)"
    if not parsed.valid:
        return None, f"imo {parsed.digits} fails its check digit"
    return parsed.digits, None


def _check_mmsi(value: object) -> tuple[str | None, str | None]:
    if isinstance(value, str) and not value.strip():
        return None, None
    digits = normalize_mmsi(value) if isinstance(value, str | int) else None
    if digits is None:
        return None, f"mmsi {value!r} is not an MMSI (nine digits)"
    return digits, None


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def parse_port_calls(
    source: str | Iterable[str], format: CallFormat, ports: PortTable, *, name: str = ""
) -> ParseResult:
    """Parse port calls from text (or an iterable of lines) in "csv" or "jsonl" format.

    Every row is checked on its own: a bad row lands in `rejected` with its line number and all
    its problems; the rest are returned in `calls`, in file order.
    """
    if format not in ("csv", "jsonl"):
        raise ValueError(f"unknown port call format {format!r}; use 'csv' or 'jsonl'")
    lines: Iterable[str] = io.StringIO(source) if isinstance(source, str) else source
    parser = _Parser(ports)
    calls: list[PortCall] = []
    rejected: list[Rejected] = []
    rows = _csv_rows(lines, rejected) if format == "csv" else _jsonl_rows(lines, rejected)
    for line, fields in rows:
        outcome = parser.row(fields)
        if isinstance(outcome, PortCall):
            calls.append(outcome)
        else:
            rejected.append(Rejected(line, "; ".join(outcome)))
    return ParseResult(calls, rejected, name)


def _csv_rows(
    lines: Iterable[str], rejected: list[Rejected]
) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        rejected.append(Rejected(1, f"header is not valid CSV: {exc}"))
        return
    problems = []
    missing = [c for c in _REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(f"header lacks column(s) {', '.join(missing)}")
    if "imo" not in header and "mmsi" not in header:
        problems.append("header needs an imo or an mmsi column")
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    if repeated:
        problems.append(f"header repeats column(s) {', '.join(repeated)}")
    if problems:
        rejected.append(Rejected(1, "; ".join(problems) + f" (expected {','.join(CALL_FIELDS)})"))
        return
    # Unknown columns are ignored, so a file may carry extra data of its own.
    wanted = [(i, h) for i, h in enumerate(header) if h in CALL_FIELDS or h in OPTIONAL_FIELDS]
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = reader.line_num
            rejected.append(Rejected(start, f"not valid CSV: {exc}"))
            continue
        end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            rejected.append(
                Rejected(start, f"row has {len(row)} fields, the header has {len(header)}")
            )
            continue
        yield start, {h: row[i] for i, h in wanted}


def _jsonl_rows(
    lines: Iterable[str], rejected: list[Rejected]
) -> Iterator[tuple[int, dict[str, object]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejected(number, f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(value, dict):
            rejected.append(Rejected(number, "not a JSON object"))
            continue
        yield number, value


def read_port_calls(path: Path, ports: PortTable) -> tuple[ParseResult, CallFormat]:
    """Parse one file; the format comes from its suffix (.csv, .jsonl)."""
    result, format, _ = _read_port_calls(path, ports)
    return result, format


def _read_port_calls(path: Path, ports: PortTable) -> tuple[ParseResult, CallFormat, bool]:
    """`read_port_calls`, and whether the file was read (False on an OSError: what it gave
    may be different next time, so it is not kept in the cache)."""
    format: CallFormat = "jsonl" if path.suffix.lower() == ".jsonl" else "csv"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        rejected = [Rejected(0, f"cannot read the file as UTF-8 text: {exc}")]
        return ParseResult([], rejected, path.name), format, not isinstance(exc, OSError)
    return parse_port_calls(text, format, ports, name=path.name), format, True


def call_file_paths(folder: Path) -> list[Path]:
    """The `*.csv` and `*.jsonl` files directly in `folder`, by name; none when it is no
    folder."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".jsonl")
    )


def read_call_files(
    paths: Iterable[Path], ports: PortTable
) -> tuple[PortCallIndex, list[CallFileSummary], bool]:
    """The files' calls in one index, a summary of each file, and whether every file was read
    (see `_read_port_calls`)."""
    calls: list[PortCall] = []
    summaries: list[CallFileSummary] = []
    whole = True
    for path in paths:
        result, format, read = _read_port_calls(path, ports)
        calls.extend(result.calls)
        summaries.append(result.summary(format))
        whole = whole and read
    return PortCallIndex(calls), summaries, whole


def load_port_calls_dir(
    folder: Path, ports: PortTable
) -> tuple[PortCallIndex, list[CallFileSummary]]:
    """Load every `*.csv` and `*.jsonl` file directly in `folder` into one index."""
    index, summaries, _ = read_call_files(call_file_paths(folder), ports)
    return index, summaries
