"""Port calls as numpy arrays: one fixed-size record a call, the texts (ports, sources, notes)
as `packed.Strings` with a number into them in the record, and each vessel's calls found through
a sorted array of its numbers, with a `PortCall` made only for the calls a look-up returns.

Hundreds of thousands of calls held as dataclasses take some 90 MB of objects in every process,
and the gunicorn workers forked from the master each end up with a copy of those pages (reading
an object writes its reference count). Arrays are read without being written, so the workers
share the master's pages, and a call costs about 60 bytes rather than 400.

Only calls whose values the arrays give back exactly are packed (`packable`): IMO and MMSI as
seven and nine ASCII digits, times aware in UTC, plain strings and a finite confidence. Every
call parsed from a file is one; `calls.PortCallIndex` keeps any other as the object it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from service.packed import Strings
from service.portcalls.call_model import PortCall

__all__ = ["RECORD", "PackedCalls", "packable"]

# Times in microseconds since the epoch (what a datetime holds, exactly); `key` is today's
# -arrived_at.timestamp(), so that a window's cut is the same float comparison as for objects.
RECORD = np.dtype(
    [
        ("arrived", "<i8"),
        ("departed", "<i8"),
        ("key", "<f8"),
        ("confidence", "<f8"),
        ("imo", "<i4"),
        ("mmsi", "<i4"),
        ("port", "<i4"),
        ("source", "<i4"),
        ("note", "<i4"),
    ],
    align=True,
)
_NO_TIME = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_KEY_MAX = np.iinfo(np.int32).max  # IMO and MMSI numbers, as the track arrays hold them
# The texts: the ports' three (one entry per distinct port), then sources and notes.
TEXTS = ("locode", "port_name", "country", "source", "note")


def packable(call: PortCall) -> bool:
    """Whether the arrays give `call` back equal and alike in every field's type and form."""
    return (
        _digits(call.imo, 7)
        and _digits(call.mmsi, 9)
        and type(call.locode) is str
        and type(call.port_name) is str
        and type(call.country) is str
        and type(call.source) is str
        and (call.note is None or type(call.note) is str)
        and _utc(call.arrived_at)
        and (call.departed_at is None or _utc(call.departed_at))
        and (
            call.confidence is None
            or (type(call.confidence) is float and math.isfinite(call.confidence))
        )
    )


def _digits(value: object, length: int) -> bool:
    return value is None or (
        type(value) is str and len(value) == length and value.isascii() and value.isdigit()
    )


def _utc(moment: object) -> bool:
    return type(moment) is datetime and moment.tzinfo is UTC and moment.fold == 0


class PackedCalls:
    """Calls that are `packable`, each with an IMO or an MMSI, already free of repeats, in their
    given order: `records` one a call; `imo_rows` the rows of calls with an IMO ordered by IMO,
    then newest first, then given order (what a stable sort of each vessel's calls gives), with
    `imo_keys` its distinct IMOs and `imo_starts` where each one's rows start; the same by MMSI.
    Never changed once built (the arrays are read-only)."""

    __slots__ = (
        "imo_keys",
        "imo_rows",
        "imo_starts",
        "mmsi_keys",
        "mmsi_only_vessels",
        "mmsi_rows",
        "mmsi_starts",
        "records",
        "texts",
    )

    def __init__(self, arrays: dict[str, np.ndarray], texts: Sequence[Strings]) -> None:
        for array in arrays.values():
            array.flags.writeable = False
        self.records = arrays["records"]
        self.imo_rows, self.imo_keys, self.imo_starts = (
            arrays["imo_rows"],
            arrays["imo_keys"],
            arrays["imo_starts"],
        )
        self.mmsi_rows, self.mmsi_keys, self.mmsi_starts = (
            arrays["mmsi_rows"],
            arrays["mmsi_keys"],
            arrays["mmsi_starts"],
        )
        self.texts = tuple(texts)
        # MMSIs with calls that carry no IMO: vessels of their own (`PortCallIndex.vessel_count`).
        no_imo = self.records["imo"] < 0
        self.mmsi_only_vessels = len(np.unique(self.records["mmsi"][no_imo]))

    @classmethod
    def build(cls, calls: Sequence[PortCall]) -> PackedCalls:
        n = len(calls)
        records = np.zeros(n, dtype=RECORD)
        micros: dict[datetime, int] = {}  # times repeat: each distinct one converted once

        def us(moment: datetime | None) -> int:
            if moment is None:
                return int(_NO_TIME)
            found = micros.get(moment)
            if found is None:
                found = micros[moment] = (moment - _EPOCH) // _MICROSECOND
            return found

        records["arrived"] = np.fromiter((us(c.arrived_at) for c in calls), np.int64, n)
        records["departed"] = np.fromiter((us(c.departed_at) for c in calls), np.int64, n)
        records["key"] = np.fromiter((-c.arrived_at.timestamp() for c in calls), np.float64, n)
        records["confidence"] = np.fromiter(
            (math.nan if c.confidence is None else c.confidence for c in calls), np.float64, n
        )
        records["imo"] = np.fromiter((-1 if c.imo is None else int(c.imo) for c in calls), "i4", n)
        records["mmsi"] = np.fromiter(
            (-1 if c.mmsi is None else int(c.mmsi) for c in calls), "i4", n
        )
        ports: dict[tuple[str, str, str], int] = {}
        records["port"] = np.fromiter(
            (ports.setdefault((c.locode, c.port_name, c.country), len(ports)) for c in calls),
            "i4",
            n,
        )
        sources: dict[str, int] = {}
        records["source"] = np.fromiter(
            (sources.setdefault(c.source, len(sources)) for c in calls), "i4", n
        )
        notes: dict[str, int] = {}
        records["note"] = np.fromiter(
            (-1 if c.note is None else notes.setdefault(c.note, len(notes)) for c in calls),
            "i4",
            n,
        )
        arrays = {"records": records}
        for name in ("imo", "mmsi"):
            rows, keys, starts = _tracks(records[name], records["arrived"])
            arrays |= {f"{name}_rows": rows, f"{name}_keys": keys, f"{name}_starts": starts}
        texts = [Strings.build(p[i] for p in ports) for i in range(3)]
        return cls(arrays, [*texts, Strings.build(sources), Strings.build(notes)])

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array, by name: what `from_arrays` takes back."""
        named = {
            "records": self.records,
            "imo_rows": self.imo_rows,
            "imo_keys": self.imo_keys,
            "imo_starts": self.imo_starts,
            "mmsi_rows": self.mmsi_rows,
            "mmsi_keys": self.mmsi_keys,
            "mmsi_starts": self.mmsi_starts,
        }
        for name, strings in zip(TEXTS, self.texts, strict=True):
            named[f"{name}_data"] = strings.data
            named[f"{name}_offsets"] = strings.offsets
        return named

    @classmethod
    def from_arrays(cls, named: dict[str, np.ndarray]) -> PackedCalls:
        """The calls `arrays` gave; ValueError (or KeyError) where the arrays do not fit
        together, so that a damaged copy is never read as calls."""
        records = named["records"]
        if records.dtype != RECORD or records.ndim != 1:
            raise ValueError("records of another shape")
        texts = []
        for name in TEXTS:
            data, offsets = named[f"{name}_data"], named[f"{name}_offsets"]
            _check(data, np.uint8)
            _check(offsets, np.int64)
            if not len(offsets) or offsets[0] != 0 or offsets[-1] != len(data):
                raise ValueError(f"{name}: offsets do not fit the data")
            if np.any(np.diff(offsets) < 0):
                raise ValueError(f"{name}: offsets out of order")
            texts.append(Strings(data, offsets, bool(np.any(data == 0))))
        n = len(records)
        for column, strings, least in (
            ("port", texts[0], 0),
            ("source", texts[3], 0),
            ("note", texts[4], -1),
        ):
            values = records[column]
            if n and (values.min() < least or values.max() >= len(strings)):
                raise ValueError(f"{column} numbers out of range")
        if len(texts[0]) != len(texts[1]) or len(texts[0]) != len(texts[2]):
            raise ValueError("port texts of different lengths")
        for name in ("imo", "mmsi"):
            rows, keys, starts = (named[f"{name}_{part}"] for part in ("rows", "keys", "starts"))
            _check(rows, np.int32)
            _check(keys, np.int32)
            _check(starts, np.int64)
            if len(starts) != len(keys) + 1 or starts[0] != 0 or starts[-1] != len(rows):
                raise ValueError(f"{name}: starts do not fit the rows")
            if len(rows) and (rows.min() < 0 or rows.max() >= n):
                raise ValueError(f"{name}: rows out of range")
            if np.any(np.diff(keys) <= 0) or np.any(np.diff(starts) <= 0):
                raise ValueError(f"{name}: keys out of order")
        return cls({k: v for k, v in named.items() if not k.endswith(("_data", "_offsets"))}, texts)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def vessel_count(self) -> int:
        return len(self.imo_keys) + self.mmsi_only_vessels

    def imo_track(self, imo: str) -> np.ndarray | None:
        """The rows of the IMO's calls, newest first; None when it has none."""
        if not (len(imo) == 7 and imo.isascii() and imo.isdigit()):
            return None
        return _find(self.imo_keys, self.imo_starts, self.imo_rows, int(imo))

    def mmsi_track(self, mmsi: str, without_imo: bool) -> np.ndarray | None:
        """The rows of the MMSI's calls (`without_imo`: only those that carry no IMO), newest
        first; None when there are none."""
        if not (len(mmsi) == 9 and mmsi.isascii() and mmsi.isdigit()):
            return None
        rows = _find(self.mmsi_keys, self.mmsi_starts, self.mmsi_rows, int(mmsi))
        if rows is not None and without_imo:
            rows = rows[self.records["imo"][rows] < 0]
        return rows if rows is not None and len(rows) else None

    def within(self, rows: np.ndarray, since: datetime | None) -> np.ndarray:
        """The first of `rows` (newest first) that arrived at or after `since`."""
        if since is None:
            return rows
        keys = self.records["key"][rows]
        return rows[: int(np.searchsorted(keys, -since.timestamp(), side="right"))]

    def calls(self, rows: np.ndarray) -> tuple[PortCall, ...]:
        """The calls of `rows`, made into objects."""
        locodes, names, countries, sources, notes = self.texts
        found = []
        for arrived, departed, _, confidence, imo, mmsi, port, source, note in self.records[
            rows
        ].tolist():
            found.append(
                PortCall(
                    imo=None if imo < 0 else f"{imo:07d}",
                    mmsi=None if mmsi < 0 else f"{mmsi:09d}",
                    locode=locodes[port],
                    port_name=names[port],
                    country=countries[port],
                    arrived_at=_EPOCH + timedelta(microseconds=arrived),
                    departed_at=(
                        None if departed == _NO_TIME else _EPOCH + timedelta(microseconds=departed)
                    ),
                    source=sources[source],
                    note=None if note < 0 else notes[note],
                    confidence=None if math.isnan(confidence) else confidence,
                )
            )
        return tuple(found)


def _check(array: np.ndarray, dtype: type) -> None:
    if array.dtype != np.dtype(dtype) or array.ndim != 1:
        raise ValueError(f"an array of {array.dtype} where {np.dtype(dtype)} belongs")


def _tracks(vessel: np.ndarray, arrived: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows with a number in `vessel` (not -1), by number, newest first, then row order;
    the distinct numbers; where each number's rows start (and, last, their count)."""
    rows = np.flatnonzero(vessel >= 0)
    order = rows[np.lexsort((rows, -arrived[rows], vessel[rows]))]
    keys, first = np.unique(vessel[order], return_index=True)
    starts = np.append(first, len(order)).astype(np.int64)
    return order.astype(np.int32), keys.astype(np.int32), starts


def _find(keys: np.ndarray, starts: np.ndarray, rows: np.ndarray, key: int) -> np.ndarray | None:
    if not 0 <= key <= _KEY_MAX:
        return None
    # The key as the array's own type: given a Python int, searchsorted first converts the
    # whole int32 array to int64 (some 20 us at 100,000 vessels, twice a match's history).
    i = int(keys.searchsorted(np.int32(key)))
    if i >= len(keys) or int(keys[i]) != key:
        return None
    return rows[int(starts[i]) : int(starts[i + 1])]
