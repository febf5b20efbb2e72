"""Ground truth: every event planted in the scenario is found with the right port, other ship and
times, and the ordinary ships (passing a port, passing each other, moored together, a short
silence, silences in port, jitter) raise nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from service.ais.derive import DerivedEvents, derive_events
from service.ais.identity import mid_flag_mismatch
from service.ais.model import EVENT_KINDS, AisEvent
from service.ais.params import AisParams
from service.ais.port_areas import PortAreas
from service.portcalls.calls import PortCallIndex
from service.portcalls.risk import call_risks, load_risk_policy
from tests.ais.scenarios import Planted, Scenario, build_scenario

TOLERANCE = {
    # A port call starts at the area's edge, some minutes before the ship stops at its berth.
    "port_call": timedelta(minutes=45),
    "ais_gap": timedelta(minutes=5),
    "ship_to_ship": timedelta(minutes=15),
    "identity_change": timedelta(minutes=1),
    "position_jump": timedelta(minutes=5),
}


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return build_scenario()


@pytest.fixture(scope="module")
def areas(scenario: Scenario) -> PortAreas:
    return PortAreas.build(scenario.ports)


@pytest.fixture(scope="module")
def derived(scenario: Scenario, areas: PortAreas) -> DerivedEvents:
    return derive_events(scenario.batches, scenario.statics, areas, AisParams(), "scenario")


def _matches(planted: Planted, event: AisEvent) -> bool:
    if event.kind != planted.kind or event.mmsi != planted.mmsi:
        return False
    tolerance = TOLERANCE[planted.kind]
    if abs(event.start - planted.start) > tolerance or abs(event.end - planted.end) > tolerance:
        return False
    for key, value in planted.evidence.items():
        if key == "other":
            if value not in [o["mmsi"] for o in event.evidence["other_mmsis"]]:
                return False
        elif key == "hours":
            if abs(event.evidence["hours"] - value) > 0.1:
                return False
        elif event.evidence.get(key) != value:
            return False
    return True


def test_every_planted_event_is_found(scenario: Scenario, derived: DerivedEvents) -> None:
    for planted in scenario.planted:
        candidates = derived.for_mmsi(planted.mmsi, planted.kind)  # type: ignore[arg-type]
        assert any(_matches(planted, e) for e in candidates), (planted, candidates)


def test_nothing_is_invented(scenario: Scenario, derived: DerivedEvents) -> None:
    for mmsi, allowed in scenario.allowed.items():
        kinds = {e.kind for e in derived.for_mmsi(mmsi)}
        assert kinds <= allowed, (mmsi, kinds - allowed)
        assert kinds == allowed, (mmsi, allowed - kinds)
    # Every event belongs to a ship of the scenario, and one of each planted kind is one event.
    assert set(derived.by_mmsi) <= set(scenario.allowed)
    counts = derived.counts()
    assert counts["ais_gap"] == 1
    assert counts["ship_to_ship"] == 2
    assert counts["position_jump"] == 1
    assert counts["identity_change"] == 3
    assert counts["port_call"] == 4  # Rajin, Vostochny twice, Nakhodka


def test_port_call_evidence_and_derived_port_calls(derived: DerivedEvents) -> None:
    (rajin,) = derived.for_mmsi("273000001", "port_call")
    evidence = rajin.evidence
    assert evidence["locode"] == "KPRJN" and evidence["country"] == "KP"
    # The 14 h silence in port stays inside one call, and is reported.
    assert evidence["longest_silence_hours"] == pytest.approx(14.05, abs=0.1)
    assert evidence["hours_stopped"] == pytest.approx(30.0, abs=0.2)
    assert evidence["departed_at"] is not None
    assert 0.5 < evidence["confidence"] <= 0.95
    calls = {c.mmsi: c for c in derived.port_calls}
    call = calls["273000001"]
    assert (call.locode, call.port_name, call.country) == ("KPRJN", "Rajin", "KP")
    assert call.imo == "9161003"
    assert call.arrived_at == rajin.start and call.departed_at == rajin.end
    assert call.source == "ais:scenario"
    assert call.confidence == evidence["confidence"]
    assert {c.locode for c in derived.port_calls} == {"KPRJN", "RUVYP", "RUNJK"}
    json.dumps([e.evidence for e in derived.events])  # evidence is JSON-able


def test_derived_calls_raise_the_port_call_risk_flags(
    scenario: Scenario, derived: DerivedEvents
) -> None:
    index = PortCallIndex(derived.port_calls)
    (call,) = index.for_vessel(imo=scenario.imos["273000001"])
    assert call.locode == "KPRJN"
    assert call_risks(call, load_risk_policy(ports=scenario.ports)) != ()
    (moored,) = index.for_vessel(mmsi="273000014")
    assert moored.locode == "RUVYP"


def test_call_still_open_at_track_end(scenario: Scenario, areas: PortAreas) -> None:
    # Cut the Nakhodka ship's track while it is still moored: the call has no departure.
    batches = [
        b.take((b.mmsi != 273000017) | (b.t < b.t.min() + 20 * 3600)) for b in scenario.batches
    ]
    found = derive_events(batches, scenario.statics, areas, source="cut")
    (call,) = [c for c in found.port_calls if c.mmsi == "273000017"]
    assert call.departed_at is None
    (event,) = found.for_mmsi("273000017", "port_call")
    assert event.evidence["still_in_port_at_track_end"] is True


def test_gap_evidence(derived: DerivedEvents) -> None:
    (gap,) = derived.for_mmsi("273000002", "ais_gap")
    e = gap.evidence
    assert e["vanished"]["lat"] == pytest.approx(40.3, abs=0.01)
    assert e["reappeared"]["lon"] == pytest.approx(136.5, abs=0.01)
    assert e["distance_nm"] == pytest.approx(150, rel=0.1)
    assert e["implied_speed_kn"] == pytest.approx(5.0, rel=0.1)
    # 30 h, 15 h of straight sailing at 10 kn: 15 h left, enough for a call in time, but no
    # bundled port lies within the 280 nm of sailing the 28 h (30 h less the call) allow.
    assert e["hours_left_after_sailing_straight"] == pytest.approx(15, abs=1.5)
    assert e["port_call_could_fit"] is True
    assert e["ports_in_reach"] == [] and e["ports_in_reach_count"] == 0
    assert gap.lat == pytest.approx(40.3, abs=0.01)


def test_gap_ports_in_reach_are_named(scenario: Scenario, areas: PortAreas) -> None:
    # With a faster typical speed, the Russian Far East ports come within reach of the gap.
    params = AisParams(gap_typical_speed_kn=20.0)
    found = derive_events(scenario.batches, scenario.statics, areas, params, "fast")
    (gap,) = found.for_mmsi("273000002", "ais_gap")
    codes = [p["locode"] for p in gap.evidence["ports_in_reach"]]
    assert "RUVYP" in codes and "SGSIN" not in codes
    detours = [p["detour_nm"] for p in gap.evidence["ports_in_reach"]]
    assert detours == sorted(detours)
    assert gap.evidence["ports_in_reach_count"] >= len(codes)


def test_meeting_evidence_names_the_other_ship(derived: DerivedEvents) -> None:
    (one,) = derived.for_mmsi("273000003", "ship_to_ship")
    (two,) = derived.for_mmsi("273000004", "ship_to_ship")
    assert one.evidence["other_name"] == "MEETER TWO"
    assert two.evidence["other_mmsi"] == "273000003"
    assert 100 < one.evidence["median_distance_m"] < 250
    assert one.evidence["median_sog_kn"] < 2
    assert one.evidence["hours"] == pytest.approx(4.0, abs=0.25)
    assert (one.start, one.end, one.lat) == (two.start, two.end, two.lat)


def test_identity_events(scenario: Scenario, derived: DerivedEvents) -> None:
    (rename,) = derived.for_mmsi("273000005", "identity_change")
    assert rename.evidence["fields"] == ["call_sign", "name"]
    assert rename.evidence["before"]["name"] == "OCEAN STAR"
    shared = derived.for_mmsi("351000008", "identity_change")[0].evidence
    assert shared["change"] == "imo_shared"
    assert shared["simultaneous_with"] == ["273000007"]
    # A screening by the listed ship's IMO reaches both MMSIs.
    imo = scenario.imos["273000007"]
    assert {e.mmsi for e in derived.for_vessel(imo=imo)} == {"273000007", "351000008"}
    assert derived.for_vessel(mmsi="273000003")[0].kind == "ship_to_ship"


def test_jump_evidence(derived: DerivedEvents) -> None:
    (jump,) = derived.for_mmsi("273000006", "position_jump")
    e = jump.evidence
    assert e["jumps"] == 2 and e["returned"] is True
    assert e["distance_nm"] == pytest.approx(80, rel=0.02)
    assert e["implied_speed_kn"] > 500
    assert jump.lat == pytest.approx(38.5 + 80 / 60, abs=0.01)


def test_thresholds_come_from_params(scenario: Scenario, areas: PortAreas) -> None:
    strict = AisParams(
        gap_min_hours=31,
        encounter_min_hours=4.5,
        port_min_stop_hours=12,
        jump_max_speed_kn=2000,
    )
    found = derive_events(scenario.batches, scenario.statics, areas, strict, "strict")
    counts = found.counts()
    assert counts["ais_gap"] == 0 and counts["ship_to_ship"] == 0
    assert counts["position_jump"] == 0
    assert {c.mmsi for c in found.port_calls} == {"273000001", "273000017"}
    loose = AisParams(gap_min_hours=1.5, gap_min_port_distance_nm=0)
    gaps = derive_events(scenario.batches, scenario.statics, areas, loose, "loose")
    assert {e.mmsi for e in gaps.events if e.kind == "ais_gap"} == {"273000002", "273000016"}


def test_meeting_inside_a_port_is_not_one(scenario: Scenario) -> None:
    # The same two moored ships make a meeting if Vostochny is not a port area at all.
    ports = [p for p in scenario.ports if p.locode not in {"RUVYP", "RUKZM", "RUNJK"}]
    found = derive_events(scenario.batches, scenario.statics, PortAreas.build(ports), source="x")
    pairs = {(e.mmsi, e.evidence["other_mmsi"]) for e in found.events if e.kind == "ship_to_ship"}
    assert ("273000014", "273000015") in pairs


def test_parallel_derivation_gives_the_same_events(
    scenario: Scenario, areas: PortAreas, derived: DerivedEvents
) -> None:
    parallel = derive_events(scenario.batches, scenario.statics, areas, source="scenario",
                             processes=2)  # fmt: skip
    assert parallel.events == derived.events
    assert parallel.port_calls == derived.port_calls


def test_mid_flag_mismatch() -> None:
    evidence = mid_flag_mismatch("273000001", ["Panama", "PA"])
    assert evidence is not None
    assert evidence["mid_flag"] == "RU" and evidence["listed_flags"] == ["PA"]
    assert mid_flag_mismatch("273000001", ["Russia"]) is None
    assert mid_flag_mismatch("273000001", ["RUS", "Panama"]) is None
    assert mid_flag_mismatch("273000001", []) is None
    assert mid_flag_mismatch("273000001", ["Atlantis"]) is None
    assert mid_flag_mismatch("970123456", ["PA"]) is None


def test_empty_input(areas: PortAreas) -> None:
    found = derive_events([], [], areas)
    assert found.events == [] and found.port_calls == []
    assert set(found.counts()) <= set(EVENT_KINDS)


def test_params_are_frozen() -> None:
    params = AisParams()
    with pytest.raises(AttributeError):
        params.gap_min_hours = 1  # type: ignore[misc]
    assert replace(params, gap_min_hours=3).gap_min_hours == 3
    assert params.port_radius_km("Medium") == params.port_radius_km_medium
