"""A port call and what loading a port-call file gives: `PortCall` is one reported stay of a
vessel in a port; `Rejected` and `CallFileSummary` say what loading a file gave."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["CallFileSummary", "CallFormat", "PortCall", "Rejected"]

CallFormat = Literal["csv", "jsonl"]


@dataclass(frozen=True, slots=True)
class PortCall:
    """One reported stay of a vessel in a port. Times are UTC; `departed_at` None means the
    departure is not known (the call is open). `source` says who reported it; `confidence` is the
    reporter's 0..1 confidence where one was given."""

    imo: str | None
    mmsi: str | None
    locode: str
    port_name: str
    country: str
    arrived_at: datetime
    departed_at: datetime | None
    source: str
    note: str | None = None
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not accepted. `line` is the 1-based physical line the row starts on; 0 is
    the file as a whole (unreadable)."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CallFileSummary:
    """What loading one file gave, without the calls themselves (those are in the index)."""

    file: str
    format: CallFormat
    accepted: int
    rejected: tuple[Rejected, ...]
