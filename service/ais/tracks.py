"""Tracks per ship: positions sorted by (MMSI, time) with each MMSI's segment located, and the
identity timeline that static reports give every MMSI (names, IMO numbers, call signs, types).

Sorting and segmenting are whole-array numpy operations (lexsort, diff, flatnonzero), so building
tracks from millions of reports costs a sort, not a Python loop per report.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from service.ais.geo import step_nm as steps_nm
from service.ais.model import Positions, StaticReport
from service.identifiers import normalize_call_sign, normalize_mmsi, parse_imo

__all__ = ["IdentitySpan", "IdentityTimeline", "Motion", "Tracks", "normalize_ship_name"]

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Tracks:
    """Positions ordered by MMSI then time; segment `i` (MMSI `mmsis[i]`) is the rows
    `starts[i]:ends[i]`. Exact duplicate reports (same MMSI, time and place: one message heard by
    several receivers) are kept once."""

    positions: Positions
    mmsis: IntArray
    starts: IntArray
    ends: IntArray

    @classmethod
    def build(cls, batches: Positions | Iterable[Positions]) -> Tracks:
        """Tracks from one or more batches in any order."""
        merged = batches if isinstance(batches, Positions) else Positions.concat(batches)
        order = _track_order(merged)
        ordered = merged if order is None else merged.take(order)
        if len(ordered) > 1:
            same = (
                (np.diff(ordered.mmsi) == 0)
                & (np.diff(ordered.t) == 0)
                & (np.diff(ordered.lat) == 0)
                & (np.diff(ordered.lon) == 0)
            )
            if same.any():
                ordered = ordered.take(np.concatenate(([True], ~same)))
        return cls.from_sorted(ordered)

    @classmethod
    def from_sorted(cls, ordered: Positions) -> Tracks:
        """Tracks from positions already sorted by (MMSI, time)."""
        n = len(ordered)
        if n == 0:
            empty = np.empty(0, np.int64)
            return cls(ordered, empty, empty, empty)
        starts = np.flatnonzero(np.concatenate(([True], ordered.mmsi[1:] != ordered.mmsi[:-1])))
        ends = np.append(starts[1:], n)
        return cls(ordered, ordered.mmsi[starts], starts.astype(np.int64), ends.astype(np.int64))

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def ship_count(self) -> int:
        return len(self.mmsis)

    def segment(self, mmsi: int | str) -> slice:
        """The rows of one MMSI (an empty slice when it has none)."""
        key = int(mmsi)
        i = int(np.searchsorted(self.mmsis, key))
        if i < len(self.mmsis) and self.mmsis[i] == key:
            return slice(int(self.starts[i]), int(self.ends[i]))
        return slice(0, 0)

    def track(self, mmsi: int | str) -> Positions:
        """One MMSI's positions in time order."""
        return self.positions.take(self.segment(mmsi))

    def same_ship_as_next(self) -> npt.NDArray[np.bool_]:
        """For each row but the last: whether the next row is the same MMSI (length n - 1), the
        mask that keeps differences between rows inside one track."""
        m = self.positions.mmsi
        return np.asarray(m[1:] == m[:-1])

    def is_last_of_track(self) -> npt.NDArray[np.bool_]:
        out = np.zeros(len(self), dtype=bool)
        out[self.ends - 1] = True
        return out

    def partition(self, parts: int) -> list[Tracks]:
        """Split into `parts` groups of whole tracks (by MMSI modulo `parts`), each derivable on
        its own."""
        if parts <= 1:
            return [self]
        group = self.positions.mmsi % parts
        return [Tracks.from_sorted(self.positions.take(group == k)) for k in range(parts)]


def _track_order(p: Positions) -> IntArray | None:
    """The permutation sorting rows by (MMSI, time); None when they already are.

    MMSIs fit in 30 bits and a span of times in 32, so one int64 key sorts on both with a
    single stable argsort (about twice as fast as a two-key lexsort); other values fall back
    to lexsort.
    """
    if len(p) < 2:
        return None
    t0 = int(p.t.min())
    if int(p.mmsi.min()) >= 0 and int(p.mmsi.max()) < 2**31 and int(p.t.max()) - t0 < 2**32:
        key = (p.mmsi << 32) | (p.t - t0)
        if bool(np.all(key[1:] >= key[:-1])):
            return None
        return np.argsort(key, kind="stable")
    return np.lexsort((p.t, p.mmsi))


# --- Identity timeline ---------------------------------------------------------------------------

_SPACES = " \t\r\n@"


def normalize_ship_name(name: str | None) -> str | None:
    """Upper case, AIS padding ("@") and surplus spaces gone; None when nothing is left."""
    if name is None:
        return None
    text = " ".join(name.strip(_SPACES).replace("@", " ").upper().split())
    return text or None


def _imo_digits(value: str | None) -> str | None:
    parsed = parse_imo(value)
    return parsed.digits if parsed is not None and parsed.valid else None


@dataclass(frozen=True, slots=True)
class IdentitySpan:
    """What one MMSI broadcast from `first_seen` to `last_seen` (fields it never sent are None):
    one span per distinct (name, IMO, call sign), in time order; `ship_type` is the last type
    sent within the span."""

    mmsi: str
    first_seen: datetime
    last_seen: datetime
    name: str | None
    imo: str | None
    call_sign: str | None
    ship_type: int | None
    reports: int


@dataclass(frozen=True, eq=False)
class Motion:
    """Steps between consecutive rows of `Tracks` (length n - 1; a step across two tracks is
    masked out by `same`), and each row's effective speed: the reported speed over ground, or
    where the report has none the speed implied by the step that led to it (the step after it
    for a track's first row)."""

    same: npt.NDArray[np.bool_]
    step_nm: npt.NDArray[np.float64]
    step_s: IntArray
    speed_kn: npt.NDArray[np.float64]

    @classmethod
    def of(cls, tracks: Tracks) -> Motion:
        p = tracks.positions
        same = tracks.same_ship_as_next()
        step_nm = steps_nm(p.lat, p.lon)
        step_s = np.diff(p.t)
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = np.where(step_s > 0, step_nm * 3600.0 / step_s, np.nan)
        implied[~same] = np.nan
        before = np.concatenate(([np.nan], implied))
        after = np.concatenate((implied, [np.nan]))
        fallback = np.where(np.isnan(before), after, before)
        sog = p.sog.astype(np.float64)
        speed = np.where(np.isfinite(sog), sog, fallback)
        return cls(same, step_nm, step_s, speed)


class IdentityTimeline:
    """Each MMSI's broadcast identity over time, and the links between IMOs and MMSIs.

    A static report that omits a field (type 24 part A has no call sign) carries the last value
    the MMSI sent forward, so a span is the full identity the ship presented. IMO numbers are
    kept only when their check digit holds: broadcast IMOs are often placeholders or typos.
    """

    def __init__(self, statics: Iterable[StaticReport]) -> None:
        by_mmsi: dict[str, list[StaticReport]] = {}
        for report in statics:
            mmsi = normalize_mmsi(report.mmsi)
            if mmsi is not None:
                by_mmsi.setdefault(mmsi, []).append(report)
        self._spans: dict[str, list[IdentitySpan]] = {}
        self._by_imo: dict[str, set[str]] = {}
        for mmsi, reports in by_mmsi.items():
            reports.sort(key=lambda r: r.at)
            spans = list(_spans_of(mmsi, reports))
            self._spans[mmsi] = spans
            for span in spans:
                if span.imo is not None:
                    self._by_imo.setdefault(span.imo, set()).add(mmsi)
        self._starts = {m: [s.first_seen for s in spans] for m, spans in self._spans.items()}

    def __contains__(self, mmsi: object) -> bool:
        return isinstance(mmsi, str | int) and normalize_mmsi(mmsi) in self._spans

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def mmsis_for(self, imo: str | None = None, mmsi: str | None = None) -> set[str]:
        """MMSIs a listed ship may broadcast under: those that sent its IMO, plus the MMSI given
        (whether or not it sent static data: a position-only track is still the ship)."""
        found: set[str] = set()
        digits = _imo_digits(imo)
        if digits is not None:
            found |= self._by_imo.get(digits, set())
        normal = normalize_mmsi(mmsi)
        if normal is not None:
            found.add(normal)
        return found

    def imos_for(self, mmsi: str) -> set[str]:
        """Valid IMO numbers this MMSI broadcast at any time."""
        return {s.imo for s in self.spans(mmsi) if s.imo is not None}

    def mmsis_by_imo(self) -> dict[str, set[str]]:
        """IMO -> the MMSIs that broadcast it."""
        return {imo: set(mmsis) for imo, mmsis in self._by_imo.items()}

    def spans(
        self, mmsi: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[IdentitySpan]:
        """The MMSI's identity spans overlapping [start, end] (all when both are None); the span
        in force at `start` is included even if it began earlier."""
        key = normalize_mmsi(mmsi)
        spans = self._spans.get(key or "", [])
        out = []
        for i, span in enumerate(spans):
            following = spans[i + 1].first_seen if i + 1 < len(spans) else None
            if end is not None and span.first_seen > end:
                break
            if start is not None and following is not None and following <= start:
                continue
            out.append(span)
        return out

    def identity_at(self, mmsi: str, when: datetime) -> IdentitySpan | None:
        """The identity in force at `when`: the last span begun by then, else the first one (a
        ship's first static report often comes minutes after its first position)."""
        key = normalize_mmsi(mmsi) or ""
        spans = self._spans.get(key)
        if not spans:
            return None
        i = bisect_right(self._starts[key], when) - 1
        return spans[max(i, 0)]


def _spans_of(mmsi: str, reports: list[StaticReport]) -> Iterator[IdentitySpan]:
    name = imo = call_sign = None
    ship_type: int | None = None
    current: IdentitySpan | None = None
    for report in reports:
        name = normalize_ship_name(report.name) or name
        imo = _imo_digits(report.imo) or imo
        call_sign = normalize_call_sign(report.call_sign) or call_sign
        ship_type = report.ship_type if report.ship_type is not None else ship_type
        if current is not None and (current.name, current.imo, current.call_sign) == (
            name,
            imo,
            call_sign,
        ):
            current = IdentitySpan(
                mmsi,
                current.first_seen,
                report.at,
                name,
                imo,
                call_sign,
                ship_type if ship_type is not None else current.ship_type,
                current.reports + 1,
            )
            continue
        if current is not None:
            yield current
        current = IdentitySpan(mmsi, report.at, report.at, name, imo, call_sign, ship_type, 1)
    if current is not None:
        yield current
