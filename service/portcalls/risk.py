"""Risk flags from a vessel's port calls and flag history, each with the reason it was raised.

The policy -- which countries, regions and single ports count -- is data
(`service/data/sanctioned_ports.json` by default), so a deployment can change it without code.

Flags:
- `sanctioned_jurisdiction`: calls in a sanctioned country or region (North Korea, occupied
  Crimea, ...), naming the ports and dates.
- `sanctions_risk_port`: calls at single ports named in sanctions actions (Vostochny, Dunai).
  They are not sanctioned jurisdictions, so they get their own code.
- `record_gap`: consecutive calls further apart than `record_gap_days`.
- `flag_change`: the current flag differs from a flag the vessel was listed under before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.identifiers import flag_name, normalize_flag
from service.portcalls.calls import PortCall
from service.portcalls.port_names import normalize_locode
from service.portcalls.ports import PortTable

__all__ = [
    "DEFAULT_POLICY_PATH",
    "FLAG_CHANGE",
    "RECORD_GAP",
    "SANCTIONED_JURISDICTION",
    "SANCTIONS_RISK_PORT",
    "RegionRule",
    "RiskFlag",
    "RiskPolicy",
    "RiskRule",
    "call_risks",
    "load_risk_policy",
    "vessel_risk_flags",
]

DEFAULT_POLICY_PATH = Path(__file__).resolve().parent.parent / "data" / "sanctioned_ports.json"

SANCTIONED_JURISDICTION = "sanctioned_jurisdiction"
SANCTIONS_RISK_PORT = "sanctions_risk_port"
RECORD_GAP = "record_gap"
FLAG_CHANGE = "flag_change"

# Dates listed per port in a reason before "and N more": enough to see a pattern, short enough
# to read.
_DATES_PER_PORT = 5


@dataclass(frozen=True, slots=True)
class RiskFlag:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class RiskRule:
    """Why calls somewhere are flagged: the flag code, what the place is, and the published
    basis (`source`)."""

    code: str
    label: str
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class RegionRule:
    id: str
    country: str
    subdivisions: frozenset[str]
    ports: frozenset[str]
    rule: RiskRule


@dataclass(frozen=True, eq=False)
class RiskPolicy:
    """The loaded policy. Look-ups are by the call's LOCODE and country only, so checking a
    call costs two dict probes; `with_ports` turns subdivision-based regions into LOCODEs."""

    countries: Mapping[str, RiskRule]
    regions: tuple[RegionRule, ...]
    ports: Mapping[str, RiskRule]
    record_gap_days: int = 30
    version: str = ""
    path: str = ""
    region_ports: Mapping[str, RiskRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.record_gap_days < 1:
            raise ValueError(f"record_gap_days must be at least 1, got {self.record_gap_days}")
        if not self.region_ports:
            listed = {code: r.rule for r in self.regions for code in r.ports}
            object.__setattr__(self, "region_ports", listed)

    def with_ports(self, table: PortTable) -> RiskPolicy:
        """This policy with every port of `table` that lies in a listed region subdivision added
        to that region's LOCODEs (a port named explicitly keeps its own entry)."""
        expanded = dict(self.region_ports)
        for port in table:
            if port.subdivision is None or port.locode in expanded:
                continue
            for region in self.regions:
                if port.country == region.country and port.subdivision in region.subdivisions:
                    expanded[port.locode] = region.rule
                    break
        return replace(self, region_ports=expanded)

    def rules_for(self, call: PortCall) -> tuple[RiskRule, ...]:
        """The rules a call falls under, jurisdictions first."""
        rules: list[RiskRule] = []
        for rule in (
            self.countries.get(call.country),
            self.region_ports.get(call.locode),
            self.ports.get(call.locode),
        ):
            if rule is not None and rule not in rules:
                rules.append(rule)
        return tuple(rules)


def load_risk_policy(
    path: Path | None = None, *, record_gap_days: int = 30, ports: PortTable | None = None
) -> RiskPolicy:
    """Load a policy file (default: the bundled `sanctioned_ports.json`). With `ports`, regions
    given by subdivision are expanded to the table's ports. A malformed file raises ValueError
    naming the entry: a policy that silently drops an entry would silently stop flagging."""
    source = path or DEFAULT_POLICY_PATH
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{source}: cannot read the risk policy: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{source}: the risk policy must be a JSON object")

    countries: dict[str, RiskRule] = {}
    for i, entry in enumerate(_entries(data, "countries", source)):
        where = f"{source}: countries[{i}]"
        code = _country(entry.get("country"), where)
        label = _text(entry, "name", where, required=False) or flag_name(code)
        countries[code] = RiskRule(
            SANCTIONED_JURISDICTION,
            label,
            _text(entry, "reason", where),
            _text(entry, "source", where),
        )

    regions: list[RegionRule] = []
    for i, entry in enumerate(_entries(data, "regions", source)):
        where = f"{source}: regions[{i}]"
        country = _country(entry.get("country"), where)
        subdivisions = frozenset(str(s).strip().upper() for s in entry.get("subdivisions") or ())
        region_ports = frozenset(_locode(c, where) for c in entry.get("ports") or ())
        if not subdivisions and not region_ports:
            raise ValueError(f"{where}: a region needs subdivisions or ports")
        rule = RiskRule(
            SANCTIONED_JURISDICTION,
            _text(entry, "name", where),
            _text(entry, "reason", where),
            _text(entry, "source", where),
        )
        regions.append(
            RegionRule(
                str(entry.get("id") or rule.label), country, subdivisions, region_ports, rule
            )
        )

    single: dict[str, RiskRule] = {}
    for i, entry in enumerate(_entries(data, "ports", source)):
        where = f"{source}: ports[{i}]"
        code = _locode(entry.get("locode"), where)
        single[code] = RiskRule(
            SANCTIONS_RISK_PORT,
            _text(entry, "name", where, required=False) or code,
            _text(entry, "reason", where),
            _text(entry, "source", where),
        )

    policy = RiskPolicy(
        countries=countries,
        regions=tuple(regions),
        ports=single,
        record_gap_days=record_gap_days,
        version=str(data.get("version") or ""),
        path=str(source),
    )
    return policy if ports is None else policy.with_ports(ports)


def _entries(data: Mapping[str, Any], key: str, source: Path) -> list[Mapping[str, Any]]:
    entries = data.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{source}: {key!r} must be a list of objects")
    return entries


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValueError(f"{where}: {key!r} is required (say why, and where it is published)")
    return text


def _country(value: object, where: str) -> str:
    code = normalize_flag(value if isinstance(value, str) else None).code
    if code is None:
        raise ValueError(f"{where}: {value!r} is not a country")
    return code


def _locode(value: object, where: str) -> str:
    code = normalize_locode(value) if isinstance(value, str) else None
    if code is None:
        raise ValueError(f"{where}: {value!r} is not a UN/LOCODE")
    return code


# --- Per call -----------------------------------------------------------------------------------


def call_risks(call: PortCall, policy: RiskPolicy) -> tuple[str, ...]:
    """The flag codes one call raises, e.g. ("sanctioned_jurisdiction",); () when none."""
    return tuple(dict.fromkeys(rule.code for rule in policy.rules_for(call)))


# --- Per vessel ---------------------------------------------------------------------------------


def vessel_risk_flags(
    calls_in_window: Sequence[PortCall],
    vessel_flags: Sequence[str],
    former_flags: Sequence[str],
    policy: RiskPolicy,
) -> list[RiskFlag]:
    """Every flag the vessel's calls (in any order) and flag history raise, with its reason.

    `vessel_flags` has the current flag first; `former_flags` those the vessel was listed under
    before. Codes come in a fixed order: jurisdiction, risk port, record gap, flag change.
    """
    newest_first = sorted(calls_in_window, key=_arrival, reverse=True)
    flags: list[RiskFlag] = []
    hits: dict[str, dict[RiskRule, list[PortCall]]] = {}
    for call in newest_first:
        for rule in policy.rules_for(call):
            hits.setdefault(rule.code, {}).setdefault(rule, []).append(call)

    jurisdiction = hits.get(SANCTIONED_JURISDICTION)
    if jurisdiction:
        count = len({id(c) for calls in jurisdiction.values() for c in calls})
        parts = [f"{rule.label}: {_ports_and_dates(calls)}" for rule, calls in jurisdiction.items()]
        flags.append(
            RiskFlag(
                SANCTIONED_JURISDICTION,
                f"{_plural(count, 'call')} in sanctioned jurisdictions: " + "; ".join(parts),
            )
        )
    risk_ports = hits.get(SANCTIONS_RISK_PORT)
    if risk_ports:
        count = sum(len(calls) for calls in risk_ports.values())
        parts = [f"{_ports_and_dates(calls)} ({rule.reason})" for rule, calls in risk_ports.items()]
        flags.append(
            RiskFlag(
                SANCTIONS_RISK_PORT,
                f"{_plural(count, 'call')} at ports named in sanctions actions: "
                + "; ".join(parts),
            )
        )

    gap = _record_gaps(newest_first[::-1], policy.record_gap_days)
    if gap is not None:
        flags.append(gap)
    change = _flag_change(tuple(vessel_flags), tuple(former_flags))
    if change is not None:
        flags.append(change)
    return flags


def _arrival(call: PortCall) -> datetime:
    return call.arrived_at


def _record_gaps(oldest_first: Sequence[PortCall], days: int) -> RiskFlag | None:
    """Gaps from the end of one call (its departure, or its arrival when the departure is not
    known) to the next arrival. A call that ends later than the following one starts covers
    the time it spans, so overlapping calls make no gap. Time before the first call and after
    the last is not counted: the window's edges say nothing about the ship."""
    limit = timedelta(days=days)
    gaps: list[str] = []
    latest: PortCall | None = None
    for call in oldest_first:
        if latest is not None:
            left = _end(latest)
            gap = call.arrived_at - left
            if gap > limit:
                how = "leaving" if latest.departed_at else "arriving at"
                gaps.append(
                    f"{_days(gap)} days from {how} {_port(latest)} on {_day(left)} "
                    f"to arriving at {_port(call)} on {_day(call.arrived_at)}"
                )
        if latest is None or _end(call) >= _end(latest):
            latest = call
    if not gaps:
        return None
    return RiskFlag(
        RECORD_GAP,
        f"{_plural(len(gaps), 'gap')} of more than {days} days between recorded port calls: "
        + "; ".join(gaps),
    )


def _end(call: PortCall) -> datetime:
    return call.departed_at or call.arrived_at


# A listed vessel's flags change only with its list's version, and a fleet file names the same
# ships again and again: each pair of flag histories is judged once.
@lru_cache(maxsize=8192)
def _flag_change(vessel_flags: tuple[str, ...], former_flags: tuple[str, ...]) -> RiskFlag | None:
    current = next((c for c in _flag_codes(vessel_flags[:1])), None)
    if current is None:
        return None
    former = [code for code in dict.fromkeys(_flag_codes(former_flags)) if code != current]
    if not former:
        return None
    named = ", ".join(f"{flag_name(code)} ({code})" for code in former)
    return RiskFlag(
        FLAG_CHANGE,
        f"flies the flag of {flag_name(current)} ({current}) now; formerly listed under {named}",
    )


def _flag_codes(values: Iterable[str]) -> list[str]:
    codes: list[str] = []
    for value in values:
        result = normalize_flag(value)
        if result.code is not None:
            codes.append(result.code)
        elif value and value.strip():
            # An unrecognised flag is still a flag the list gave: compare it as written.
            codes.append(value.strip().upper())
    return codes


def _ports_and_dates(calls: Sequence[PortCall]) -> str:
    by_port: dict[str, list[PortCall]] = {}
    for call in calls:
        by_port.setdefault(call.locode, []).append(call)
    parts = []
    for port_calls in by_port.values():
        dates = list(dict.fromkeys(_day(c.arrived_at) for c in port_calls))
        shown = ", ".join(dates[:_DATES_PER_PORT])
        if len(dates) > _DATES_PER_PORT:
            shown += f" and {len(dates) - _DATES_PER_PORT} more"
        parts.append(f"{_port(port_calls[0])} on {shown}")
    return "; ".join(parts)


def _port(call: PortCall) -> str:
    return f"{call.port_name} ({call.locode})"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _days(gap: timedelta) -> str:
    days = gap.total_seconds() / 86400
    return f"{days:.1f}".removesuffix(".0")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
