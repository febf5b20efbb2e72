"""Outliers and duplicates dropped and counted, batch by batch."""

from __future__ import annotations

import math

import numpy as np

from service.ais.clean import Cleaner, outlier_mask
from service.ais.model import Positions


def batch(rows: list[tuple[int, int, float, float, float]]) -> Positions:
    mmsi, t, lat, lon, sog = zip(*rows, strict=True)
    return Positions.from_columns(mmsi=mmsi, t=t, lat=lat, lon=lon, sog=sog)


def test_outliers() -> None:
    p = batch([
        (1, 0, 10.0, 10.0, 5.0),       # fine
        (2, 0, 90.5, 10.0, 5.0),       # latitude beyond the pole
        (3, 0, 10.0, -180.5, 5.0),     # longitude beyond the antimeridian
        (4, 0, 0.0, 0.0, 0.0),         # null island
        (5, 0, 0.0, 3.0, 5.0),         # on the equator: fine
        (6, 0, 10.0, 10.0, 61.0),      # too fast for a merchant ship
        (7, 0, 10.0, 10.0, math.nan),  # speed not available: fine
        (8, 0, math.nan, 10.0, 5.0),   # no position
        (9, 0, -90.0, 180.0, 60.0),    # the limits themselves: fine
    ])  # fmt: skip
    assert p.mmsi[outlier_mask(p)].tolist() == [2, 3, 4, 6, 8]
    assert p.mmsi[outlier_mask(p, sog_ceiling=70.0)].tolist() == [2, 3, 4, 8]


def test_duplicates_within_and_across_batches() -> None:
    cleaner = Cleaner()
    first = cleaner.clean(batch([
        (1, 100, 10.0, 10.0, 5.0),
        (1, 100, 10.0, 10.0, 5.1),  # same report heard by a second receiver
        (1, 100, 10.0, 10.1, 5.0),  # same time, other place: kept
        (2, 100, 10.0, 10.0, 5.0),  # other ship: kept
    ]))  # fmt: skip
    assert first.lon.tolist() == [10.0, 10.1, 10.0]
    assert first.sog[0] == np.float32(5.0)  # the first heard is the one kept
    second = cleaner.clean(batch([
        (1, 100, 10.0, 10.0, 5.0),  # repeats the batch before
        (1, 101, 10.0, 10.0, 5.0),
        (3, 0, 0.0, 0.0, 0.0),      # outlier
    ]))  # fmt: skip
    assert second.t.tolist() == [101]
    assert cleaner.duplicates == 2 and cleaner.outliers == 1


def test_out_of_order_times_kept_in_order_given() -> None:
    cleaner = Cleaner()
    kept = cleaner.clean(batch([(1, 300, 1.0, 1.0, 1.0), (1, 100, 1.0, 1.0, 1.0)]))
    assert kept.t.tolist() == [300, 100]
    assert cleaner.duplicates == cleaner.outliers == 0


def test_empty_batches() -> None:
    cleaner = Cleaner()
    assert len(cleaner.clean(Positions.empty())) == 0
    assert len(cleaner.clean(batch([(1, 0, 0.0, 0.0, 0.0)]))) == 0
    assert len(cleaner.clean(batch([(1, 0, 1.0, 1.0, 0.0)]))) == 1
