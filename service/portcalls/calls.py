"""Port calls and the in-memory index that answers "which calls did this vessel make since T"
with a look-up, a bisect and a slice.

`PortCall` is one reported stay of a vessel in a port; `Rejected` and `CallFileSummary` say
what loading a file gave (`call_files` reads the files). `PortCallIndex` holds every vessel's
calls newest first and is never changed once built.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np

from service.identifiers import normalize_mmsi, parse_imo
from service.portcalls.call_model import CallFileSummary, CallFormat, PortCall, Rejected
from service.portcalls.packed_calls import PackedCalls, packable

__all__ = [
    "CallFileSummary",
    "CallFormat",
    "PortCall",
    "PortCallIndex",
    "Rejected",
]


# --- Calls added after the index was built ------------------------------------------------------

# A vessel's calls newest first, and the parallel keys -arrived_at (epoch seconds), ascending, so
# that "arrived at or after T" is the prefix bisect_right(keys, -T) long.
_Track = tuple[tuple[PortCall, ...], array]
_Tables = tuple[dict[str, _Track], dict[str, _Track], dict[str, _Track]]


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


_EMPTY = PackedCalls.build([])


class PortCallIndex:
    """Port calls by IMO and by MMSI, each vessel's newest first. Never changed after it is
    built: `add` returns a new index, so a server can swap the one it serves in one assignment.

    Calls that carry an IMO are found by that IMO. Calls that carry only an MMSI are found by
    the MMSI, both when the caller gives no IMO and when the caller's IMO has no calls. A call
    carrying another IMO is never returned for the caller's IMO just because the MMSI agrees:
    MMSIs are re-issued when ships change flag, so they alone do not prove identity.

    The calls it is built with are held in arrays (`PackedCalls`): a file's hundreds of
    thousands of calls cost no Python object each, and the workers forked from the process that
    built the index share its pages. A call is made into an object when a look-up returns it.
    Calls added later (pushed, derived from AIS) are few: each vessel they touch gets a track of
    objects, its packed calls and the added ones merged, which its look-ups read instead.
    """

    __slots__ = ("_by_imo", "_by_mmsi", "_by_mmsi_only", "_count", "_packed", "_vessels")
    _packed: PackedCalls
    _by_imo: dict[str, _Track]
    _by_mmsi: dict[str, _Track]
    _by_mmsi_only: dict[str, _Track]
    _count: int
    _vessels: int

    def __init__(self, calls: Iterable[PortCall] = ()) -> None:
        # The same call loaded twice (two files, a reload) is one call.
        unique = list(dict.fromkeys(calls))
        if all(map(packable, unique)):
            # A call with neither an IMO nor an MMSI can never be asked for: it is not kept.
            named = [c for c in unique if c.imo is not None or c.mmsi is not None]
            self._start(PackedCalls.build(named))
        else:  # values the arrays would not give back as they are: kept as they are
            self._start(_EMPTY)
            self._by_imo, self._by_mmsi, self._by_mmsi_only = self._merged(_group(unique))

    @classmethod
    def of_packed(cls, packed: PackedCalls) -> PortCallIndex:
        """An index of the calls `packed` holds (read back from the cache, say)."""
        index = cls.__new__(cls)
        index._start(packed)
        return index

    def _start(self, packed: PackedCalls) -> None:
        self._packed = packed
        self._by_imo, self._by_mmsi, self._by_mmsi_only = {}, {}, {}
        self._count = len(packed)
        self._vessels = packed.vessel_count

    @property
    def packed(self) -> PackedCalls | None:
        """The arrays, when they hold every call of the index (nothing added, nothing kept as
        an object); None otherwise."""
        unpacked = self._by_imo or self._by_mmsi or self._by_mmsi_only
        return None if unpacked else self._packed

    def __len__(self) -> int:
        """Distinct calls held."""
        return self._count

    @property
    def vessel_count(self) -> int:
        """Vessels known by IMO plus MMSIs that have calls without an IMO."""
        return self._vessels

    def for_vessel(
        self, imo: str | None = None, mmsi: str | None = None, since: datetime | None = None
    ) -> Sequence[PortCall]:
        """The vessel's calls that arrived at or after `since` (all when None), newest first.

        Linked by IMO when the IMO has calls, else by MMSI (see the class notes). A naive
        `since` is taken as UTC.
        """
        since = _utc(since)
        found = self._find(imo, mmsi)
        if found is None:
            return ()
        if isinstance(found, tuple):
            calls, keys = found
            return calls if since is None else calls[: bisect_right(keys, -since.timestamp())]
        return self._packed.calls(self._packed.within(found, since))

    def count(
        self, imo: str | None = None, mmsi: str | None = None, since: datetime | None = None
    ) -> int:
        """How many calls `for_vessel` gives, without making them into objects."""
        since = _utc(since)
        found = self._find(imo, mmsi)
        if found is None:
            return 0
        if isinstance(found, tuple):
            calls, keys = found
            return len(calls) if since is None else bisect_right(keys, -since.timestamp())
        return len(self._packed.within(found, since))

    def _find(self, imo: str | None, mmsi: str | None) -> _Track | np.ndarray | None:
        """The vessel's track of objects, or its rows in the arrays; None when it has no calls."""
        imo_key = _imo_key(imo) if imo else None
        if imo_key is not None:
            track = self._by_imo.get(imo_key)
            if track is not None:
                return track
            rows = self._packed.imo_track(imo_key)
            if rows is not None:
                return rows
        if not mmsi:
            return None
        mmsi_key = mmsi if len(mmsi) == 9 and mmsi.isdigit() else normalize_mmsi(mmsi)
        if mmsi_key is None:
            return None
        table = self._by_mmsi_only if imo_key is not None else self._by_mmsi
        track = table.get(mmsi_key)
        if track is not None:
            return track
        return self._packed.mmsi_track(mmsi_key, without_imo=imo_key is not None)

    def add(self, calls: Iterable[PortCall]) -> PortCallIndex:
        """A new index holding this one's calls and `calls`; this one is left as it was."""
        new = PortCallIndex.__new__(PortCallIndex)
        new._packed = self._packed
        new._count, new._vessels = self._count, self._vessels
        new._by_imo, new._by_mmsi, new._by_mmsi_only = new._merged(
            _group(dict.fromkeys(calls)), (self._by_imo, self._by_mmsi, self._by_mmsi_only)
        )
        return new

    def _merged(
        self, groups: Iterable[dict[str, list[PortCall]]], old: _Tables | None = None
    ) -> _Tables:
        """`old`'s tracks with `groups` (calls by IMO, by MMSI, by MMSI without IMO, each free
        of repeats) merged in, each vessel's from its track in `old` or else in the arrays; the
        counts of calls and vessels brought up to date."""
        merged: list[dict[str, _Track]] = []
        old = old or ({}, {}, {})
        for table_number, (previous_tracks, extra) in enumerate(zip(old, groups, strict=True)):
            table = dict(previous_tracks)
            for key, added in extra.items():
                kept = previous_tracks.get(key)
                previous = kept[0] if kept else self._packed_calls(table_number, key)
                table[key] = _track(list(dict.fromkeys((*previous, *added))) if previous else added)
                if table_number != 1:  # by IMO and by MMSI alone: each call once
                    self._count += len(table[key][0]) - len(previous)
                    self._vessels += not previous
            merged.append(table)
        return merged[0], merged[1], merged[2]

    def _packed_calls(self, table_number: int, key: str) -> tuple[PortCall, ...]:
        packed = self._packed
        rows = (
            packed.imo_track(key)
            if table_number == 0
            else packed.mmsi_track(key, without_imo=table_number == 2)
        )
        return () if rows is None else packed.calls(rows)


def _utc(since: datetime | None) -> datetime | None:
    return since.replace(tzinfo=UTC) if since is not None and since.tzinfo is None else since


def _imo_key(imo: str) -> str | None:
    if len(imo) == 7 and imo.isdigit():
        return imo
    parsed = parse_imo(imo)
    return None if parsed is None else parsed.digits
