"""Dropping positions no ship reported: impossible places and speeds (outliers), and the same
report heard twice (duplicates). Column-wise, one batch at a time."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from service.ais.model import Positions

# A merchant ship does not make 60 knots; a faster report is a bad fix or a bad decode. 102.3
# ("not available") is NaN by now and never counts here.
DEFAULT_SOG_CEILING = 60.0


def outlier_mask(
    positions: Positions, sog_ceiling: float = DEFAULT_SOG_CEILING
) -> npt.NDArray[np.bool_]:
    """True where a position is impossible: latitude outside -90..90 or longitude outside
    -180..180 (which includes the "not available" 91 and 181 and NaN), exactly 0/0 (what a
    receiver reports before its first fix), or speed over ground above `sog_ceiling`."""
    lat, lon = positions.lat, positions.lon
    with np.errstate(invalid="ignore"):
        good = (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
        good &= (lat != 0.0) | (lon != 0.0)
        good &= ~(positions.sog > sog_ceiling)
    return ~good


# Odd 64-bit multipliers (as signed int64) that spread each key over all bits of the hash.
_MIX = (
    np.int64(-7046029254386353131),
    np.int64(-4658895280553007687),
    np.int64(0x27D4EB2F165667C5),
)


def _keys(p: Positions) -> tuple[npt.NDArray[np.int64], ...]:
    # Float bit patterns compare exactly.
    return (p.mmsi, p.t, p.lat.view(np.int64), p.lon.view(np.int64))


def _hash(
    mmsi: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    lat: npt.NDArray[np.int64],
    lon: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    # int64 products wrap around, which is what a hash wants.
    return ((mmsi << 33) ^ t) * _MIX[0] ^ lat * _MIX[1] ^ lon * _MIX[2]


@dataclass
class Cleaner:
    """Drops outliers and duplicates from successive batches of one input, counting both.

    A duplicate is a row with the MMSI, time, latitude and longitude of an earlier row in the
    same batch or the batch before it: overlapping receivers log the same report within
    moments, so looking back one batch catches them without keeping the whole input.
    """

    sog_ceiling: float = DEFAULT_SOG_CEILING
    outliers: int = 0
    duplicates: int = 0
    _previous: Positions = field(default_factory=Positions.empty)

    def clean(self, batch: Positions) -> Positions:
        if not len(batch):
            return batch
        bad = outlier_mask(batch, self.sog_ceiling)
        n_bad = int(bad.sum())
        if n_bad:
            self.outliers += n_bad
            batch = batch.take(~bad)
        if not len(batch):
            return batch
        dup = self._duplicate_mask(batch)
        n_dup = int(dup.sum())
        if n_dup:
            self.duplicates += n_dup
            batch = batch.take(~dup)
        self._previous = batch
        return batch

    def _duplicate_mask(self, batch: Positions) -> npt.NDArray[np.bool_]:
        prev = self._previous
        n_prev = len(prev)
        keys = [np.concatenate((a, b)) for a, b in zip(_keys(prev), _keys(batch), strict=True)]
        # One sort on a hash of the four keys, then an exact comparison of neighbours. The
        # sort is stable, so of equal rows the first in input order comes first and is kept.
        # Equal rows are neighbours unless an unequal row with the same 64-bit hash falls
        # between them, which leaves a duplicate in place and never drops a good row.
        order = np.argsort(_hash(*keys), kind="stable")
        same = np.ones(len(order) - 1, dtype=bool)
        for key in keys:
            ordered = key[order]
            same &= ordered[1:] == ordered[:-1]
        dup_sorted = np.concatenate(([False], same))
        dup = np.empty(len(order), dtype=bool)
        dup[order] = dup_sorted
        return dup[n_prev:]
