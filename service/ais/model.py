"""What AIS readers produce and event derivation consumes.

Positions travel in columns (`Positions`, numpy arrays), not one object per report: a day of a
busy coast is millions of reports, and per-row Python objects would be the whole cost of reading
and deriving. Static reports (names, IMO numbers, call signs) are a small fraction of traffic and
travel as plain records.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

# Column dtypes; NaN marks a value the report did not carry ("not available" in ITU-R M.1371).
_COLUMNS: dict[str, npt.DTypeLike] = {
    "mmsi": np.int64,
    "t": np.int64,  # Unix seconds, UTC
    "lat": np.float64,
    "lon": np.float64,
    "sog": np.float32,  # knots
    "cog": np.float32,  # degrees
    "heading": np.float32,  # degrees
    "status": np.int8,  # navigational status 0..15; -1 unknown
}


@dataclass(frozen=True, eq=False)
class Positions:
    """A batch of position reports, one row per report, all columns of equal length."""

    mmsi: npt.NDArray[np.int64]
    t: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    sog: npt.NDArray[np.float32]
    cog: npt.NDArray[np.float32]
    heading: npt.NDArray[np.float32]
    status: npt.NDArray[np.int8]

    def __post_init__(self) -> None:
        lengths = {len(getattr(self, name)) for name in _COLUMNS}
        if len(lengths) > 1:
            raise ValueError(f"position columns differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def empty(cls) -> Positions:
        return cls(**{name: np.empty(0, dtype) for name, dtype in _COLUMNS.items()})

    @classmethod
    def from_columns(cls, **columns: Sequence[Any] | npt.NDArray[Any]) -> Positions:
        """Build from any sequences, cast to the column dtypes; a missing column is all
        'not available' (NaN, or -1 for the status)."""
        n = len(columns["t"])
        out: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in _COLUMNS.items():
            if name in columns:
                out[name] = np.asarray(columns[name], dtype=dtype)
            elif name == "status":
                out[name] = np.full(n, -1, dtype)
            else:
                out[name] = np.full(n, np.nan, dtype)
        return cls(**out)

    @classmethod
    def concat(cls, batches: Iterable[Positions]) -> Positions:
        batches = [b for b in batches if len(b)]
        if not batches:
            return cls.empty()
        return cls(
            **{name: np.concatenate([getattr(b, name) for b in batches]) for name in _COLUMNS}
        )

    def take(self, selector: npt.NDArray[Any] | slice) -> Positions:
        """The rows a boolean mask, an index array or a slice selects."""
        return Positions(**{name: getattr(self, name)[selector] for name in _COLUMNS})

    def sorted(self) -> Positions:
        """Ordered by MMSI, then time: the order every track-wise derivation reads."""
        return self.take(np.lexsort((self.t, self.mmsi)))


@dataclass(frozen=True, slots=True)
class StaticReport:
    """What a ship said about itself at `at`: type 5, type 24 parts A and B, or the identity
    columns of a position CSV row. Fields it did not carry are None."""

    mmsi: str
    at: datetime
    imo: str | None = None
    name: str | None = None
    call_sign: str | None = None
    ship_type: int | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input line that could not be used: its 1-based line number, why, and its text
    (shortened)."""

    line: int
    reason: str
    text: str = ""


@dataclass
class ReadSummary:
    """Counts of one read: what was accepted, what was rejected and why (the first few kept
    with their lines), and positions dropped as impossible."""

    source: str
    format: str = ""
    lines: int = 0
    positions: int = 0
    statics: int = 0
    rejected: int = 0
    outliers: int = 0
    first_rejections: list[Rejection] = field(default_factory=list)
    keep_rejections: int = 20
    # Repeats of a report already read (same MMSI, time and position), as overlapping
    # receivers produce; dropped, and not rejections.
    duplicates: int = 0
    # Well-formed messages or rows that carry no ship position or identity (base stations,
    # aids to navigation, binary messages, other NMEA sentences); skipped, not rejections.
    ignored: int = 0

    def reject(self, line: int, reason: str, text: str = "") -> None:
        self.rejected += 1
        if len(self.first_rejections) < self.keep_rejections:
            self.first_rejections.append(Rejection(line, reason, text[:200]))

    @property
    def accepted(self) -> int:
        """Positions and static reports kept."""
        return self.positions + self.statics


EventKind = Literal["port_call", "ais_gap", "ship_to_ship", "identity_change", "position_jump"]
EVENT_KINDS: tuple[EventKind, ...] = (
    "port_call",
    "ais_gap",
    "ship_to_ship",
    "identity_change",
    "position_jump",
)


@dataclass(frozen=True, slots=True)
class AisEvent:
    """One thing a ship's AIS shows it did, with the evidence an analyst needs to check it.

    `lat`/`lon` place the event (where the gap began, the meeting's middle, the port);
    `evidence` is JSON-able and names what the kind needs: the port, the other ship, the
    positions before and after, durations in hours, distances in nautical miles.
    """

    kind: EventKind
    mmsi: str
    start: datetime
    end: datetime
    lat: float | None
    lon: float | None
    evidence: dict[str, Any]
    source: str = ""

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def unix_to_datetime(seconds: int | float) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)
