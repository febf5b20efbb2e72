"""Port calls: the port reference (UN/LOCODE), port-call files and their index, and the risk
flags calls raise. Plain functions and frozen dataclasses; nothing here knows about HTTP.
"""

from __future__ import annotations

from service.portcalls.call_files import (
    ParseResult,
    load_port_calls_dir,
    parse_port_calls,
    parse_time,
    read_port_calls,
)
from service.portcalls.calls import (
    CallFileSummary,
    CallFormat,
    PortCall,
    PortCallIndex,
    Rejected,
)
from service.portcalls.port_names import Port, normalize_locode
from service.portcalls.ports import (
    BUNDLED_PORTS_CSV,
    PortTable,
    load_bundled_ports,
    load_ports,
)
from service.portcalls.risk import (
    DEFAULT_POLICY_PATH,
    RiskFlag,
    RiskPolicy,
    call_risks,
    load_risk_policy,
    vessel_risk_flags,
)

__all__ = [
    "BUNDLED_PORTS_CSV",
    "DEFAULT_POLICY_PATH",
    "CallFileSummary",
    "CallFormat",
    "ParseResult",
    "Port",
    "PortCall",
    "PortCallIndex",
    "PortTable",
    "Rejected",
    "RiskFlag",
    "RiskPolicy",
    "call_risks",
    "load_bundled_ports",
    "load_port_calls_dir",
    "load_ports",
    "load_risk_policy",
    "normalize_locode",
    "parse_port_calls",
    "parse_time",
    "read_port_calls",
    "vessel_risk_flags",
]
