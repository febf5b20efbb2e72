"""Enrichment: a listed vessel's port calls in a window, each call's risks, the vessel's flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.ais.model import AisEvent
from service.model import Vessel
from service.portcalls.calls import PortCall, PortCallIndex
from service.portcalls.risk import RiskFlag, RiskPolicy, call_risks, vessel_risk_flags


@dataclass(frozen=True, slots=True)
class RatedCall:
    call: PortCall
    risks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VesselHistory:
    calls: tuple[RatedCall, ...]
    flags: tuple[RiskFlag, ...]
    # Calls on record that arrived before the window: not shown, but never silently hidden.
    before_window: int = 0
    # What the ship's AIS shows within the window (port calls, gaps, meetings, ...).
    events: tuple[AisEvent, ...] = ()

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.code for f in self.flags))


def vessel_history(
    vessel: Vessel, calls: PortCallIndex, policy: RiskPolicy, since: datetime | None
) -> VesselHistory:
    """The vessel's calls since `since` (all when None), newest first, linked by IMO, else MMSI.

    Flags are judged on the same calls the caller is shown, so a flag never rests on a call
    outside the window; `flag_change` rests on the list's own record of former flags.
    """
    found = calls.for_vessel(vessel.imo, vessel.mmsi, since)
    rated = tuple(RatedCall(c, call_risks(c, policy)) for c in found)
    flags = vessel_risk_flags(found, vessel.flags, vessel.former_flags, policy)
    older = 0 if since is None else calls.count(vessel.imo, vessel.mmsi) - len(found)
    return VesselHistory(rated, tuple(flags), older)
