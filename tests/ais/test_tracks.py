"""Tracks: sorting and segmenting batches of positions, motion between reports, and the identity
timeline that links MMSIs, IMO numbers and names over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from service.ais.geo import haversine_nm, step_nm
from service.ais.model import Positions, StaticReport
from service.ais.tracks import IdentityTimeline, Motion, Tracks, normalize_ship_name

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _positions(rows: list[tuple[int, int, float, float]], sog: float = float("nan")) -> Positions:
    mmsi, t, lat, lon = zip(*rows, strict=True)
    return Positions.from_columns(mmsi=mmsi, t=t, lat=lat, lon=lon, sog=[sog] * len(rows))


def test_batches_in_any_order_become_sorted_segments() -> None:
    one = _positions([(300, 50, 1.0, 1.0), (100, 20, 0.0, 0.0), (200, 5, 2.0, 2.0)])
    two = _positions([(100, 10, 0.0, 0.1), (300, 40, 1.0, 1.1), (100, 30, 0.0, 0.2)])
    tracks = Tracks.build([one, two])
    assert tracks.mmsis.tolist() == [100, 200, 300]
    assert tracks.starts.tolist() == [0, 3, 4]
    assert tracks.ends.tolist() == [3, 4, 6]
    assert tracks.track(100).t.tolist() == [10, 20, 30]
    assert tracks.track("300").t.tolist() == [40, 50]
    assert len(tracks.track(999)) == 0
    assert tracks.same_ship_as_next().tolist() == [True, True, False, False, True]


def test_exact_duplicates_kept_once_but_conflicting_reports_kept() -> None:
    batch = _positions([(100, 10, 0.0, 0.0), (100, 10, 0.0, 0.0), (100, 10, 0.5, 0.0)])
    tracks = Tracks.build(batch)
    assert len(tracks) == 2
    assert sorted(tracks.positions.lat.tolist()) == [0.0, 0.5]


def test_empty_tracks() -> None:
    tracks = Tracks.build([])
    assert len(tracks) == 0 and tracks.ship_count == 0
    assert len(Motion.of(tracks).speed_kn) == 0


def test_partition_keeps_whole_tracks() -> None:
    rows = [(m, t, 0.0, t / 1000) for m in range(100, 110) for t in range(0, 500, 100)]
    tracks = Tracks.build(_positions(rows))
    parts = tracks.partition(3)
    assert sum(len(p) for p in parts) == len(tracks)
    for part in parts:
        assert {int(m) % 3 for m in part.mmsis} <= {int(part.mmsis[0]) % 3}
        assert all(len(part.track(int(m))) == 5 for m in part.mmsis)


def test_motion_uses_reported_speed_and_fills_missing_with_implied() -> None:
    # 0.1 degree of latitude (6 nm) per hour: 6 knots implied.
    rows = [(100, 0, 0.0, 0.0), (100, 3600, 0.1, 0.0), (100, 7200, 0.2, 0.0), (200, 0, 5.0, 5.0)]
    batch = _positions(rows)
    sog = batch.sog.copy()
    sog[1] = 3.0
    batch = Positions(batch.mmsi, batch.t, batch.lat, batch.lon, sog, batch.cog, batch.heading,
                      batch.status)  # fmt: skip
    motion = Motion.of(Tracks.build(batch))
    assert motion.step_nm[:2] == pytest.approx([6.0, 6.0], rel=0.01)
    # First row: the step after it; second: reported; third: the step before it.
    assert motion.speed_kn[:3] == pytest.approx([6.0, 3.0, 6.0], rel=0.01)
    assert np.isnan(motion.speed_kn[3])  # a lone report has no speed to imply
    assert motion.same.tolist() == [True, True, False]


def _static(mmsi: str, hours: float, **fields: object) -> StaticReport:
    return StaticReport(mmsi, T0 + timedelta(hours=hours), **fields)  # type: ignore[arg-type]


def test_identity_timeline_spans_and_lookup() -> None:
    timeline = IdentityTimeline(
        [
            _static("273000005", 10, name="SEA PEARL", call_sign="UBZZ9", imo="9161003"),
            _static("273000005", 0, name="ocean  star@@", imo="IMO 9161003", ship_type=70),
            _static("273000005", 1, call_sign="ub-ab1"),  # a part B: call sign only
            _static("273000005", 5, name="OCEAN STAR", call_sign="UBAB1"),
            _static("351000008", 2, name="TWIN", imo="9161003"),
            _static("351000009", 2, name="BAD IMO", imo="9161004"),  # check digit fails
        ]
    )
    spans = timeline.spans("273000005")
    assert [(s.name, s.call_sign) for s in spans] == [
        ("OCEAN STAR", None),
        ("OCEAN STAR", "UBAB1"),
        ("SEA PEARL", "UBZZ9"),
    ]
    assert spans[1].reports == 2 and spans[1].last_seen == T0 + timedelta(hours=5)
    assert spans[0].imo == "9161003" and spans[2].ship_type == 70
    at = timeline.identity_at("273000005", T0 + timedelta(hours=7))
    assert at is not None and at.name == "OCEAN STAR"
    early = timeline.identity_at("273000005", T0 - timedelta(hours=1))
    assert early is not None and early.call_sign is None
    assert timeline.identity_at("999999999", T0) is None
    during = timeline.spans("273000005", T0 + timedelta(hours=6), T0 + timedelta(hours=11))
    assert [s.name for s in during] == ["OCEAN STAR", "SEA PEARL"]

    assert timeline.mmsis_for(imo="9161003") == {"273000005", "351000008"}
    assert timeline.mmsis_for(imo="IMO 9161003", mmsi="211000000") == {
        "273000005",
        "351000008",
        "211000000",
    }
    assert timeline.mmsis_for(imo="9161004") == set()
    assert timeline.mmsis_for(mmsi="351000009") == {"351000009"}
    assert timeline.imos_for("351000009") == set()
    assert "273000005" in timeline and "111" not in timeline


def test_normalize_ship_name() -> None:
    assert normalize_ship_name("  lady r@@@@ ") == "LADY R"
    assert normalize_ship_name("@@@@") is None
    assert normalize_ship_name(None) is None


def test_order_paths_agree() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    mmsi = rng.integers(200_000_000, 200_000_050, n)
    t = rng.integers(0, 10**6, n)
    batch = Positions.from_columns(mmsi=mmsi, t=t, lat=rng.uniform(0, 1, n), lon=np.zeros(n))
    expected = np.lexsort((t, mmsi))
    fast = Tracks.build(batch)  # one packed key
    assert np.array_equal(fast.positions.t, t[expected])
    assert np.array_equal(fast.positions.mmsi, mmsi[expected])
    again = Tracks.build(fast.positions)  # already sorted: taken as it is
    assert again.positions is fast.positions
    # Times spanning more than 2**32 s cannot be packed: the two-key sort gives the same order.
    wide = Positions.from_columns(mmsi=mmsi, t=t * 10**4, lat=batch.lat, lon=batch.lon)
    assert np.array_equal(Tracks.build(wide).positions.mmsi, mmsi[expected])


def test_step_distances_match_haversine() -> None:
    rng = np.random.default_rng(9)
    lat, lon = rng.uniform(-80, 80, 500), rng.uniform(-180, 180, 500)
    expected = haversine_nm(lat[:-1], lon[:-1], lat[1:], lon[1:])
    assert step_nm(lat, lon) == pytest.approx(expected, rel=1e-9)
    assert len(step_nm(lat[:1], lon[:1])) == 0
