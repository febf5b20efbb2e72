"""Port calls and the in-memory index that answers "which calls did this vessel make since T"
with a dict look-up, a bisect and a slice.

`PortCall` is one reported stay of a vessel in a port; `Rejected` and `CallFileSummary` say
what loading a file gave (`call_files` reads the files). `PortCallIndex` holds every vessel's
calls newest first and is never changed once built.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from service.identifiers import normalize_mmsi, parse_imo

__all__ = [
    "CallFileSummary",
    "CallFormat",
    "PortCall",
    "PortCallIndex",
    "Rejected",
]

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


# --- The index ----------------------------------------------------------------------------------

# A vessel's calls newest first, and the parallel keys -arrived_at (epoch seconds), ascending, so
# that "arrived at or after T" is the prefix bisect_right(keys, -T) long.
_Track = tuple[tuple[PortCall, ...], array]


def _track(unique: list[PortCall]) -> _Track:
    """A track from calls already free of repeats (the callers de-duplicate once, up front)."""
    unique.sort(key=_arrival, reverse=True)
    return tuple(unique), array("d", [-c.arrived_at.timestamp() for c in unique])


def _arrival(call: PortCall) -> datetime:
    return call.arrived_at


def _group(
    calls: Iterable[PortCall],
) -> tuple[dict[str, list[PortCall]], dict[str, list[PortCall]], dict[str, list[PortCall]]]:
    by_imo: dict[str, list[PortCall]] = {}
    by_mmsi: dict[str, list[PortCall]] = {}
    by_mmsi_only: dict[str, list[PortCall]] = {}
    for call in calls:
        if call.imo is not None:
            by_imo.setdefault(call.imo, []).append(call)
        if call.mmsi is not None:
            by_mmsi.setdefault(call.mmsi, []).append(call)
            if call.imo is None:
                by_mmsi_only.setdefault(call.mmsi, []).append(call)
    return by_imo, by_mmsi, by_mmsi_only


class PortCallIndex:
    """Port calls by IMO and by MMSI, each vessel's newest first. Never changed after it is
    built: `add` returns a new index, so a server can swap the one it serves in one assignment.

    Calls that carry an IMO are found by that IMO. Calls that carry only an MMSI are found by
    the MMSI, both when the caller gives no IMO and when the caller's IMO has no calls. A call
    carrying another IMO is never returned for the caller's IMO just because the MMSI agrees:
    MMSIs are re-issued when ships change flag, so they alone do not prove identity.
    """

    __slots__ = ("_by_imo", "_by_mmsi", "_by_mmsi_only", "_count")

    def __init__(self, calls: Iterable[PortCall] = ()) -> None:
        # The same call loaded twice (two files, a reload) is one call.
        by_imo, by_mmsi, by_mmsi_only = _group(dict.fromkeys(calls))
        self._by_imo: dict[str, _Track] = {k: _track(v) for k, v in by_imo.items()}
        self._by_mmsi: dict[str, _Track] = {k: _track(v) for k, v in by_mmsi.items()}
        self._by_mmsi_only: dict[str, _Track] = {k: _track(v) for k, v in by_mmsi_only.items()}
        self._count = self._counted()

    def _counted(self) -> int:
        return sum(len(t[0]) for t in self._by_imo.values()) + sum(
            len(t[0]) for t in self._by_mmsi_only.values()
        )

    def __len__(self) -> int:
        """Distinct calls held."""
        return self._count

    @property
    def vessel_count(self) -> int:
        """Vessels known by IMO plus MMSIs that have calls without an IMO."""
        return len(self._by_imo) + len(self._by_mmsi_only)

    def for_vessel(
        self, imo: str | None = None, mmsi: str | None = None, since: datetime | None = None
    ) -> Sequence[PortCall]:
        """The vessel's calls that arrived at or after `since` (all when None), newest first.

        Linked by IMO when the IMO has calls, else by MMSI (see the class notes). A naive
        `since` is taken as UTC.
        """
        track: _Track | None = None
        imo_key = _imo_key(imo) if imo else None
        if imo_key is not None:
            track = self._by_imo.get(imo_key)
        if track is None and mmsi:
            mmsi_key = mmsi if len(mmsi) == 9 and mmsi.isdigit() else normalize_mmsi(mmsi)
            if mmsi_key is not None:
                table = self._by_mmsi_only if imo_key is not None else self._by_mmsi
                track = table.get(mmsi_key)
        if track is None:
            return ()
        calls, keys = track
        if since is None:
            return calls
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return calls[: bisect_right(keys, -since.timestamp())]

    def add(self, calls: Iterable[PortCall]) -> PortCallIndex:
        """A new index holding this one's calls and `calls`; this one is left as it was."""
        new = PortCallIndex.__new__(PortCallIndex)
        groups = _group(dict.fromkeys(calls))
        merged: list[dict[str, _Track]] = []
        for old, extra in zip(
            (self._by_imo, self._by_mmsi, self._by_mmsi_only), groups, strict=True
        ):
            table = dict(old)
            for key, added in extra.items():
                previous = old.get(key)
                table[key] = _track(
                    list(dict.fromkeys((*previous[0], *added))) if previous else added
                )
            merged.append(table)
        new._by_imo, new._by_mmsi, new._by_mmsi_only = merged
        new._count = new._counted()
        return new


def _imo_key(imo: str) -> str | None:
    if len(imo) == 7 and imo.isdigit():
        return imo
    parsed = parse_imo(imo)
    return None if parsed is None else parsed.digits
