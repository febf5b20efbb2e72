"""Risk flags: sanctioned jurisdictions (by country and by occupied-region port), named ports,
record gaps and flag changes, each with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.portcalls.call_files import load_port_calls_dir, parse_time
from service.portcalls.calls import PortCall
from service.portcalls.ports import Port, PortTable, load_bundled_ports
from service.portcalls.risk import (
    DEFAULT_POLICY_PATH,
    RiskFlag,
    RiskPolicy,
    call_risks,
    load_risk_policy,
    vessel_risk_flags,
)
from service.settings import REPO_ROOT


@pytest.fixture(scope="module")
def ports() -> PortTable:
    return load_bundled_ports()


@pytest.fixture(scope="module")
def policy(ports: PortTable) -> RiskPolicy:
    return load_risk_policy(ports=ports)


def _call(ports: PortTable, locode: str, arrived: str, departed: str | None = None) -> PortCall:
    port = ports.get(locode)
    assert port is not None, locode
    arrived_at = parse_time(arrived)
    assert arrived_at is not None
    return PortCall(
        imo="9161003",
        mmsi=None,
        locode=port.locode,
        port_name=port.name,
        country=port.country,
        arrived_at=arrived_at,
        departed_at=parse_time(departed) if departed else None,
        source="test",
    )


def _codes(flags: list[RiskFlag]) -> list[str]:
    return [f.code for f in flags]


def test_default_policy_is_documented() -> None:
    data = json.loads(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    assert {c["country"] for c in data["countries"]} == {"KP", "IR", "SY", "CU"}
    for section in ("countries", "regions", "ports"):
        for entry in data[section]:
            assert entry["reason"].strip() and entry["source"].strip(), entry
    policy = load_risk_policy()
    assert policy.record_gap_days == 30
    assert {"UASVP", "UAKEH", "UAFEO", "UAYAL", "UAMPW", "UAERD"} <= set(policy.region_ports)
    assert {"RUVYP", "RU0DU"} <= set(policy.ports)


@pytest.mark.parametrize("locode", ["KPRJN", "KPNAM", "IRBND", "SYLTK", "CUHAV"])
def test_sanctioned_country(ports: PortTable, policy: RiskPolicy, locode: str) -> None:
    assert call_risks(_call(ports, locode, "2024-03-10"), policy) == ("sanctioned_jurisdiction",)


@pytest.mark.parametrize("locode", ["UASVP", "UAKEH", "UAFEO", "UAYAL", "UAZKA", "UAMPW", "UAERD"])
def test_occupied_region_ports(ports: PortTable, policy: RiskPolicy, locode: str) -> None:
    assert call_risks(_call(ports, locode, "2024-03-10"), policy) == ("sanctioned_jurisdiction",)


@pytest.mark.parametrize("locode", ["UAODS", "UAKHE", "NLRTM", "KRPUS", "RUNVS"])
def test_ports_that_raise_nothing(ports: PortTable, policy: RiskPolicy, locode: str) -> None:
    assert call_risks(_call(ports, locode, "2024-03-10"), policy) == ()


def test_region_subdivision_reaches_unlisted_ports(policy: RiskPolicy) -> None:
    # A Crimean harbour the policy does not list by LOCODE is caught by its subdivision.
    table = PortTable([Port("UAXXX", "Somewhere in Crimea", country="UA", subdivision="43")])
    crimea = PortCall(
        "9161003", None, "UAXXX", "Somewhere", "UA", datetime(2024, 1, 1, tzinfo=UTC), None, "t"
    )
    assert call_risks(crimea, load_risk_policy()) == ()
    assert call_risks(crimea, load_risk_policy().with_ports(table)) == ("sanctioned_jurisdiction",)


def test_named_ports_have_their_own_code(ports: PortTable, policy: RiskPolicy) -> None:
    assert call_risks(_call(ports, "RUVYP", "2024-02-05"), policy) == ("sanctions_risk_port",)
    assert call_risks(_call(ports, "RU0DU", "2023-09-10"), policy) == ("sanctions_risk_port",)


def test_jurisdiction_flag_names_ports_and_dates(ports: PortTable, policy: RiskPolicy) -> None:
    calls = [
        _call(ports, "KPRJN", "2024-02-04"),
        _call(ports, "KPRJN", "2024-03-10"),
        _call(ports, "UASVP", "2024-03-01"),
        _call(ports, "KRPUS", "2024-02-20"),
    ]
    flags = vessel_risk_flags(calls, ("RU",), (), policy)
    assert _codes(flags) == ["sanctioned_jurisdiction"]
    reason = flags[0].reason
    assert reason.startswith("3 calls in sanctioned jurisdictions")
    assert "North Korea: Rajin (KPRJN) on 2024-03-10, 2024-02-04" in reason
    assert "Sevastopol (UASVP) on 2024-03-01" in reason
    assert "Crimea" in reason
    assert "Busan" not in reason


def test_record_gap(ports: PortTable, policy: RiskPolicy) -> None:
    calls = [
        _call(ports, "RUVYP", "2024-01-01", "2024-01-05"),
        _call(ports, "KRPUS", "2024-02-05"),  # 31 days after leaving Vostochny
        _call(ports, "KRPUS", "2024-03-06"),  # 30 days after *arriving* (no departure): no gap
    ]
    flags = vessel_risk_flags(calls, (), (), policy)
    gaps = [f for f in flags if f.code == "record_gap"]
    assert len(gaps) == 1
    assert "1 gap of more than 30 days" in gaps[0].reason
    assert "31 days from leaving Vostochny (RUVYP) on 2024-01-05" in gaps[0].reason
    assert "arriving at Busan (KRPUS) on 2024-02-05" in gaps[0].reason


def test_record_gap_threshold_is_a_parameter(ports: PortTable) -> None:
    calls = [_call(ports, "NLRTM", "2024-01-01"), _call(ports, "SGSIN", "2024-01-20")]
    assert vessel_risk_flags(calls, (), (), load_risk_policy()) == []
    strict = load_risk_policy(record_gap_days=10)
    [flag] = vessel_risk_flags(calls, (), (), strict)
    assert flag.code == "record_gap" and "19 days from arriving at" in flag.reason
    with pytest.raises(ValueError):
        load_risk_policy(record_gap_days=0)


def test_overlapping_calls_make_no_gap(ports: PortTable, policy: RiskPolicy) -> None:
    calls = [
        _call(ports, "NLRTM", "2024-01-01", "2024-03-01"),  # a long stay
        _call(ports, "SGSIN", "2024-01-02", "2024-01-03"),  # a conflicting report inside it
        _call(ports, "KRPUS", "2024-03-10"),
    ]
    assert vessel_risk_flags(calls, (), (), policy) == []


def test_flag_change(policy: RiskPolicy) -> None:
    [flag] = vessel_risk_flags([], ("RU",), ("Sierra Leone", "RU", "Panama"), policy)
    assert flag.code == "flag_change"
    assert "Russia (RU) now" in flag.reason
    assert "Sierra Leone (SL), Panama (PA)" in flag.reason
    assert vessel_risk_flags([], ("Russia",), ("RU", "RUS"), policy) == []
    assert vessel_risk_flags([], (), ("PA",), policy) == []
    assert vessel_risk_flags([], ("RU",), (), policy) == []


def test_sample_lady_r(ports: PortTable, policy: RiskPolicy) -> None:
    index, _ = load_port_calls_dir(REPO_ROOT / "ports" / "calls", ports)
    calls = index.for_vessel("9161003", None, datetime(2024, 1, 1, tzinfo=UTC))
    flags = vessel_risk_flags(calls, ("RU",), (), policy)
    assert _codes(flags) == ["sanctioned_jurisdiction", "sanctions_risk_port", "record_gap"]
    assert "34 days" in flags[2].reason
    # Outside the window the calls raise nothing.
    later = index.for_vessel("9161003", None, datetime(2024, 6, 1, tzinfo=UTC))
    assert vessel_risk_flags(later, ("RU",), (), policy) == []


def test_policy_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"countries": [{"country": "KP", "reason": "r"}]}))
    with pytest.raises(ValueError, match=r"countries\[0\]: 'source' is required"):
        load_risk_policy(path)
    path.write_text(json.dumps({"ports": [{"locode": "nope", "reason": "r", "source": "s"}]}))
    with pytest.raises(ValueError, match="not a UN/LOCODE"):
        load_risk_policy(path)
    path.write_text("{")
    with pytest.raises(ValueError, match="cannot read"):
        load_risk_policy(path)
    path.write_text(json.dumps({"countries": [{"country": "Iran", "reason": "r", "source": "s"}]}))
    custom = load_risk_policy(path, record_gap_days=45)
    assert set(custom.countries) == {"IR"} and custom.record_gap_days == 45
