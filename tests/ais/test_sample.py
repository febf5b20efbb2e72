"""The bundled AIS sample shows what `make run` promises whenever it is loaded: LADY R's calls at
Vostochny and Rajin, the dark gap between them and the meeting at sea, recent enough for the
default look-back; the ordinary ships raise nothing beyond calls at ports of no concern."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.ais.derive import DerivedEvents, derive_events
from service.ais.model import Positions, StaticReport
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.ais.sample import (
    BUNDLED_SAMPLE,
    DEFAULT_INTERVAL_S,
    STATIC_EVERY_S,
    load_sample,
    sample_source,
)
from service.portcalls.ports import load_bundled_ports
from service.portcalls.risk import call_risks, load_risk_policy

LADY_R_IMO = "9161003"
MAIA_1_IMO = "9358010"
# The plan's other ships that must look like ordinary traffic.
ORDINARY = {"352004871": "NORTHERN CREST", "440318000": "EASTERN WAVE", "273418260": "TROITSA BAY"}
PARTNER = ("445208000", "SONGRIM 5")
NOWS = (datetime(2026, 12, 7, 9, 0, tzinfo=UTC), datetime(2028, 2, 29, 23, 17, 5, tzinfo=UTC))


@pytest.fixture(scope="module")
def areas() -> PortAreas:
    return PortAreas.build(load_bundled_ports())


@pytest.fixture(scope="module", params=NOWS, ids=lambda now: now.date().isoformat())
def rendered(
    request: pytest.FixtureRequest, areas: PortAreas
) -> tuple[datetime, Positions, list[StaticReport], DerivedEvents]:
    now: datetime = request.param
    positions, statics = load_sample(BUNDLED_SAMPLE, now)
    derived = derive_events(positions, statics, areas, AisParams(), sample_source(BUNDLED_SAMPLE))
    return now, positions, statics, derived


def test_lady_r_calls_goes_dark_and_meets(
    rendered: tuple[datetime, Positions, list[StaticReport], DerivedEvents],
) -> None:
    now, _, _, derived = rendered
    events = derived.for_vessel(imo=LADY_R_IMO)
    calls = {e.evidence["locode"]: e for e in events if e.kind == "port_call"}
    assert set(calls) == {"RUVYP", "KPRJN"}
    vostochny, rajin = calls["RUVYP"], calls["KPRJN"]
    assert vostochny.end < rajin.start

    gaps = [e for e in events if e.kind == "ais_gap"]
    assert len(gaps) == 1
    gap = gaps[0]
    assert vostochny.end < gap.start < gap.end < rajin.start
    assert gap.hours >= AisParams().gap_min_hours

    meetings = [e for e in events if e.kind == "ship_to_ship"]
    assert len(meetings) == 1
    meeting = meetings[0]
    assert (meeting.evidence["other_mmsi"], meeting.evidence["other_name"]) == PARTNER
    assert vostochny.end < meeting.start < gap.start
    # The partner's side of the meeting names LADY R back.
    (back,) = derived.for_mmsi(PARTNER[0], "ship_to_ship")
    assert back.evidence["other_name"] == "LADY R"

    for event in derived.events:
        assert now - timedelta(days=60) <= event.start <= event.end <= now, event


def test_maia_1_calls_at_rajin(
    rendered: tuple[datetime, Positions, list[StaticReport], DerivedEvents],
) -> None:
    _, _, _, derived = rendered
    events = derived.for_vessel(imo=MAIA_1_IMO)
    assert [e.evidence["locode"] for e in events if e.kind == "port_call"] == ["KPRJN"]
    assert {e.kind for e in events} == {"port_call"}


def test_ordinary_ships_raise_nothing_of_concern(
    rendered: tuple[datetime, Positions, list[StaticReport], DerivedEvents],
) -> None:
    _, _, statics, derived = rendered
    names = {s.mmsi: s.name for s in statics}
    policy = load_risk_policy(ports=load_bundled_ports())
    for mmsi, name in ORDINARY.items():
        assert names[mmsi] == name
        kinds = {e.kind for e in derived.for_mmsi(mmsi)}
        assert kinds <= {"port_call"}, (name, kinds)
        for call in (c for c in derived.port_calls if c.mmsi == mmsi):
            assert call_risks(call, policy) == (), (name, call.locode)
    visited = {c.locode for c in derived.port_calls if c.mmsi in ORDINARY}
    assert "RUVVO" in visited


def test_port_calls_are_derived_records(
    rendered: tuple[datetime, Positions, list[StaticReport], DerivedEvents],
) -> None:
    _, _, _, derived = rendered
    lady_r = [c for c in derived.port_calls if c.imo == LADY_R_IMO]
    assert sorted(c.locode for c in lady_r) == ["KPRJN", "RUVYP"]
    assert all(c.source.startswith("ais:") for c in lady_r)
    assert all(c.mmsi == "273445480" for c in lady_r)


def test_reports_look_like_class_a(
    rendered: tuple[datetime, Positions, list[StaticReport], DerivedEvents],
) -> None:
    now, positions, statics, _ = rendered
    assert int(positions.t.max()) <= now.timestamp()
    assert {s.source for s in statics} == {"sample:voyages.json"}
    for mmsi in np.unique(positions.mmsi):
        t = positions.t[positions.mmsi == mmsi]
        steps = np.diff(t)
        assert (steps > 0).all()
        # Every few minutes, except where the plan turns the transponder off.
        assert np.median(steps) <= 300
        # A static report opens the track and follows every return from silence, and none is
        # older than STATIC_EVERY_S (plus a report interval) at any position report.
        sent = np.array(sorted(s.at.timestamp() for s in statics if s.mmsi == str(mmsi)))
        assert sent[0] == t[0]
        last_sent = sent[np.searchsorted(sent, t, side="right") - 1]
        assert (t - last_sent <= STATIC_EVERY_S + DEFAULT_INTERVAL_S).all()
        for after in np.flatnonzero(steps > 3600) + 1:
            assert t[after] in sent


def test_rendering_is_the_same_plan_shifted() -> None:
    first, statics_first = load_sample(BUNDLED_SAMPLE, NOWS[0])
    again, _ = load_sample(BUNDLED_SAMPLE, NOWS[0])
    later, statics_later = load_sample(BUNDLED_SAMPLE, NOWS[1])
    shift = int((NOWS[1] - NOWS[0]).total_seconds())
    for column in ("mmsi", "lat", "lon", "sog", "status"):
        assert np.array_equal(getattr(first, column), getattr(again, column), equal_nan=True)
        assert np.array_equal(getattr(first, column), getattr(later, column), equal_nan=True)
    assert np.array_equal(first.t + shift, later.t)
    assert len(statics_first) == len(statics_later)


def test_waypoints_stay_at_sea(areas: PortAreas) -> None:
    """A waypoint inside a port area belongs to the port the ship stops at next or last: sea
    legs, meetings and dark passages must not cross another port's area."""
    plan = json.loads(BUNDLED_SAMPLE.read_text(encoding="utf-8"))
    for ship in plan["ships"]:
        legs = ship["legs"]
        start = (ship["start"]["lat"], ship["start"]["lon"])
        assert areas.locate([start[0]], [start[1]])[0] < 0, ship["name"]
        # The port a ship stops in is where its sail leg before the stay ends.
        stops = {
            int(areas.locate([legs[i - 1]["sail"][-1][0]], [legs[i - 1]["sail"][-1][1]])[0])
            for i, leg in enumerate(legs)
            if "stay" in leg
        }
        for i, leg in enumerate(legs):
            for lat, lon in leg.get("sail", []) + leg.get("dark", []):
                port = int(areas.locate([lat], [lon])[0])
                if port < 0:
                    continue
                where = (ship["name"], lat, lon, areas.ports[port].locode)
                assert "sail" in leg and port in stops, where
                after = legs[i + 1] if i + 1 < len(legs) else {}
                assert "stay" in (legs[i - 1] if i else {}) or "stay" in after, where


def _write(tmp_path: Path, plan: Any) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(plan if isinstance(plan, str) else json.dumps(plan), encoding="utf-8")
    return path


def _ship(**changes: Any) -> dict[str, Any]:
    ship: dict[str, Any] = {
        "mmsi": "273000001",
        "name": "TEST",
        "imo": LADY_R_IMO,
        "call_sign": "UTEST",
        "ship_type": 70,
        "start": {"hours": 0, "lat": 42.0, "lon": 132.0},
        "legs": [{"sail": [[42.2, 132.0]], "knots": 10}],
    }
    ship.update(changes)
    return ship


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("{not json", "not JSON"),
        ({"ships": [_ship()]}, "'base_days_ago' must be a number"),
        ({"base_days_ago": 5, "ships": []}, "'ships' must be a non-empty list"),
        ({"base_days_ago": 5, "ships": [_ship(mmsi="27300001")]}, "MMSI must be nine digits"),
        ({"base_days_ago": 5, "ships": [_ship(imo="9161004")]}, "not a valid IMO number"),
        (
            {"base_days_ago": 5, "ships": [_ship(legs=[{"sail": [[42.2, 132.0]]}])]},
            r"ship 1 \(TEST\) leg 1: 'knots' must be a number",
        ),
        (
            {"base_days_ago": 5, "ships": [_ship(legs=[{"sail": [[95.0, 132.0]], "knots": 9}])]},
            "'lat' is 95.0, outside",
        ),
        (
            {"base_days_ago": 5, "ships": [_ship(legs=[{"hover": 3}])]},
            "needs exactly one of sail, stay, drift, dark, meet",
        ),
        (
            {"base_days_ago": 5, "ships": [_ship(legs=[{"meet": "445000001", "hours": 3}])]},
            "meetings name an unknown ship",
        ),
        (
            {"base_days_ago": 5, "ships": [_ship(legs=[{"stay": "parked", "hours": 3}])]},
            "'stay' must be 'moored' or 'at_anchor'",
        ),
    ],
)
def test_malformed_plan_is_refused(tmp_path: Path, plan: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_sample(_write(tmp_path, plan), NOWS[0])


def test_meeting_a_ship_that_is_elsewhere_is_refused(tmp_path: Path) -> None:
    other = _ship(mmsi="445000001", legs=[{"drift": 0, "knots": 0.3, "hours": 6}])
    visitor = _ship(
        start={"hours": 1, "lat": 41.0, "lon": 132.0},
        legs=[{"meet": "445000001", "hours": 3}],
    )
    path = _write(tmp_path, {"base_days_ago": 5, "ships": [visitor, other]})
    with pytest.raises(ValueError, match=r"445000001 is 60\.\d nm away at hour 1\.0"):
        load_sample(path, NOWS[0])
