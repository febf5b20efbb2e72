"""Position jumps: impossible speeds over real distance, grouped per burst; jitter and fast
ordinary sailing raise none."""

from __future__ import annotations

import numpy as np

from service.ais.jumps import find_jumps
from service.ais.model import Positions
from service.ais.params import AisParams
from service.ais.tracks import Motion, Tracks


def _jumps(
    lat: np.ndarray, lon: np.ndarray, t: np.ndarray, params: AisParams | None = None
) -> list:
    positions = Positions.from_columns(mmsi=np.full(len(t), 273000009), t=t, lat=lat, lon=lon)
    tracks = Tracks.build(positions)
    return find_jumps(tracks, Motion.of(tracks), params or AisParams(), "x")


def test_two_transmitters_sharing_an_mmsi_are_one_event() -> None:
    # Reports alternate between two ships 30 nm apart, every 2 minutes for an hour and a half.
    t = np.arange(0, 5400, 120)
    lat = np.where(np.arange(len(t)) % 2 == 0, 40.0, 40.5)
    (event,) = _jumps(lat, np.full(len(t), 134.0), t)
    assert event.evidence["jumps"] == len(t) - 1
    assert abs(event.evidence["distance_nm"] - 30.0) < 0.2
    assert event.evidence["returned"] is True


def test_spoofed_reports_hours_apart_are_separate_events() -> None:
    t = np.arange(0, 6 * 3600, 300)
    lat = 40.0 + t * 10 / 3600 / 60  # 10 knots north
    lat[[5, 50]] += 1.0  # two single spoofed reports, 3 h 45 min apart
    events = _jumps(lat, np.full(len(t), 134.0), t)
    assert [e.evidence["jumps"] for e in events] == [2, 2]
    assert [int(e.start.timestamp()) for e in events] == [4 * 300, 49 * 300]
    joined = _jumps(lat, np.full(len(t), 134.0), t, AisParams(jump_join_hours=4))
    assert [e.evidence["jumps"] for e in joined] == [4]


def test_jitter_fast_ships_and_same_second_reports() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(0, 3600, 2)
    # Jitter of 20 m every 2 s is "36 knots" between reports, over metres: not a jump.
    lat = 40.0 + rng.normal(0, 0.0002, len(t))
    assert _jumps(lat, np.full(len(t), 134.0), t) == []
    # A 40-knot ferry is fast, not impossible.
    ferry = 40.0 + t * 40 / 3600 / 60
    assert _jumps(ferry, np.full(len(t), 134.0), t) == []
    # Two reports in the same second 5 nm apart: infinite speed, reported without a number.
    (event,) = _jumps(np.array([40.0, 40.0 + 5 / 60]), np.array([134.0, 134.0]), np.array([10, 10]))
    assert event.evidence["implied_speed_kn"] is None and event.evidence["seconds"] == 0
