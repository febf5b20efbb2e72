"""Port areas: a circle around each port, sized by its harbour, and a grid index that answers
"which port area holds each of these positions" for whole arrays at once.

The grid cuts the globe into square cells of `AisParams.port_grid_deg`; each cell lists the ports
whose circle reaches into it (compressed: sorted cell keys, offsets, members). A lookup maps every
position to its cell with a searchsorted, expands only the few candidate ports of occupied cells,
and measures those distances: work grows with positions near ports, never with positions times
ports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from service.ais.geo import KM_PER_NM, haversine_km
from service.ais.params import AisParams
from service.portcalls.ports import Port

__all__ = ["PortAreas"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_KM_PER_DEG_LAT = 111.2
# Kilometres per degree of a great circle (the mean Earth radius of service.ais.geo).
_KM_PER_DEG = 111.195


@dataclass(frozen=True, eq=False)
class PortAreas:
    """Ports with coordinates, their radii in km, and the grid over their circles. Index `i`
    in every array is `ports[i]`; lookups return those indices, -1 for "no port area"."""

    ports: tuple[Port, ...]
    lat: FloatArray
    lon: FloatArray
    radius_km: FloatArray
    grid_deg: float
    _keys: IntArray = field(repr=False)
    _offsets: IntArray = field(repr=False)
    _members: IntArray = field(repr=False)
    _buffered: dict[float, PortAreas] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, ports: Iterable[Port], params: AisParams | None = None, buffer_km: float = 0.0
    ) -> PortAreas:
        """Areas for every port that has coordinates (a `PortTable` iterates its ports); each
        circle is the harbour-size radius of `params` plus `buffer_km`."""
        params = params or AisParams()
        kept = tuple(p for p in ports if p.lat is not None and p.lon is not None)
        lat = np.array([p.lat for p in kept], dtype=np.float64)
        lon = np.array([p.lon for p in kept], dtype=np.float64)
        radius = np.array(
            [params.port_radius_km(p.harbor_size) + buffer_km for p in kept], dtype=np.float64
        )
        keys, offsets, members = _grid(lat, lon, radius, params.port_grid_deg)
        return cls(kept, lat, lon, radius, params.port_grid_deg, keys, offsets, members)

    def __len__(self) -> int:
        return len(self.ports)

    def buffered(self, buffer_nm: float) -> PortAreas:
        """These areas widened by `buffer_nm` (built once per buffer and kept)."""
        if buffer_nm <= 0:
            return self
        cached = self._buffered.get(buffer_nm)
        if cached is None:
            extra = buffer_nm * KM_PER_NM
            keys, offsets, members = _grid(
                self.lat, self.lon, self.radius_km + extra, self.grid_deg
            )
            cached = PortAreas(
                self.ports,
                self.lat,
                self.lon,
                self.radius_km + extra,
                self.grid_deg,
                keys,
                offsets,
                members,
            )
            self._buffered[buffer_nm] = cached
        return cached

    def locate(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> IntArray:
        """For each position, the index of the port area holding it (the nearest port when
        circles overlap), or -1."""
        plat = np.asarray(lat, dtype=np.float64)
        plon = np.asarray(lon, dtype=np.float64)
        n = len(plat)
        out = np.full(n, -1, dtype=np.int64)
        if n == 0 or len(self._keys) == 0:
            return out
        cells = _cell_keys(plat, plon, self.grid_deg)
        slot = np.searchsorted(self._keys, cells)
        slot = np.minimum(slot, len(self._keys) - 1)
        hit = np.flatnonzero(self._keys[slot] == cells)
        if len(hit) == 0:
            return out
        first = self._offsets[slot[hit]]
        counts = self._offsets[slot[hit] + 1] - first
        total = int(counts.sum())
        which = np.repeat(hit, counts)
        # Position k of the expansion reads members[first + (k - start of its run)].
        run_start = np.repeat(np.cumsum(counts) - counts, counts)
        candidates = self._members[np.repeat(first, counts) + np.arange(total) - run_start]
        distance = _local_km(plat[which], plon[which], self.lat[candidates], self.lon[candidates])
        inside = distance <= self.radius_km[candidates]
        which, candidates, distance = which[inside], candidates[inside], distance[inside]
        if len(which) == 0:
            return out
        # Nearest port per position: order by (position, distance) and keep each first.
        order = np.lexsort((distance, which))
        which, candidates = which[order], candidates[order]
        first_of = np.concatenate(([True], which[1:] != which[:-1]))
        out[which[first_of]] = candidates[first_of]
        return out

    def contains(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Whether each position lies in any port area."""
        return self.locate(lat, lon) >= 0

    def nearest_within(self, lat: float, lon: float, km: float) -> list[tuple[int, float]]:
        """Ports whose centre is within `km` of one point, nearest first, as (index, km): a
        latitude band narrows the ports measured."""
        if len(self.ports) == 0:
            return []
        band = km / _KM_PER_DEG_LAT
        near = np.flatnonzero(np.abs(self.lat - lat) <= band)
        if len(near) == 0:
            return []
        distance = haversine_km(lat, lon, self.lat[near], self.lon[near])
        keep = distance <= km
        order = np.argsort(distance[keep])
        return [
            (int(i), float(d))
            for i, d in zip(near[keep][order], distance[keep][order], strict=True)
        ]


def _local_km(lat: FloatArray, lon: FloatArray, plat: FloatArray, plon: FloatArray) -> FloatArray:
    """Distance in km from points to nearby port centres on a flat projection at their mean
    latitude: within metres of the great circle at the tens of kilometres a port area spans,
    without most of the trigonometry haversine needs."""
    dlon = (lon - plon + 180.0) % 360.0 - 180.0
    north = (lat - plat) * _KM_PER_DEG
    east = dlon * _KM_PER_DEG * np.cos(np.radians((lat + plat) * 0.5))
    return np.asarray(np.sqrt(north * north + east * east))


def _columns(grid_deg: float) -> int:
    return math.ceil(360.0 / grid_deg)


def _cell_keys(lat: FloatArray, lon: FloatArray, grid_deg: float) -> IntArray:
    columns = _columns(grid_deg)
    row = np.floor((lat + 90.0) / grid_deg).astype(np.int64)
    col = np.floor((lon + 180.0) / grid_deg).astype(np.int64) % columns
    return np.asarray(row * columns + col)


def _grid(
    lat: FloatArray, lon: FloatArray, radius_km: FloatArray, grid_deg: float
) -> tuple[IntArray, IntArray, IntArray]:
    """Sorted cell keys, offsets into `members` (one more than keys) and the port indices of
    every cell a circle reaches (its bounding box in cells: a superset, checked by distance)."""
    columns = _columns(grid_deg)
    pairs: list[tuple[int, int]] = []
    for i in range(len(lat)):
        dlat = radius_km[i] / _KM_PER_DEG_LAT
        coslat = max(math.cos(math.radians(min(89.0, abs(lat[i]) + dlat))), 0.01)
        dlon = min(180.0, dlat / coslat)
        row_lo = math.floor((max(-90.0, lat[i] - dlat) + 90.0) / grid_deg)
        row_hi = math.floor((min(90.0, lat[i] + dlat) + 90.0) / grid_deg)
        col_lo = math.floor((lon[i] - dlon + 180.0) / grid_deg)
        col_hi = math.floor((lon[i] + dlon + 180.0) / grid_deg)
        cols = {c % columns for c in range(col_lo, col_hi + 1)}
        for row in range(row_lo, row_hi + 1):
            for col in cols:
                pairs.append((row * columns + col, i))
    if not pairs:
        empty = np.empty(0, np.int64)
        return empty, np.zeros(1, np.int64), empty
    table = np.array(sorted(set(pairs)), dtype=np.int64)
    keys, first = np.unique(table[:, 0], return_index=True)
    offsets = np.append(first, len(table)).astype(np.int64)
    return keys, offsets, table[:, 1].copy()
