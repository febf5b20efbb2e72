"""The meeting search's space-time join, checked against comparing every pair, at low and high
latitudes, and its grouping of close bins into meetings."""

from __future__ import annotations

import numpy as np
import pytest

from service.ais.encounters import EncounterPoints, _close_pairs, find_encounters
from service.ais.geo import haversine_km
from service.ais.params import AisParams
from service.ais.tracks import IdentityTimeline


def _points(
    mmsi: np.ndarray, bins: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> EncounterPoints:
    t = bins * 600
    return EncounterPoints(mmsi.astype(np.int64), bins.astype(np.int64), t, t + 540,
                           lat.astype(np.float64), lon.astype(np.float64),
                           np.full(len(mmsi), 0.5))  # fmt: skip


@pytest.mark.parametrize("centre_lat", [0.0, 42.0, 71.0])
def test_close_pairs_match_brute_force(centre_lat: float) -> None:
    rng = np.random.default_rng(int(centre_lat) + 1)
    n = 3000
    # Crowded: 3000 points in a few km square over 3 bins, so many pairs fall near the limit.
    lat = centre_lat + rng.uniform(0, 0.03, n)
    lon = 20.0 + rng.uniform(0, 0.03 / np.cos(np.radians(centre_lat)), n)
    bins = rng.integers(0, 3, n)
    mmsi = np.arange(n) + 200_000_000
    points = _points(mmsi, bins, lat, lon)
    a, b, km = _close_pairs(points, 0.5)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    ia, ib = np.nonzero(
        (d <= 0.5) & (bins[:, None] == bins[None, :]) & (mmsi[:, None] < mmsi[None, :])
    )
    expected = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert len(expected) > 1000
    assert found == expected
    assert np.all(km <= 0.5)


def test_meeting_needs_duration_and_low_median_speed() -> None:
    params = AisParams()
    bins = np.arange(100, 115)  # 15 bins: 2.5 h
    lat = np.full(15, 40.0)
    mmsi_a, mmsi_b = np.full(15, 273000001), np.full(15, 273000002)
    points = _points(np.concatenate((mmsi_a, mmsi_b)), np.concatenate((bins, bins)),
                     np.concatenate((lat, lat + 0.002)), np.full(30, 134.0))  # fmt: skip
    events = find_encounters(points, IdentityTimeline([]), params, "x")
    assert sorted(e.mmsi for e in events) == ["273000001", "273000002"]
    assert events[0].evidence["median_distance_m"] == pytest.approx(222, abs=2)
    assert events[0].evidence["other_name"] is None

    short = AisParams(encounter_min_hours=3)
    assert find_encounters(points, IdentityTimeline([]), short, "x") == []

    fast = EncounterPoints(points.mmsi, points.bin, points.t_first, points.t_last, points.lat,
                           points.lon, np.full(30, 3.0))  # fmt: skip
    assert find_encounters(fast, IdentityTimeline([]), params, "x") == []

    # A hole longer than the allowed gap splits the meeting into two too short to count.
    holed = np.concatenate((np.arange(100, 108), np.arange(113, 121)))
    split = _points(np.concatenate((mmsi_a[:1].repeat(16), mmsi_b[:1].repeat(16))),
                    np.concatenate((holed, holed)), np.concatenate((lat[:1].repeat(16),
                    lat[:1].repeat(16) + 0.002)), np.full(32, 134.0))  # fmt: skip
    assert find_encounters(split, IdentityTimeline([]), params, "x") == []
    patient = AisParams(encounter_max_gap_bins=5)
    assert len(find_encounters(split, IdentityTimeline([]), patient, "x")) == 2
